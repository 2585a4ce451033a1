// A few DOM helpers: the console is small enough for plain TypeScript.

type Attrs = Record<string, string | boolean | number | EventListener | undefined>;

export function h(tag: string, attrs: Attrs = {}, ...children: (Node | string | null)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") (el as HTMLInputElement).value = String(v);
    else if (k === "checked") (el as HTMLInputElement).checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

export function field(label: string, input: HTMLElement, hint = ""): HTMLElement {
  return h("label", { class: "field" }, h("span", {}, label), input, hint ? h("small", {}, hint) : null);
}

/// A message line that shows the outcome of an action.
export function notice(): { el: HTMLElement; ok(msg: string): void; fail(e: unknown): void } {
  const el = h("p", { class: "notice", role: "status" });
  return {
    el,
    ok(msg) {
      el.className = "notice ok";
      el.textContent = msg;
    },
    fail(e) {
      el.className = "notice err";
      el.textContent = e instanceof Error ? e.message : String(e);
    },
  };
}

export function input(id: string, value: string | number = "", type = "text"): HTMLInputElement {
  return h("input", { id, name: id, type, value }) as HTMLInputElement;
}
