// The change log: who changed what (architect, forge, debugger, strategic, ascension, …),
// why, the diff of each change, and a rollback to any change. Live from the event stream.

import { get, post, seg } from "./api.js";
import { h, fill, pretty, debounce, when } from "./dom.js";
import * as events from "./events.js";
import { registerPanel, onShow, showPanel, setTitle } from "./panels.js";
import { subjects } from "./inspector.js";

const CHANGES = new Set(["protoCreated", "protoSwapped", "methodInstalled", "methodRemoved", "slotChanged", "rolledBack"]);

export class ChangeLog {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("changes", "Change log");
    this.proto = h("input", { type: "text", id: "changes-proto", placeholder: "all protos" });
    this.subject = h("input", { type: "text", id: "changes-subject", placeholder: "e.g. method:research" });
    this.list = h("ol", { id: "changes", class: "changes", reversed: true });
    fill(this.body,
      h("form", { class: "row", onsubmit: (event) => { event.preventDefault(); this.refresh(); } },
        h("label", { for: "changes-proto" }, "Proto"), this.proto,
        h("label", { for: "changes-subject" }, "Subject"), this.subject,
        h("button", { type: "submit" }, "Show")),
      this.list);
    onShow("changes", () => this.refresh());
    const later = debounce(() => {
      if (!this.body.closest("section").hidden) this.refresh();
    }, 300);
    events.on("*", (event) => {
      if (CHANGES.has(event.event)) later();
    });
  }

  open(proto = "", subject = "") {
    this.proto.value = proto;
    this.subject.value = subject;
    setTitle("changes", proto ? `Change log — ${proto}` : "Change log");
    showPanel("changes");
  }

  async refresh() {
    const query = new URLSearchParams({ limit: "100" });
    if (this.proto.value.trim()) query.set("proto", this.proto.value.trim());
    if (this.subject.value.trim()) query.set("subject", this.subject.value.trim());
    try {
      const changes = (await get(`/history?${query}`)).slice().sort((a, b) => b.id - a.id); // newest first
      fill(this.list, changes.length ? changes.map((c) => this.row(c)) : h("li", { class: "hint" }, "No changes."));
    } catch (error) {
      fill(this.list, h("li", { class: "error", role: "alert" }, error.message));
    }
  }

  row(c) {
    const error = h("span", { class: "error", role: "alert" });
    const deltas = Array.isArray(c.deltas) ? c.deltas : [];
    return h("li", { class: "change", dataset: { change: String(c.id), author: c.author } },
      h("div", { class: "change-head" },
        h("strong", {}, `#${c.id}`), " ", h("span", { class: `author author-${c.author}` }, c.author), " ",
        h("code", {}, c.proto), " ", subjects(c).join(", ") || c.kind || "",
        h("span", { class: "hint" }, ` · v${c.protoVersion ?? c.to_version ?? "?"} · ${when(c.at)}`)),
      c.reason ? h("p", { class: "reason" }, c.reason) : null,
      deltas.length ? h("details", {}, h("summary", {}, "Diff"), deltas.map((d) => h("div", { class: "delta" },
        h("code", {}, d.subject),
        h("pre", { class: "before" }, d.absentBefore ? "(absent)" : show(d.before)),
        h("pre", { class: "after" }, d.absentAfter ? "(absent)" : show(d.after))))) : null,
      h("button", { type: "button", "aria-label": `Roll ${c.proto} back to change ${c.id}`, onclick: async () => {
        error.textContent = "";
        try {
          await post(`/protos/${seg(c.proto)}/rollback?to=${encodeURIComponent(c.id)}`);
          this.ui.notify(`${c.proto} rolled back to change ${c.id}.`);
          this.refresh();
        } catch (failure) {
          error.textContent = failure.message;
        }
      } }, "Roll back to here"), error);
  }
}

function show(value) {
  if (value && typeof value === "object" && typeof value.source === "string") return value.source;
  return typeof value === "string" ? value : pretty(value);
}
