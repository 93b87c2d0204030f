// Send a message to a proto: POST /protos/{p}/send/{selector} with a JSON argument.

import { post, get, seg } from "./api.js";
import { h, fill, pretty, parseJSON } from "./dom.js";
import { registerPanel, setTitle, showPanel } from "./panels.js";

export class Sender {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("send", "Send");
    this.proto = h("input", { type: "text", id: "send-proto", autocomplete: "off" });
    this.selector = h("input", { type: "text", id: "send-selector", autocomplete: "off", list: "send-selectors" });
    this.selectors = h("datalist", { id: "send-selectors" });
    this.args = h("textarea", { id: "send-args", rows: 4, class: "json-input", spellcheck: "false" }, "null");
    this.answer = h("pre", { id: "send-answer", class: "result", role: "status" });
    this.error = h("pre", { id: "send-error", class: "error", role: "alert" });
    this.missing = h("div", { id: "send-missing", class: "missing", hidden: true });
    fill(this.body,
      h("form", { onsubmit: (event) => { event.preventDefault(); this.send(); } },
        h("div", { class: "row" }, h("label", { for: "send-proto" }, "To"), this.proto,
          h("label", { for: "send-selector" }, "Message"), this.selector, this.selectors),
        h("label", { for: "send-args" }, "Argument (JSON)"), this.args,
        h("div", { class: "row buttons" }, h("button", { type: "submit", class: "primary", id: "send-button" }, "Send"))),
      this.error, this.missing, this.answer);
  }

  async open(proto, { selector, args } = {}) {
    this.proto.value = proto;
    if (selector !== undefined) this.selector.value = selector;
    if (args !== undefined) this.args.value = pretty(args);
    setTitle("send", `Send — ${proto}`);
    showPanel("send");
    this.selector.focus();
    try {
      const d = await get(`/protos/${seg(proto)}`);
      const selectors = [...Object.keys(d.methods || {}), ...Object.keys(d.inheritedMethods || {})].sort();
      fill(this.selectors, selectors.map((s) => h("option", { value: s })));
    } catch {
      fill(this.selectors);
    }
  }

  async send() {
    this.error.textContent = "";
    this.answer.textContent = "";
    const args = parseJSON(this.args.value.trim() || "null");
    if (args.error) {
      this.error.textContent = `Argument: ${args.error}`;
      return;
    }
    const proto = this.proto.value.trim();
    const selector = this.selector.value.trim();
    if (!proto || !selector) {
      this.error.textContent = "Name the proto and the message.";
      return;
    }
    this.missing.hidden = true;
    this.answer.textContent = `${proto} is thinking…`;
    try {
      const { answer } = await post(`/protos/${seg(proto)}/send/${seg(selector)}`, args.value);
      this.answer.textContent = pretty(answer);
      if (answer && typeof answer === "object" && answer.status === "not understood") this.offerMissing(proto, selector, args.value);
    } catch (error) {
      this.answer.textContent = "";
      this.error.textContent = error.message + (error.body && error.body.traceback ? `\n${error.body.traceback}` : "");
    }
  }

  /** A message nobody understands: "Create" it yourself or let BRICK "Forge" it; then the message goes again. */
  offerMissing(proto, selector, args) {
    const description = h("input", { type: "text", id: "forge-description", value: `answer the message ${selector}` });
    const out = h("p", { class: "result", role: "status" });
    const again = () => {
      showPanel("send");
      this.proto.value = proto;
      this.selector.value = selector;
      this.args.value = pretty(args);
      this.send();
    };
    fill(this.missing,
      h("h3", {}, `${proto} does not understand ${selector}`),
      h("div", { class: "row buttons" },
        h("button", { type: "button", onclick: () => this.ui.editor.open(proto, selector, { onInstalled: again }) }, "Create"),
        h("label", { for: "forge-description" }, "What it should do"), description,
        h("button", { type: "button", onclick: async () => {
          out.textContent = "BRICK is forging it…";
          try {
            const result = await post("/forge", { proto, selector, description: description.value, example: args });
            if (result.change) {
              out.textContent = "Forged and installed; sending the message again.";
              again();
            } else {
              out.textContent = `No attempt passed: ${pretty(result.attempts)}`;
            }
          } catch (error) {
            out.textContent = error.message;
          }
        } }, "Forge")),
      out);
    this.missing.hidden = false;
  }
}
