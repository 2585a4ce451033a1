// Basic and feature settings: applied at once by the server and kept in its state file.
import { api, Settings } from "./api";
import { field, h, input, notice } from "./dom";

const LIMITS: [keyof Settings["limits"], string][] = [
  ["custom_status_max_bytes", "Custom status, max bytes"],
  ["get_max_ids", "Ids per status query"],
  ["subscribe_max_ids", "Ids per subscribe call"],
  ["subscription_max", "Subscriptions per account"],
  ["rate_calls", "Calls per rate window"],
  ["rate_window_s", "Rate window (s)"],
  ["subscription_retention_s", "Subscription retention (s)"],
];

export function settingsView(host: HTMLElement): void {
  const msg = notice();
  host.append(h("section", { class: "card" }, h("h2", {}, "Settings"), h("p", { class: "muted" }, "Loading…")));
  api<{ settings: Settings }>("GET", "settings")
    .then(({ settings }) => render(settings))
    .catch((e) => msg.fail(e));

  function render(s: Settings) {
    const plan = h("select", { id: "plan" }, h("option", { value: "basic" }, "Basic"), h("option", { value: "ultimate" }, "Ultimate")) as HTMLSelectElement;
    plan.value = s.plan;
    const status = h("input", { id: "user_status_enabled", type: "checkbox", checked: s.user_status_enabled }) as HTMLInputElement;
    const friends = h("input", { id: "friend_status_notify", type: "checkbox", checked: s.friend_status_notify }) as HTMLInputElement;
    const heartbeat = input("heartbeat_timeout_s", s.heartbeat_timeout_s, "number");
    const policy = h("select", { id: "login_policy" }, h("option", { value: "multi" }, "Several sessions per account"), h("option", { value: "one_per_platform" }, "One session per platform (kick)")) as HTMLSelectElement;
    policy.value = s.login_policy;
    const limits = LIMITS.map(([k, label]) => [k, label, input(`limit_${k}`, s.limits[k], "number")] as const);

    const save = async (change: Partial<Settings>, what: string) => {
      try {
        const { settings } = await api<{ settings: Settings }>("PUT", "settings", change);
        msg.ok(`${what} saved; in effect now.`);
        status.checked = settings.user_status_enabled;
      } catch (e) {
        msg.fail(e);
      }
    };
    // The switches apply as soon as they are flipped, as in Tencent's console.
    status.addEventListener("change", () => save({ user_status_enabled: status.checked }, status.checked ? "User status on" : "User status off"));
    friends.addEventListener("change", () => save({ friend_status_notify: friends.checked }, "Friend notification"));

    const form = h(
      "form",
      { id: "settings-form" },
      h("h3", {}, "Basic"),
      field("Plan", plan, "Only Ultimate may query and subscribe to other users (else 7013)."),
      field("Heartbeat timeout (s)", heartbeat),
      field("Login policy", policy),
      h("h3", {}, "Limits"),
      h("div", { class: "grid" }, ...limits.map(([, label, el]) => field(label, el))),
      h("button", { type: "submit", id: "save-settings" }, "Save"),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      save(
        {
          plan: plan.value as Settings["plan"],
          heartbeat_timeout_s: Number(heartbeat.value),
          login_policy: policy.value as Settings["login_policy"],
          limits: Object.fromEntries(limits.map(([k, , el]) => [k, Number(el.value)])) as unknown as Settings["limits"],
        },
        "Settings",
      );
    });
    const hookMsg = notice();
    const hook = input("callback_url", s.callback_url, "url");
    hook.placeholder = "https://example.com/imsdk-callback (empty: none)";
    const hookForm = h(
      "form",
      { id: "callback-form" },
      field("State-change callback URL", hook, "Every Login, Logout, Disconnect and custom-status change is POSTed here (State.StateChange)."),
      h("div", { class: "row" },
        h("button", { type: "submit", id: "save-callback" }, "Save"),
        h("button", { type: "button", class: "secondary", id: "test-callback", onclick: async () => {
          try {
            const r = await api<{ status: number; ms: number; tencent_ok: boolean }>("POST", "callback/test");
            const form = r.tencent_ok ? "Tencent's OK answer" : "not Tencent's OK answer";
            hookMsg.ok(`Test event sent: HTTP ${r.status} in ${r.ms} ms, ${form}.`);
          } catch (e) {
            hookMsg.fail(e);
          }
        } }, "Send test event")),
      hookMsg.el,
    );
    hookForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await api("PUT", "settings", { callback_url: hook.value.trim() });
        hookMsg.ok(hook.value.trim() ? "Callback URL saved; in effect now." : "Callback removed.");
      } catch (e) {
        hookMsg.fail(e);
      }
    });
    host.replaceChildren(
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Feature switches"),
        h("label", { class: "switch" }, status, h("span", {}, "Enable user status query and status change notification"), h("small", {}, "Off: status calls on others answer 72001.")),
        h("label", { class: "switch" }, friends, h("span", {}, "Automatic friend status notification")),
        msg.el,
      ),
      h("section", { class: "card" }, h("h2", {}, "Settings"), form),
      h("section", { class: "card" }, h("h2", {}, "Callback"), hookForm),
    );
  }
}
