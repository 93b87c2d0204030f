// Debug sessions of failing methods: source, error, traceback; the DEBUGGER's fix, retry, close.
// What the last action on a session answered stays under it when the list is drawn again.

import { get, post, seg } from "./api.js";
import { h, fill, pretty, when, debounce } from "./dom.js";
import * as events from "./events.js";
import { registerPanel, onShow, showPanel, setTitle } from "./panels.js";

export class Debugger {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("debug", "Debug");
    this.proto = "";
    this.list = h("div", { id: "debug-sessions" });
    this.outcomes = new Map(); // session id → {verb, outcome: pending|answer|error, text}
    fill(this.body, h("div", { class: "row buttons" }, h("button", { type: "button", onclick: () => this.refresh() }, "Reload")), this.list);
    onShow("debug", () => this.refresh());
    const later = debounce(() => {
      if (!this.body.closest("section").hidden) this.refresh();
    }, 200);
    events.on("methodRaised", later);
    events.on("emitted", (event) => {
      if (String(event.name).startsWith("debug.")) later(); // opened, fixed, unfixed
    });
  }

  open(proto = "") {
    this.proto = proto;
    setTitle("debug", proto ? `Debug — ${proto}` : "Debug");
    showPanel("debug");
  }

  async refresh() {
    try {
      const { sessions } = await get("/debug");
      const shown = sessions.filter((s) => !this.proto || s.proto === this.proto || s.owner === this.proto);
      fill(this.list, shown.length ? shown.map((s) => this.session(s))
        : h("p", { class: "hint" }, this.proto ? `No debug sessions for ${this.proto}.` : "No debug sessions."));
    } catch (error) {
      fill(this.list, h("p", { class: "error", role: "alert" }, error.message));
    }
  }

  session(s) {
    const shown = this.outcomes.get(s.id);
    const out = h("pre", { class: `result${shown && shown.outcome === "error" ? " error" : ""}`, role: "status",
      dataset: shown ? { verb: shown.verb, outcome: shown.outcome } : {} }, shown ? shown.text : "");
    const action = (verb, body) => async () => {
      this.outcomes.set(s.id, { verb, outcome: "pending", text: `${verb}…` });
      Object.assign(out.dataset, { verb, outcome: "pending" });
      out.textContent = `${verb}…`;
      try {
        const answer = await post(`/debug/${seg(String(s.id))}/${verb}`, body);
        this.outcomes.set(s.id, { verb, outcome: "answer", text: pretty(answer) });
      } catch (error) {
        this.outcomes.set(s.id, { verb, outcome: "error",
          text: error.message + (error.body && error.body.traceback ? `\n${error.body.traceback}` : "") });
      }
      await this.refresh();
    };
    return h("article", { class: "debug-session", dataset: { session: String(s.id), status: s.status } },
      h("h3", {}, `#${s.id} ${s.proto}>>${s.selector} · ${s.status}`),
      h("p", { class: "hint" }, `${s.owner !== s.proto ? `method of ${s.owner} · ` : ""}${when(s.openedAt)}`),
      h("p", { class: "error debug-error" }, s.error),
      s.traceback ? h("details", { class: "debug-traceback" }, h("summary", {}, "Traceback"), h("pre", { class: "text" }, s.traceback)) : null,
      h("details", { class: "debug-args" }, h("summary", {}, "Arguments"), h("pre", { class: "json" }, pretty(s.args))),
      h("details", { class: "debug-source", open: true }, h("summary", {}, "Source"), h("pre", { class: "code" }, s.source)),
      s.status === "open" ? h("div", { class: "row buttons" },
        h("button", { type: "button", dataset: { action: "fix" }, onclick: action("fix") }, "Ask the DEBUGGER to fix"),
        h("button", { type: "button", dataset: { action: "retry" }, onclick: action("retry") }, "Retry"),
        h("button", { type: "button", dataset: { action: "edit" }, onclick: () => this.ui.edit(s.owner, s.selector) }, "Edit the method"),
        h("button", { type: "button", dataset: { action: "close" }, onclick: action("close", {}) }, "Close")) : null,
      shown ? h("p", { class: "hint" }, `${shown.verb}: ${shown.outcome === "pending" ? "…" : shown.outcome === "error" ? "failed" : "answered"}`) : null,
      out);
  }
}
