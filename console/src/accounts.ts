// Accounts: import, list and search with paging, one account's detail, friends.
import { api, STATUS_NAMES, UserStatus } from "./api";
import { h, input, notice } from "./dom";

const PAGE = 50;

interface Detail {
  id: string;
  account: { status: UserStatus; devices: string[]; friends: string[]; subscriptions: string[] };
}

export function accountsView(host: HTMLElement): void {
  const msg = notice();
  const ids = h("textarea", { id: "import-ids", rows: 3, placeholder: "alice, bob or one per line" }) as HTMLTextAreaElement;
  const importForm = h("form", { id: "import-form", class: "row" }, ids, h("button", { type: "submit", id: "import-button" }, "Import"));
  const search = input("account-search");
  search.placeholder = "search identifiers";
  const list = h("ul", { id: "account-list", class: "list" });
  const pager = h("div", { class: "row pager" });
  const detail = h("div", { id: "account-detail" });
  let page = 0;

  importForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const wanted = ids.value.split(/[\s,]+/).filter(Boolean);
    try {
      const r = await api<{ imported: number; failed: { id: string; error: string }[] }>("POST", "accounts", { ids: wanted });
      const failed = r.failed.map((f) => `${f.id}: ${f.error}`).join("; ");
      msg.ok(`Imported ${r.imported}${failed ? `; failed ${failed}` : ""}.`);
      ids.value = "";
      load();
    } catch (e) {
      msg.fail(e);
    }
  });
  let timer: number | undefined;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => ((page = 0), load()), 200);
  });

  async function load() {
    try {
      const r = await api<{ total: number; ids: string[] }>("GET", `accounts?q=${encodeURIComponent(search.value)}&page=${page}&size=${PAGE}`);
      list.replaceChildren(...r.ids.map((id) => h("li", {}, h("button", { class: "link", onclick: () => show(id) }, id))));
      const pages = Math.max(1, Math.ceil(r.total / PAGE));
      pager.replaceChildren(
        h("button", { disabled: page === 0, onclick: () => (page--, load()) }, "‹ Prev"),
        h("span", { id: "account-total" }, `${r.total} account${r.total === 1 ? "" : "s"} · page ${page + 1} of ${pages}`),
        h("button", { disabled: page + 1 >= pages, onclick: () => (page++, load()) }, "Next ›"),
      );
    } catch (e) {
      msg.fail(e);
    }
  }

  async function show(id: string) {
    try {
      const d = await api<Detail>("GET", `accounts/${encodeURIComponent(id)}`);
      const a = d.account;
      const friend = input("friend-id");
      friend.placeholder = "friend's identifier";
      const change = async (add: boolean) => {
        try {
          await api("POST", "friends", { from: id, to: friend.value, add });
          msg.ok(`${add ? "Added" : "Removed"} ${friend.value} ${add ? "to" : "from"} ${id}'s friends (both ways).`);
          show(id);
        } catch (e) {
          msg.fail(e);
        }
      };
      detail.replaceChildren(
        h("h3", {}, id),
        h("dl", {},
          h("dt", {}, "Status"), h("dd", { id: "detail-status" }, STATUS_NAMES[a.status.user_status_status_type] ?? "?"),
          h("dt", {}, "Devices"), h("dd", {}, a.devices.join(", ") || "—"),
          h("dt", {}, "Custom status"), h("dd", {}, a.status.user_status_custom_status || "—"),
          h("dt", {}, "Friends"), h("dd", { id: "detail-friends" }, a.friends.join(", ") || "—"),
          h("dt", {}, "Subscriptions"), h("dd", {}, a.subscriptions.join(", ") || "—"),
        ),
        h("div", { class: "row" }, friend,
          h("button", { id: "friend-add", onclick: () => change(true) }, "Add friend"),
          h("button", { id: "friend-remove", class: "secondary", onclick: () => change(false) }, "Remove friend")),
      );
    } catch (e) {
      msg.fail(e);
    }
  }

  host.append(
    h("section", { class: "card" }, h("h2", {}, "Import accounts"), importForm, msg.el),
    h("section", { class: "card split" },
      h("div", {}, h("h2", {}, "Accounts"), search, list, pager),
      h("div", {}, detail)),
  );
  load();
}
