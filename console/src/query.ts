// The REST query_online_status, from the page.
import { api } from "./api";
import { h, notice } from "./dom";

interface Result {
  QueryResult: { To_Account: string; Status: string; CustomStatus?: string; Detail?: { Platform: string }[] }[];
  ErrorList: { To_Account: string; ErrorCode: number }[];
}

export function queryView(host: HTMLElement): void {
  const msg = notice();
  const ids = h("input", { id: "query-ids", placeholder: "alice, bob" }) as HTMLInputElement;
  const table = h("table", { id: "query-result" });
  const form = h("form", { class: "row", id: "query-form" }, ids, h("button", { type: "submit", id: "query-button" }, "Query"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const r = await api<Result>("POST", "query", { ids: ids.value.split(/[\s,]+/).filter(Boolean) });
      table.replaceChildren(
        h("tr", {}, h("th", {}, "Account"), h("th", {}, "Status"), h("th", {}, "Devices"), h("th", {}, "Custom status")),
        ...r.QueryResult.map((q) =>
          h("tr", {}, h("td", {}, q.To_Account), h("td", { class: q.Status }, q.Status), h("td", {}, (q.Detail ?? []).map((d) => d.Platform).join(", ")), h("td", {}, q.CustomStatus ?? "")),
        ),
        ...r.ErrorList.map((e) => h("tr", { class: "err" }, h("td", {}, e.To_Account), h("td", { colspan: 3 }, `error ${e.ErrorCode}`))),
      );
      msg.ok("");
    } catch (e) {
      msg.fail(e);
    }
  });
  host.append(h("section", { class: "card" }, h("h2", {}, "Status query"), h("p", { class: "muted" }, "Same answer as the REST API's query_online_status (Online or Offline, devices, custom status)."), form, msg.el, table));
}
