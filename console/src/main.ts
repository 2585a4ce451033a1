// imsdk console: sign in, then settings, accounts, live view and status query of one app.
import "./style.css";
import { api, ApiError } from "./api";
import { h } from "./dom";
import { settingsView } from "./settings";
import { accountsView } from "./accounts";
import { liveView } from "./live";
import { queryView } from "./query";

const root = document.getElementById("app")!;

interface Me {
  sdk_app_id: number;
  admin: string;
}

function signIn(): void {
  const sdk = h("input", { id: "sdk_app_id", name: "sdk_app_id", inputmode: "numeric", required: true }) as HTMLInputElement;
  const admin = h("input", { id: "admin", name: "admin", value: "administrator", required: true }) as HTMLInputElement;
  const secret = h("input", { id: "secret", name: "secret", type: "password", required: true, autocomplete: "off" }) as HTMLInputElement;
  const kind = h("select", { id: "kind" }, h("option", { value: "secret_key" }, "secret key"), h("option", { value: "user_sig" }, "admin UserSig")) as HTMLSelectElement;
  const error = h("p", { class: "notice err", role: "alert" });
  const form = h(
    "form",
    { class: "card signin", id: "signin" },
    h("h1", {}, "imsdk console"),
    h("p", { class: "muted" }, "Sign in with the app's admin identifier and its secret key or an admin UserSig."),
    h("label", { class: "field" }, h("span", {}, "SDKAppID"), sdk),
    h("label", { class: "field" }, h("span", {}, "Admin identifier"), admin),
    h("label", { class: "field" }, h("span", {}, "Credential"), kind),
    h("label", { class: "field" }, h("span", {}, "Secret key or UserSig"), secret),
    h("button", { type: "submit", id: "signin-button" }, "Sign in"),
    error,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    try {
      const me = await api<Me>("POST", "login", {
        sdk_app_id: Number(sdk.value),
        admin: admin.value,
        [kind.value]: secret.value,
      });
      secret.value = "";
      shell(me);
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
    }
  });
  root.replaceChildren(form);
}

const SECTIONS: [string, string, (host: HTMLElement) => void | (() => void)][] = [
  ["live", "Live", liveView],
  ["settings", "Settings", settingsView],
  ["accounts", "Accounts", accountsView],
  ["query", "Status query", queryView],
];

function shell(me: Me): void {
  const main = h("main", { id: "main" });
  let stop: void | (() => void);
  const nav = h("nav", {});
  const show = (id: string) => {
    if (stop) stop();
    main.replaceChildren();
    for (const b of nav.querySelectorAll("button")) b.classList.toggle("active", b.dataset.section === id);
    const entry = SECTIONS.find((s) => s[0] === id) ?? SECTIONS[0];
    stop = entry[2](main);
    location.hash = entry[0];
  };
  for (const [id, label] of SECTIONS) {
    nav.append(h("button", { "data-section": id, id: `nav-${id}`, onclick: () => show(id) }, label));
  }
  const out = h("button", {
    class: "link",
    id: "signout",
    onclick: async () => {
      if (stop) stop();
      await api("POST", "logout").catch(() => undefined);
      signIn();
    },
  }, "Sign out");
  root.replaceChildren(
    h("header", {}, h("strong", {}, "imsdk console"), h("span", { class: "muted", id: "whoami" }, `app ${me.sdk_app_id} · ${me.admin}`), nav, out),
    main,
  );
  show(location.hash.slice(1) || "live");
}

// A live cookie skips the sign-in form.
api<{ sdk_app_id: number; admin: string }>("GET", "settings")
  .then((s) => shell(s))
  .catch((e) => {
    if (!(e instanceof ApiError) || e.status !== 401) console.error(e);
    signIn();
  });
