// Debug sessions of failing methods: source, error, traceback; the DEBUGGER's fix, retry, close.

import { get, post, seg } from "./api.js";
import { h, fill, pretty, when } from "./dom.js";
import * as events from "./events.js";
import { registerPanel, onShow, showPanel, setTitle } from "./panels.js";

export class Debugger {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("debug", "Debug");
    this.proto = "";
    this.list = h("div", { id: "debug-sessions" });
    fill(this.body, h("div", { class: "row buttons" }, h("button", { type: "button", onclick: () => this.refresh() }, "Reload")), this.list);
    onShow("debug", () => this.refresh());
    events.on("methodRaised", () => {
      if (!this.body.closest("section").hidden) this.refresh();
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
    const out = h("pre", { class: "result", role: "status" });
    const action = (verb, body) => async () => {
      out.textContent = `${verb}…`;
      try {
        const answer = await post(`/debug/${seg(String(s.id))}/${verb}`, body);
        out.textContent = pretty(answer);
        this.refresh();
      } catch (error) {
        out.textContent = error.message;
      }
    };
    return h("article", { class: "debug-session", dataset: { session: String(s.id), status: s.status } },
      h("h3", {}, `#${s.id} ${s.proto}>>${s.selector} · ${s.status}`),
      h("p", { class: "hint" }, `${s.owner !== s.proto ? `method of ${s.owner} · ` : ""}${when(s.openedAt)}`),
      h("p", { class: "error" }, s.error),
      s.traceback ? h("details", {}, h("summary", {}, "Traceback"), h("pre", { class: "text" }, s.traceback)) : null,
      h("details", {}, h("summary", {}, "Arguments"), h("pre", { class: "json" }, pretty(s.args))),
      h("details", { open: true }, h("summary", {}, "Source"), h("pre", { class: "code" }, s.source)),
      s.status === "open" ? h("div", { class: "row buttons" },
        h("button", { type: "button", onclick: action("fix") }, "Ask the DEBUGGER to fix"),
        h("button", { type: "button", onclick: action("retry") }, "Retry"),
        h("button", { type: "button", onclick: () => this.ui.edit(s.owner, s.selector) }, "Edit the method"),
        h("button", { type: "button", onclick: action("close", {}) }, "Close")) : null,
      out);
  }
}
