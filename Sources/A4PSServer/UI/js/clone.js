// The halo's Clone: an inline form beside the morph asks for the new proto's name, then
// POST /protos/{p}/clone {"name"}; the clone's morph joins the world next to its original.
// A refusal (the name is taken, not a valid name) is shown in the form; Escape or Cancel closes it.

import { post, seg } from "./api.js";
import { h } from "./dom.js";

export class CloneForm {
  constructor(world, ui) {
    this.world = world;
    this.ui = ui;
    this.element = null;
    this.original = null;
  }

  open(original) {
    this.close();
    const morph = this.world.morph(original);
    if (!morph) return;
    this.original = original;
    const input = h("input", { type: "text", id: "clone-name", autocomplete: "off", spellcheck: "false", required: true,
      value: suggestedName(original, this.world) });
    const error = h("p", { id: "clone-error", class: "error", role: "alert" });
    const submit = h("button", { type: "submit", class: "primary", id: "clone-submit" }, "Clone");
    this.element = h("form", { class: "clone-form", id: "clone-form", "aria-label": `Clone ${original}`,
      dataset: { original },
      onsubmit: async (event) => {
        event.preventDefault();
        const name = input.value.trim();
        error.textContent = "";
        if (!name) {
          error.textContent = "Give the clone a name.";
          return;
        }
        submit.disabled = true;
        try {
          await post(`/protos/${seg(original)}/clone`, { name });
          this.close();
          await this.world.showClone(name, original);
          this.ui.notify(`${original} cloned as ${name}.`);
        } catch (failure) {
          error.textContent = failure.message;
          submit.disabled = false;
          input.focus();
        }
      } },
    h("label", { for: "clone-name" }, `Name of the clone of ${original}`), input,
    h("div", { class: "row buttons" }, submit,
      h("button", { type: "button", id: "clone-cancel", onclick: () => this.close({ refocus: true }) }, "Cancel")),
    error);
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close({ refocus: true });
      }
    });
    const { x, y } = this.world.position(morph);
    this.element.style.left = `${x}px`;
    this.element.style.top = `${y + (morph.offsetHeight || 104) + 10}px`;
    this.world.element.append(this.element);
    input.focus();
    input.select();
  }

  close({ refocus = false } = {}) {
    const original = this.original;
    if (this.element) this.element.remove();
    this.element = null;
    this.original = null;
    if (refocus && original) this.world.focus(original);
  }
}

/** BRICK → BRICK2 (or the next number no proto has). */
function suggestedName(original, world) {
  const taken = new Set(world.protos.map((p) => p.name));
  for (let n = 2; n < 1000; n += 1) if (!taken.has(`${original}${n}`)) return `${original}${n}`;
  return "";
}
