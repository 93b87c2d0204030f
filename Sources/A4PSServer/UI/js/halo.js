// The halo (Lively/Squeak): a toolbar of handles around a morph, opened by a click in edit mode
// or the "h" key: Inspect, Send, Methods, Debug, History, Clone, Move. Arrow keys move between the
// handles (one tab stop, as the ARIA toolbar pattern), Escape closes it.

import { h } from "./dom.js";

export class Halo {
  constructor(world, ui) {
    this.world = world;
    this.ui = ui;
    this.target = null;
    this.element = null;
  }

  actions(name) {
    return [
      ["Inspect", "inspect", () => this.ui.inspect(name)],
      ["Send", "send", () => this.ui.send(name)],
      ["Methods", "methods", () => this.ui.methods(name)],
      ["Debug", "debug", () => this.ui.debug(name)],
      ["History", "history", () => this.ui.history(name)],
      ["Clone", "clone", () => this.world.startClone(name)],
      ["Move", "move", () => this.world.startMove(name)],
    ];
  }

  open(name, { focus = false } = {}) {
    this.close();
    const morph = this.world.morph(name);
    if (!morph) return;
    this.target = name;
    const buttons = this.actions(name).map(([label, key, run], index) => h("button", {
      type: "button", class: `halo-button halo-${key}`, tabindex: index === 0 ? "0" : "-1",
      "aria-label": `${label} ${name}`, dataset: { action: key },
      onclick: async () => {
        if (key !== "move") this.close({ refocus: false });
        await run();
        // Keyboard users stay on the morph unless the action took them somewhere.
        if (key !== "move" && (document.activeElement === document.body || !document.activeElement)) this.world.focus(name);
      },
    }, label));
    buttons.push(h("button", { type: "button", class: "halo-button halo-close", tabindex: "-1", "aria-label": `Close the halo of ${name}`,
      dataset: { action: "close" }, onclick: () => this.close({ refocus: true }) }, "×"));
    this.element = h("div", { class: "halo", role: "toolbar", "aria-label": `Halo of ${name}`, id: "halo" }, buttons);
    this.element.addEventListener("keydown", (event) => this.keydown(event, buttons));
    this.world.element.append(this.element);
    morph.dataset.halo = "open";
    this.position();
    if (focus) buttons[0].focus();
  }

  keydown(event, buttons) {
    const at = buttons.indexOf(document.activeElement);
    let next = null;
    if (event.key === "ArrowRight" || event.key === "ArrowDown") next = buttons[(at + 1) % buttons.length];
    if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = buttons[(at - 1 + buttons.length) % buttons.length];
    if (event.key === "Home") next = buttons[0];
    if (event.key === "End") next = buttons[buttons.length - 1];
    if (next) {
      event.preventDefault();
      for (const b of buttons) b.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      this.close({ refocus: true });
    }
  }

  position() {
    const morph = this.target && this.world.morph(this.target);
    if (!morph || !this.element) return;
    this.element.style.left = `${Math.max(0, (parseInt(morph.style.left, 10) || 0) - 14)}px`;
    this.element.style.top = `${Math.max(0, (parseInt(morph.style.top, 10) || 0) - 40)}px`;
  }

  close({ refocus = false } = {}) {
    const name = this.target;
    if (this.element) this.element.remove();
    this.element = null;
    this.target = null;
    const morph = name && this.world.morph(name);
    if (morph) {
      delete morph.dataset.halo;
      if (refocus) this.world.focus(name);
    }
  }
}
