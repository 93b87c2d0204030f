// The world: one morph per proto, absolutely positioned DOM elements (screen readers and tests
// see inside), draggable with pointer events; a morph's position is its proto's `morph` slot.
// Each morph is live from the event stream: idle / thinking (tokens in a bubble), its model
// loaded or not, a dissonance glow on every persona that took part in the deliberation. A clone
// (the halo's Clone) joins the world next to its original.

import { api, get, seg } from "./api.js";
import { h, fill } from "./dom.js";
import * as events from "./events.js";
import { Halo } from "./halo.js";
import { CloneForm } from "./clone.js";

export const PERSONAS = ["ALFRED", "BRICK", "ROBIN", "BABS"];
const DEFAULT_SHOWN = [...PERSONAS, "DEBUGGER"];
const SIZE = { w: 170, h: 104 };
// Where a morph stands until it is moved: ALFRED above the three he supervises, DEBUGGER below.
const HOME = { ALFRED: { x: 290, y: 30 }, BRICK: { x: 60, y: 210 }, ROBIN: { x: 290, y: 210 }, BABS: { x: 520, y: 210 }, DEBUGGER: { x: 290, y: 400 } };
const IDLE_AFTER_MS = 4000;

export class World {
  constructor(element, ui) {
    this.element = element;
    this.ui = ui;
    this.morphs = new Map();
    this.protos = [];
    this.editMode = false;
    this.idleTimers = new Map();
    this.halo = new Halo(this, ui);
    this.cloneForm = new CloneForm(this, ui);
    this.adding = new Map(); // name → the add() under way, so an event and a request never add a morph twice
    this.models = {};
  }

  /** Lists the protos and shows the personas, DEBUGGER and every proto placed before. */
  async load() {
    this.protos = await get("/protos");
    const names = new Set(this.protos.map((p) => p.name));
    const shown = this.protos.filter((p) => DEFAULT_SHOWN.includes(p.name) || p.slots.includes("morph"));
    shown.sort((a, b) => order(a.name) - order(b.name));
    let index = 0;
    for (const proto of shown) await this.add(proto.name, index++);
    this.fillAddList(names);
    this.refreshModels();
    this.listen();
    const first = this.element.querySelector(".morph");
    if (first) first.tabIndex = 0;
  }

  fillAddList() {
    const select = document.getElementById("add-proto");
    fill(select, h("option", { value: "" }, "…"),
      this.protos.filter((p) => !this.morphs.has(p.name)).map((p) => h("option", { value: p.name }, p.name)));
  }

  /** Shows proto `name` (on demand, from the "Show proto" list). */
  async show(name) {
    if (!this.morphs.has(name)) await this.add(name, this.morphs.size);
    this.fillAddList();
    this.focus(name);
  }

  /** Adds proto `name`'s morph once, however many callers ask at the same time. */
  add(name, index = this.morphs.size) {
    if (this.morphs.has(name)) return Promise.resolve();
    if (!this.adding.has(name)) {
      this.adding.set(name, this.create(name, index).finally(() => this.adding.delete(name)));
    }
    return this.adding.get(name);
  }

  async create(name, index) {
    let description = null;
    try {
      description = await get(`/protos/${seg(name)}`);
    } catch {
      description = { name, slots: {}, codex: null };
    }
    const saved = description.slots && description.slots.morph;
    let position = saved && Number.isFinite(saved.x) && Number.isFinite(saved.y)
      ? { x: saved.x, y: saved.y }
      : HOME[name] || { x: 60 + ((index - 5 + 15) % 3) * 230, y: 580 + Math.floor(Math.max(0, index - 5) / 3) * 150 };
    // A clone carries its original's place: it stands beside it instead of exactly on top of it.
    if ([...this.morphs.values()].some((m) => { const p = this.position(m); return p.x === position.x && p.y === position.y; })) {
      position = this.freeSpotBeside(position);
    }
    const role = description.codex && typeof description.codex === "object" && description.codex.role
      ? String(description.codex.role).split(/[,:]/)[0] : (description.parent ? `a ${description.parent}` : "proto");
    const morph = h("div", {
      class: "morph", role: "group", "aria-roledescription": "morph", tabindex: "-1",
      id: `morph-${name}`, dataset: { proto: name, state: "idle", model: "unknown", dissonant: "false" },
      style: `left:${position.x}px;top:${position.y}px`,
    },
    h("div", { class: "morph-name" }, name),
    h("div", { class: "morph-role" }, role),
    h("div", { class: "morph-status", "aria-hidden": "true" }, "idle"),
    h("div", { class: "morph-dissonance", "aria-hidden": "true" }),
    h("div", { class: "bubble", "aria-hidden": "true", hidden: true }));
    if (name === "BABS") this.ui.documents.attachTo(morph);
    this.element.append(morph);
    this.morphs.set(name, morph);
    this.label(morph);
    this.draggable(morph);
    this.keyboard(morph);
    this.dropTarget(morph);
  }

