// The method editor: Lua source; "Try" runs the candidate on a clone with JSON arguments
// (nothing changes); "Install" is a compare-and-swap over the version the edit started from
// (If-Match): a compile error (400 compileFailed) is shown inline and nothing changes, a
// conflict (409) shows what changed meanwhile.

import { api, get, seg } from "./api.js";
import { h, fill, pretty, parseJSON } from "./dom.js";
import * as events from "./events.js";
import { registerPanel, setTitle, showPanel } from "./panels.js";

export class Editor {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("editor", "Method editor");
    this.version = 0;
    this.proto = h("input", { type: "text", id: "editor-proto", autocomplete: "off", spellcheck: "false" });
    this.selector = h("input", { type: "text", id: "editor-selector", autocomplete: "off", spellcheck: "false" });
    this.source = h("textarea", { id: "editor-source", rows: 14, spellcheck: "false", class: "code" });
    this.args = h("textarea", { id: "editor-args", rows: 2, spellcheck: "false", class: "json-input" }, "null");
    this.versionLabel = h("span", { id: "editor-version", class: "version" }, "new method");
    this.doc = h("p", { class: "doc", id: "editor-doc" });
    this.result = h("pre", { id: "editor-result", class: "result", role: "status", "aria-live": "polite" });
    this.error = h("pre", { id: "editor-error", class: "error", role: "alert" });
    this.conflict = h("div", { id: "editor-conflict", class: "conflict", hidden: true });
    fill(this.body,
      h("div", { class: "row" },
        h("label", { for: "editor-proto" }, "Proto"), this.proto,
        h("label", { for: "editor-selector" }, "Selector"), this.selector,
        h("button", { type: "button", id: "editor-load", onclick: () => this.load(this.proto.value.trim(), this.selector.value.trim()) }, "Load")),
      h("p", {}, "Version: ", this.versionLabel), this.doc,
      h("label", { for: "editor-source" }, "Lua source"), this.source,
      h("label", { for: "editor-args" }, "Arguments for Try (JSON)"), this.args,
      h("div", { class: "row buttons" },
        h("button", { type: "button", id: "editor-try", onclick: () => this.try() }, "Try"),
        h("button", { type: "button", id: "editor-install", class: "primary", onclick: () => this.install() }, "Install")),
      this.error, this.conflict, this.result);
    events.on("methodInstalled", (event) => {
      if (event.proto === this.proto.value.trim() && event.selector === this.selector.value.trim() && event.version !== this.version) {
        this.showNote(`${event.proto}>>${event.selector} is now version ${event.version} (this edit started from version ${this.version}).`);
      }
    });
  }

  showNote(text) {
    this.result.textContent = text;
  }

  async open(proto, selector, { onInstalled } = {}) {
    this.onInstalled = onInstalled;
    setTitle("editor", selector ? `Method editor — ${proto}>>${selector}` : `Method editor — ${proto}`);
    showPanel("editor");
    await this.load(proto, selector);
    (selector ? this.source : this.selector).focus();
  }

  async load(proto, selector) {
    this.proto.value = proto;
    this.selector.value = selector;
    this.error.textContent = "";
    this.result.textContent = "";
    this.conflict.hidden = true;
    if (!selector) {
      this.setVersion(0);
      this.source.value = "-- args: the message's argument; self: the receiver\nreturn args\n";
      this.doc.textContent = "";
      return;
    }
    try {
      const method = await get(`/protos/${seg(proto)}/methods/${seg(selector)}`);
      this.source.value = method.source;
      this.doc.textContent = method.doc || "";
      this.setVersion(method.version);
    } catch (error) {
      if (error.status === 404 || error.code === "noSuchMethod") {
        this.setVersion(0);
        this.source.value = "-- args: the message's argument; self: the receiver\nreturn args\n";
        this.doc.textContent = "";
        this.result.textContent = `${proto} has no method ${selector} of its own yet: Install creates it.`;
      } else {
        this.error.textContent = error.message;
      }
    }
  }

  setVersion(version) {
    this.version = version;
    this.versionLabel.textContent = version ? String(version) : "new method";
    this.versionLabel.dataset.version = String(version);
  }

  target() {
    return [seg(this.proto.value.trim()), seg(this.selector.value.trim())];
  }

  async try() {
    this.error.textContent = "";
    this.result.textContent = "";
    const args = parseJSON(this.args.value.trim() || "null");
    if (args.error) {
      this.error.textContent = `Arguments: ${args.error}`;
      return;
    }
    const [proto, selector] = this.target();
    this.result.textContent = "trying on a clone…";
    try {
      const { answer } = await api("POST", `/protos/${proto}/methods/${selector}/try`, { json: { source: this.source.value, args: args.value } });
      this.result.textContent = `Answer (on a clone, nothing changed):\n${pretty(answer)}`;
      this.result.dataset.outcome = "answer";
    } catch (error) {
      this.result.textContent = "";
      this.error.textContent = error.message + (error.body && error.body.traceback ? `\n${error.body.traceback}` : "");
      this.error.dataset.code = error.code || "";
    }
  }

  async install() {
    this.error.textContent = "";
    this.result.textContent = "";
    this.conflict.hidden = true;
    delete this.error.dataset.code;
    const [proto, selector] = this.target();
    if (!selector) {
      this.error.textContent = "Give the method a selector.";
      return;
    }
    try {
      const answer = await api("PUT", `/protos/${proto}/methods/${selector}`, {
        text: this.source.value, headers: { "If-Match": String(this.version) },
      });
      if (typeof answer.version === "number") this.setVersion(answer.version);
      this.result.textContent = answer.change ? `Installed: version ${this.version}.` : `Unchanged: version ${this.version} has this source already.`;
      this.result.dataset.outcome = "installed";
      if (this.onInstalled) {
        const then = this.onInstalled;
        this.onInstalled = null;
        then();
      }
    } catch (error) {
      this.error.dataset.code = error.code || "";
      if (error.code === "conflict") this.showConflict(error);
      else this.error.textContent = (error.code === "compileFailed" ? "Compile error — nothing changed:\n" : "") + error.message;
    }
  }

  showConflict(error) {
    const current = error.body && error.body.current;
    this.error.textContent = error.message;
    fill(this.conflict,
      h("h3", {}, "Changed meanwhile"),
      current ? h("p", {}, `Now version ${current.version}:`) : h("p", {}, "The method is gone."),
      current ? h("pre", { class: "code" }, current.source) : null,
      h("button", { type: "button", onclick: () => {
        if (current) this.setVersion(current.version);
        this.conflict.hidden = true;
        this.error.textContent = "";
        this.result.textContent = `Your edit now goes over version ${this.version}; Install to replace it.`;
      } }, "Keep my edit over it"),
      h("button", { type: "button", onclick: () => this.load(this.proto.value.trim(), this.selector.value.trim()) }, "Load theirs"));
    this.conflict.hidden = false;
  }
}
