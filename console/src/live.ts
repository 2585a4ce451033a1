// Live view: server-sent events (no polling): who is online, counts, and a chart of the last minutes.
import { STATUS_NAMES, UserStatus } from "./api";
import { h } from "./dom";

const HISTORY = 300; // seconds shown in the chart

export function liveView(host: HTMLElement): () => void {
  const online = new Map<string, UserStatus | null>();
  const sessions = h("strong", { id: "count-sessions" }, "–");
  const accounts = h("strong", { id: "count-online" }, "–");
  const rate = h("strong", { id: "count-notifications" }, "–");
  const list = h("ul", { id: "online-list", class: "list online" });
  const log = h("ul", { id: "change-log", class: "log" });
  const canvas = h("canvas", { id: "chart", width: 720, height: 160 }) as HTMLCanvasElement;
  const state = h("span", { id: "live-state", class: "muted" }, "connecting…");
  const history: { sessions: number; notifications: number }[] = [];

  host.append(
    h("section", { class: "card" },
      h("h2", {}, "Live ", state),
      h("div", { class: "stats" },
        h("div", {}, sessions, h("span", {}, "sessions (all apps)")),
        h("div", {}, accounts, h("span", {}, "accounts online")),
        h("div", {}, rate, h("span", {}, "notifications / s"))),
      canvas,
      h("p", { class: "legend" }, h("span", { class: "k sessions" }, "online sessions"), h("span", { class: "k notes" }, "notifications per second"), ` · last ${HISTORY / 60} minutes`)),
    h("section", { class: "card split" },
      h("div", {}, h("h2", {}, "Online now"), list),
      h("div", {}, h("h2", {}, "Changes"), log)),
  );

  const renderList = () => {
    const ids = [...online.keys()].sort();
    list.replaceChildren(...ids.map((id) => {
      const s = online.get(id);
      const devices = s ? s.user_status_online_devices.join(", ") : "";
      return h("li", { "data-user": id }, h("span", { class: "dot" }), id, devices ? h("small", {}, ` ${devices}`) : null);
    }));
  };

  const events = new EventSource("/console/api/live");
  events.onopen = () => (state.textContent = "· live");
  events.onerror = () => (state.textContent = "· reconnecting…");
  events.addEventListener("snapshot", (e) => {
    online.clear();
    for (const id of JSON.parse((e as MessageEvent).data).online as string[]) online.set(id, null);
    renderList();
  });
  events.addEventListener("status", (e) => {
    const s: UserStatus = JSON.parse((e as MessageEvent).data);
    if (s.user_status_status_type === 1) online.set(s.user_status_identifier, s);
    else online.delete(s.user_status_identifier);
    renderList();
    const when = new Date().toLocaleTimeString();
    log.prepend(h("li", {}, `${when} ${s.user_status_identifier} → ${STATUS_NAMES[s.user_status_status_type]}${s.user_status_custom_status ? ` “${s.user_status_custom_status}”` : ""}`));
    while (log.childElementCount > 50) log.lastElementChild?.remove();
  });
  // Fell behind the server's change feed: reconnect for a fresh snapshot.
  events.addEventListener("lagged", () => {
    events.close();
    host.replaceChildren();
    stop = liveView(host);
  });
  events.addEventListener("tick", (e) => {
    const t = JSON.parse((e as MessageEvent).data);
    sessions.textContent = String(t.sessions);
    accounts.textContent = String(t.online);
    rate.textContent = String(t.notifications);
    history.push({ sessions: t.sessions, notifications: t.notifications });
    if (history.length > HISTORY) history.shift();
    draw(canvas, history);
  });
  let stop = () => events.close();
  return () => stop();
}

function draw(canvas: HTMLCanvasElement, history: { sessions: number; notifications: number }[]) {
  const g = canvas.getContext("2d");
  if (!g) return;
  const { width: w, height: hgt } = canvas;
  g.clearRect(0, 0, w, hgt);
  g.strokeStyle = "#e5e7eb";
  for (let y = 0; y <= 4; y++) {
    g.beginPath();
    g.moveTo(0, (hgt * y) / 4);
    g.lineTo(w, (hgt * y) / 4);
    g.stroke();
  }
  const line = (pick: (p: { sessions: number; notifications: number }) => number, color: string) => {
    const max = Math.max(1, ...history.map(pick));
    g.strokeStyle = color;
    g.lineWidth = 2;
    g.beginPath();
    history.forEach((p, i) => {
      const x = w - (history.length - 1 - i) * (w / (HISTORY - 1));
      const y = hgt - 4 - (pick(p) / max) * (hgt - 12);
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.stroke();
    g.fillStyle = color;
    g.fillText(`max ${max}`, 6, color === "#2563eb" ? 12 : 26);
  };
  line((p) => p.sessions, "#2563eb");
  line((p) => p.notifications, "#f59e0b");
}