  morph(name) {
    return this.morphs.get(name);
  }

  // MARK: clones

  /** The halo's Clone: the inline form that asks for the new name. */
  startClone(name) {
    this.halo.close();
    this.cloneForm.open(name);
  }

  /** After POST /protos/{original}/clone: the clone's morph next to its original, its place kept. */
  async showClone(name, original) {
    this.protos = await get("/protos");
    await this.add(name);
    const morph = this.morphs.get(name);
    const beside = this.morphs.get(original);
    if (morph && beside) {
      const spot = this.freeSpotBeside(this.position(beside), morph);
      this.place(morph, spot.x, spot.y);
      await this.savePosition(morph);
    }
    this.fillAddList();
    this.focus(name);
  }

  /** Whether a morph (other than `except`) covers much of the place of a morph at `position`. */
  occupied(position, except = null) {
    for (const morph of this.morphs.values()) {
      if (morph === except) continue;
      const other = this.position(morph);
      if (Math.abs(other.x - position.x) < SIZE.w * 0.8 && Math.abs(other.y - position.y) < SIZE.h * 0.8) return true;
    }
    return false;
  }

  /** The first free place right of, left of, below or above `position` (further out when all are taken). */
  freeSpotBeside(position, except = null) {
    const dx = SIZE.w + 30;
    const dy = SIZE.h + 40;
    for (let ring = 1; ring < 8; ring += 1) {
      const spots = [[ring * dx, 0], [-ring * dx, 0], [0, ring * dy], [ring * dx, ring * dy], [-ring * dx, ring * dy], [0, -ring * dy]];
      for (const [x, y] of spots) {
        const spot = { x: position.x + x, y: position.y + y };
        if (spot.x >= 0 && spot.y >= 0 && !this.occupied(spot, except)) return spot;
      }
    }
    return { x: position.x + dx, y: position.y };
  }

  /** The morph's accessible name: "BRICK, thinking, model loaded, dissonant". */
  label(morph) {
    const parts = [morph.dataset.proto, morph.dataset.state];
    if (morph.dataset.model === "loaded") parts.push("model loaded");
    if (morph.dataset.model === "unloaded") parts.push("model not loaded");
    if (morph.dataset.dissonant === "true") parts.push("dissonant");
    morph.setAttribute("aria-label", parts.join(", "));
    const status = morph.querySelector(".morph-status");
    const model = morph.dataset.modelName ? ` · ${morph.dataset.modelName}${morph.dataset.model === "loaded" ? " (loaded)" : ""}` : "";
    status.textContent = morph.dataset.state + model;
  }

  focus(name) {
    const morph = this.morphs.get(name);
    if (!morph) return;
    for (const other of this.morphs.values()) other.tabIndex = -1;
    morph.tabIndex = 0;
    morph.focus();
    this.focused = name;
  }

  // MARK: dragging

  draggable(morph) {
    let start = null;
    morph.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || event.target.closest("button, input, a")) return;
      const rect = morph.getBoundingClientRect();
      start = { x: event.clientX, y: event.clientY, dx: event.clientX - rect.left, dy: event.clientY - rect.top, moved: false };
      morph.setPointerCapture(event.pointerId);
    });
    morph.addEventListener("pointermove", (event) => {
      if (!start) return;
      if (!start.moved && Math.hypot(event.clientX - start.x, event.clientY - start.y) < 4) return;
      start.moved = true;
      morph.dataset.dragging = "true";
      const world = this.element.getBoundingClientRect();
      this.place(morph, event.clientX - world.left - start.dx + this.element.scrollLeft,
        event.clientY - world.top - start.dy + this.element.scrollTop);
    });
    const end = (event) => {
      if (!start) return;
      const moved = start.moved;
      start = null;
      delete morph.dataset.dragging;
      if (morph.hasPointerCapture(event.pointerId)) morph.releasePointerCapture(event.pointerId);
      if (moved) this.savePosition(morph);
      else if (event.type === "pointerup") this.clicked(morph);
    };
    morph.addEventListener("pointerup", end);
    morph.addEventListener("pointercancel", end);
  }

  place(morph, x, y) {
    morph.style.left = `${Math.max(0, Math.round(x))}px`;
    morph.style.top = `${Math.max(0, Math.round(y))}px`;
    if (this.halo.target === morph.dataset.proto) this.halo.position();
  }

  position(morph) {
    return { x: parseInt(morph.style.left, 10) || 0, y: parseInt(morph.style.top, 10) || 0 };
  }

  /** Keeps the morph's place in the image: PUT /protos/{p}/slots/morph {"x","y"}. */
  async savePosition(morph) {
    const position = this.position(morph);
    morph.dataset.saving = "true";
    try {
      await api("PUT", `/protos/${seg(morph.dataset.proto)}/slots/morph`, { json: position });
      morph.dataset.saved = `${position.x},${position.y}`;
    } catch (error) {
      this.ui.notify(`Could not keep ${morph.dataset.proto}'s place: ${error.message}`);
    } finally {
      delete morph.dataset.saving;
    }
  }

  /** Use mode: a click talks to the morph; edit mode: a click opens its halo. */
  clicked(morph) {
    this.focus(morph.dataset.proto);
    if (this.editMode) this.halo.open(morph.dataset.proto);
    else this.ui.send(morph.dataset.proto);
  }

  setEditMode(on) {
    this.editMode = on;
    this.element.dataset.mode = on ? "edit" : "use";
    if (!on) this.halo.close();
  }

  // MARK: keyboard

  keyboard(morph) {
    morph.addEventListener("focus", () => { this.focused = morph.dataset.proto; });
    morph.addEventListener("keydown", (event) => {
      if (event.target !== morph) return;
      const name = morph.dataset.proto;
      if (morph.dataset.moving === "true") {
        const step = event.shiftKey ? 1 : 10;
        const { x, y } = this.position(morph);
        const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
        if (moves[event.key]) {
          event.preventDefault();
          this.place(morph, x + moves[event.key][0], y + moves[event.key][1]);
        } else if (event.key === "Enter" || event.key === "Escape") {
          event.preventDefault();
          this.endMove(morph);
        }
        return;
      }
      if (["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(event.key)) {
        event.preventDefault();
        const next = this.neighbour(morph, event.key);
        if (next) this.focus(next.dataset.proto);
      } else if ((event.key === "h" || event.key === "H") && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        this.halo.open(name, { focus: true });
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.clicked(morph);
      } else if (event.key === "Escape") {
        this.halo.close();
      }
    });
  }

  /** The nearest morph in the arrow's direction, else the next/previous one in order. */
  neighbour(morph, key) {
    const all = [...this.morphs.values()];
    const here = centre(morph);
    const dir = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
    let best = null;
    let bestScore = Infinity;
    for (const other of all) {
      if (other === morph) continue;
      const c = centre(other);
      const along = (c.x - here.x) * dir[0] + (c.y - here.y) * dir[1];
      if (along <= 0) continue;
      const across = Math.abs((c.x - here.x) * dir[1]) + Math.abs((c.y - here.y) * dir[0]);
      const score = along + 2 * across;
      if (score < bestScore) {
        bestScore = score;
        best = other;
      }
    }
    if (best) return best;
    const at = all.indexOf(morph);
    const forward = key === "ArrowRight" || key === "ArrowDown";
    return all[(at + (forward ? 1 : -1) + all.length) % all.length];
  }

  /** The halo's Move: arrow keys move the morph, Enter or Escape keeps the place. */
  startMove(name) {
    const morph = this.morphs.get(name);
    if (!morph) return;
    this.halo.close();
    morph.dataset.moving = "true";
    this.focus(name);
    this.ui.notify(`Moving ${name}: arrow keys move it (Shift: 1 px), Enter keeps the place.`);
  }

  endMove(morph) {
    delete morph.dataset.moving;
    this.savePosition(morph);
    this.ui.notify(`${morph.dataset.proto} stays at ${this.position(morph).x}, ${this.position(morph).y}.`);
  }

  // MARK: files dropped on morphs

  dropTarget(morph) {
    morph.addEventListener("dragover", (event) => {
      if (!event.dataTransfer || ![...event.dataTransfer.types].includes("Files")) return;
      event.preventDefault();
      morph.dataset.droptarget = "true";
    });
    morph.addEventListener("dragleave", () => delete morph.dataset.droptarget);
    morph.addEventListener("drop", (event) => {
      delete morph.dataset.droptarget;
      const file = event.dataTransfer && event.dataTransfer.files[0];
      if (!file) return;
      event.preventDefault();
      if (morph.dataset.proto === "BABS") this.ui.documents.ingest(file);
      else file.text().then((text) => this.ui.send(morph.dataset.proto, { args: { text, name: file.name } }));
    });
  }

  // MARK: live state

  listen() {
    events.on("modelToken", (event) => this.token(event));
    events.on("runStopped", (event) => {
      for (const morph of this.morphs.values()) this.setState(morph, "idle");
      this.dissonanceOf(event.run);
    });
    events.on("modelLoaded", () => this.refreshModels());
    events.on("protoCreated", async (event) => {
      this.protos = await get("/protos");
      // A proto created with a place (a clone made elsewhere carries its original's) joins the world.
      const created = this.protos.find((p) => p.name === event.proto);
      if (created && created.slots.includes("morph")) await this.add(created.name);
      this.fillAddList();
    });
    events.on("slotChanged", (event) => {
      if (event.slot !== "morph") return;
      const morph = this.morphs.get(event.proto);
      if (!morph || morph.dataset.dragging || morph.dataset.moving || morph.dataset.saving) return;
      get(`/protos/${seg(event.proto)}/slots/morph`).then(({ value }) => {
        if (value && Number.isFinite(value.x) && !morph.dataset.dragging) this.place(morph, value.x, value.y);
      }).catch(() => {});
    });
  }

  token(event) {
    const morph = this.morphs.get(String(event.persona || "").toUpperCase());
    if (!morph) return;
    this.setState(morph, "thinking");
    const bubble = morph.querySelector(".bubble");
    if (bubble.dataset.run !== event.run) {
      bubble.dataset.run = event.run;
      bubble.textContent = "";
    }
    bubble.hidden = false;
    bubble.textContent = (bubble.textContent + event.text).slice(-280);
    clearTimeout(this.idleTimers.get(morph));
    this.idleTimers.set(morph, setTimeout(() => this.setState(morph, "idle"), IDLE_AFTER_MS));
  }

  setState(morph, state) {
    if (morph.dataset.state === state) return;
    morph.dataset.state = state;
    if (state === "idle") morph.querySelector(".bubble").hidden = true;
    this.label(morph);
  }

  /** A run's dissonance (GET /runs/{id}) against its threshold, on the personas of its dialogue (its last checkpoint's state). */
  async dissonanceOf(run) {
    try {
      const record = await get(`/runs/${seg(run)}`);
      if (typeof record.dissonance !== "number") return;
      const { checkpoints } = await get(`/runs/${seg(run)}/history`);
      const last = checkpoints[checkpoints.length - 1];
      const state = last && last.state && typeof last.state === "object" ? last.state : {};
      this.setDissonance(record.dissonance, state.dissonance_threshold, participants(state.dialogue), run);
    } catch {
      // a run that is gone has no glow
    }
  }

  /**
   * A deliberation's dissonance on every persona that took part (`personas`) and on ALFRED, who
   * measured it: a glow when it reaches the threshold, the number as text. The other personas'
   * marks, from an earlier run, are cleared.
   */
  setDissonance(value, threshold, personas = PERSONAS, run = "") {
    if (typeof value !== "number") return;
    const dissonant = typeof threshold === "number" ? value >= threshold : value >= 0.5;
    const taking = new Set([...personas, "ALFRED"]);
    for (const name of PERSONAS) {
      const morph = this.morphs.get(name);
      if (!morph) continue;
      const text = morph.querySelector(".morph-dissonance");
      if (taking.has(name)) {
        morph.dataset.dissonant = String(dissonant);
        morph.dataset.dissonance = value.toFixed(2);
        morph.dataset.dissonanceRun = run;
        text.textContent = `dissonance ${value.toFixed(2)}${dissonant ? " ⚠" : ""}`;
      } else {
        morph.dataset.dissonant = "false";
        delete morph.dataset.dissonance;
        delete morph.dataset.dissonanceRun;
        text.textContent = "";
      }
      this.label(morph);
    }
  }

  async refreshModels() {
    try {
      const models = await get("/models");
      this.models = models.personas || {};
    } catch {
      return;
    }
    for (const [role, binding] of Object.entries(this.models)) {
      const morph = this.morphs.get(role.toUpperCase());
      if (!morph) continue;
      morph.dataset.model = binding.loaded ? "loaded" : "unloaded";
      morph.dataset.modelName = binding.model;
      this.label(morph);
    }
  }
}

/** The personas who had a turn in a dialogue ({persona | role | speaker, text} each); all four when none is named. */
export function participants(dialogue) {
  const names = new Set();
  for (const turn of Array.isArray(dialogue) ? dialogue : []) {
    const who = turn && typeof turn === "object" ? turn.persona ?? turn.role ?? turn.speaker : null;
    if (typeof who === "string" && PERSONAS.includes(who.toUpperCase())) names.add(who.toUpperCase());
  }
  return names.size ? [...names] : PERSONAS;
}

function order(name) {
  const at = DEFAULT_SHOWN.indexOf(name);
  return at < 0 ? 100 : at;
}

function centre(morph) {
  return { x: (parseInt(morph.style.left, 10) || 0) + SIZE.w / 2, y: (parseInt(morph.style.top, 10) || 0) + SIZE.h / 2 };
}
