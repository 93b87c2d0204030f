// The inspector (Pharo/GT): a proto's slots (editable as JSON, checked before the PUT), its
// codex (read-only: it changes only through an approved proposal), its methods with doc
// strings, versions and who changed them last, its model binding, and the proto's own views:
// Lua methods named view_<name> answering {title, kind: table|text|list, …}. A persona also
// shows its golden dataset and the Oracle's scores (strategic.js). Live: slot and method events
// of the inspected proto re-fetch it, the Oracle's events its two strategic sections (no refresh button).

import { api, get, post, seg } from "./api.js";
import { h, fill, pretty, parseJSON, debounce, when } from "./dom.js";
import * as events from "./events.js";
import { registerPanel, setTitle, showPanel } from "./panels.js";
import { PERSONAS } from "./world.js";
import { STRATEGIC_EVENTS, fetchStrategic, goldenSection, oracleSection } from "./strategic.js";

const LIVE = new Set(["slotChanged", "methodInstalled", "methodRemoved", "protoSwapped", "rolledBack", "protoCreated"]);

export class Inspector {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("inspector", "Inspector");
    this.proto = null;
    this.view = "raw";
    this.dirty = new Set();
    fill(this.body, h("p", { class: "hint" }, "Select a morph and press Ctrl+I, or use its halo's Inspect."));
    const refresh = debounce(() => this.refresh(), 150);
    events.on("*", (event) => {
      if (this.proto && LIVE.has(event.event) && event.proto === this.proto) refresh();
    });
    const refreshStrategic = debounce(() => this.refreshStrategic(), 150);
    events.on("emitted", (event) => {
      if (STRATEGIC_EVENTS.has(event.name) && PERSONAS.includes(this.proto)) refreshStrategic();
    });
  }

  async open(name, { section } = {}) {
    if (this.proto !== name) {
      this.proto = name;
      this.view = "raw";
      this.dirty.clear();
    }
    setTitle("inspector", `Inspector — ${name}`);
    showPanel("inspector");
    await this.refresh();
    if (section) {
      const target = this.body.querySelector(`[data-section="${section}"]`);
      if (target) {
        target.scrollIntoView({ block: "start" });
        const focusable = target.querySelector("h3");
        if (focusable) focusable.focus();
      }
    }
  }

  async refresh() {
    const name = this.proto;
    if (!name) return;
    let description;
    let changes = [];
    const strategic = PERSONAS.includes(name) ? fetchStrategic(name) : Promise.resolve(null);
    try {
      description = await get(`/protos/${seg(name)}`);
      changes = await get(`/history?proto=${seg(name)}&limit=200`);
    } catch (error) {
      fill(this.body, h("p", { class: "error", role: "alert" }, `Could not inspect ${name}: ${error.message}`));
      return;
    }
    const learned = await strategic;
    if (name !== this.proto) return;
    this.description = description;
    this.strategic = learned;
    this.render(description, changes);
  }

  /** Fetches the persona's golden dataset and the Oracle's scores again, and replaces their sections. */
  async refreshStrategic() {
    const name = this.proto;
    if (!PERSONAS.includes(name)) return;
    const learned = await fetchStrategic(name);
    if (name !== this.proto) return;
    this.strategic = learned;
    for (const [key, section] of Object.entries(this.strategicSections(name))) {
      const shown = this.body.querySelector(`[data-section="${key}"]`);
      if (shown) shown.replaceWith(section);
    }
  }

  strategicSections(name) {
    if (!this.strategic) return {};
    const openRun = (run) => this.ui.runs.open(run);
    return {
      golden: goldenSection(name, this.strategic.golden, { openRun, onRemoved: () => this.refreshStrategic() }),
      oracle: oracleSection(this.strategic.oracle, { openRun }),
    };
  }

  render(d, changes) {
    const lastChange = new Map();
    for (const change of changes) {
      for (const subject of subjects(change)) {
        const known = lastChange.get(subject);
        if (!known || known.id < change.id) lastChange.set(subject, change);
      }
    }
    const allMethods = { ...Object.fromEntries(Object.entries(d.inheritedMethods || {})), ...(d.methods || {}) };
    const views = Object.keys(allMethods).filter((s) => s.startsWith("view_")).sort();
    const tabs = h("div", { role: "tablist", class: "view-tabs", "aria-label": `Views of ${d.name}` },
      [["raw", "Raw"], ...views.map((s) => [s, s.slice(5).replace(/_/g, " ")])].map(([key, label]) => h("button", {
        type: "button", role: "tab", "aria-selected": String(this.view === key), dataset: { view: key },
        onclick: () => {
          this.view = key;
          this.render(d, changes);
        },
      }, label)));
    const content = h("div", { class: "view-content", role: "tabpanel" });
    const previous = this.body.querySelector(".view-content");
    const scroll = previous ? previous.scrollTop : 0;
    const focused = document.activeElement && this.body.contains(document.activeElement) ? document.activeElement.id : null;
    const selection = focused ? [document.activeElement.selectionStart, document.activeElement.selectionEnd] : null;
    fill(this.body, h("p", { class: "meta" }, `version ${d.version}`, d.parent ? ` · parent ${d.parent}` : "",
      d.ancestors && d.ancestors.length ? ` · ancestors ${d.ancestors.join(" → ")}` : ""), tabs, content);
    if (this.view === "raw") this.renderRaw(d, content, lastChange);
    else this.renderView(d.name, this.view, content);
    content.scrollTop = scroll;
    const again = focused && document.getElementById(focused);
    if (again) {
      again.focus();
      if (selection && typeof again.setSelectionRange === "function" && selection[0] !== null) {
        try { again.setSelectionRange(selection[0], selection[1]); } catch { /* not a text field */ }
      }
    }
  }

  renderRaw(d, content, lastChange) {
    const binding = this.ui.world && this.ui.world.models[d.name.toLowerCase()];
    content.append(...[
      this.slotsSection(d),
      h("section", { class: "codex", dataset: { section: "codex" } },
        h("h3", { tabindex: "-1" }, "Codex"),
        h("p", { class: "hint" }, "Read-only: a codex changes only through a proposal the Architect approves (Inbox)."),
        h("pre", { class: "json", "aria-label": `Codex of ${d.name}` }, d.codex === null || d.codex === undefined ? "(none)" : pretty(d.codex))),
      binding ? h("section", { dataset: { section: "model" } }, h("h3", {}, "Model"),
        h("p", {}, `${binding.model} on ${binding.backend} (${binding.url}) — ${binding.loaded ? "loaded" : "not loaded"}`)) : null,
      this.methodsSection(d, lastChange),
      ...Object.values(this.strategicSections(d.name)),
    ].filter(Boolean));
  }

  slotsSection(d) {
    const section = h("section", { class: "slots", dataset: { section: "slots" } }, h("h3", { tabindex: "-1" }, "Slots"));
    const names = Object.keys(d.slots || {}).sort();
    if (!names.length) section.append(h("p", { class: "hint" }, "No slots."));
    for (const name of names) section.append(this.slotEditor(d.name, name, d.slots[name]));
    const newName = h("input", { type: "text", "aria-label": "New slot name", placeholder: "name", class: "new-slot-name" });
    const newValue = h("textarea", { rows: 2, "aria-label": "New slot value (JSON)", placeholder: "JSON value", class: "json-input" });
    const error = h("p", { class: "error", role: "alert" });
    section.append(h("div", { class: "slot new-slot" }, newName, newValue,
      h("button", { type: "button", onclick: () => this.saveSlot(d.name, newName.value.trim(), newValue.value, error) }, "Add slot"), error));
    return section;
  }

  slotEditor(proto, name, value) {
    const id = `slot-${proto}-${name}`;
    const existing = document.getElementById(id);
    const text = pretty(value);
    const area = h("textarea", { id, class: "json-input", rows: Math.min(8, text.split("\n").length + 1), spellcheck: "false" }, text);
    if (existing && this.dirty.has(name)) {
      area.value = existing.value;
      if (existing.dataset.original !== text) area.dataset.stale = "true";
    }
    area.dataset.original = text;
    area.addEventListener("input", () => this.dirty.add(name));
    const error = h("p", { class: "error", role: "alert", id: `${id}-error` });
    const note = area.dataset.stale ? h("p", { class: "hint" }, "Changed elsewhere meanwhile; saving overwrites it.") : null;
    return h("div", { class: "slot", dataset: { slot: name } },
      h("label", { for: id }, name), area,
      h("button", { type: "button", "aria-label": `Save slot ${name}`, onclick: () => this.saveSlot(proto, name, area.value, error) }, "Save"),
      note, error);
  }

  async saveSlot(proto, name, text, error) {
    error.textContent = "";
    if (!name) {
      error.textContent = "Give the slot a name.";
      return;
    }
    const parsed = parseJSON(text);
    if (parsed.error) {
      error.textContent = parsed.error;
      return;
    }
    try {
      await api("PUT", `/protos/${seg(proto)}/slots/${seg(name)}`, { json: parsed.value });
      this.dirty.delete(name);
      this.ui.notify(`${proto}.${name} saved.`);
      await this.refresh();
    } catch (failure) {
      error.textContent = failure.message;
    }
  }

  methodsSection(d, lastChange) {
    const row = (selector, info, inherited) => {
      const change = lastChange.get(`method:${selector}`);
      return h("li", { class: "method", dataset: { selector } },
        h("div", { class: "method-head" },
          h("code", {}, selector), h("span", { class: "version" }, ` v${info.version}`),
          inherited ? h("span", { class: "hint" }, ` from ${info.from}`) : null,
          change ? h("span", { class: "provenance" }, ` · ${change.author}, ${when(change.at)}`) : null),
        info.doc ? h("p", { class: "doc" }, info.doc) : null,
        inherited ? null : h("div", { class: "method-actions" },
          h("button", { type: "button", "aria-label": `Edit ${selector}`, onclick: () => this.ui.edit(d.name, selector) }, "Edit"),
          h("button", { type: "button", "aria-label": `History of ${selector}`, onclick: () => this.ui.history(d.name, `method:${selector}`) }, "History")));
    };
    const own = Object.entries(d.methods || {}).sort(([a], [b]) => a.localeCompare(b));
    const inherited = Object.entries(d.inheritedMethods || {}).sort(([a], [b]) => a.localeCompare(b));
    return h("section", { class: "methods", dataset: { section: "methods" } },
      h("h3", { tabindex: "-1" }, "Methods"),
      h("button", { type: "button", onclick: () => this.ui.edit(d.name, "") }, "New method…"),
      h("ul", { class: "method-list" }, own.map(([s, info]) => row(s, info, false))),
      inherited.length ? h("details", {}, h("summary", {}, `Inherited methods (${inherited.length})`),
        h("ul", { class: "method-list" }, inherited.map(([s, info]) => row(s, info, true)))) : null);
  }

  /** A proto's own view: POST /protos/{p}/send/view_<name> → {title, kind, columns, rows, text, items}. */
  async renderView(proto, selector, content) {
    fill(content, h("p", { class: "hint" }, "…"));
    try {
      const { answer } = await post(`/protos/${seg(proto)}/send/${seg(selector)}`);
      fill(content, renderViewAnswer(answer));
    } catch (error) {
      fill(content, h("p", { class: "error", role: "alert" }, `${selector} failed: ${error.message}`));
    }
  }
}

export function renderViewAnswer(view) {
  if (!view || typeof view !== "object") return h("pre", { class: "json" }, pretty(view));
  const title = view.title ? h("h3", {}, String(view.title)) : null;
  if (view.kind === "table") {
    const columns = Array.isArray(view.columns) ? view.columns : [];
    const rows = Array.isArray(view.rows) ? view.rows : [];
    return h("div", { class: "custom-view" }, title, h("table", {},
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, String(c))))),
      h("tbody", {}, rows.map((r) => h("tr", {}, (Array.isArray(r) ? r : [r]).map((cell) =>
        h("td", {}, typeof cell === "object" ? JSON.stringify(cell) : String(cell))))))));
  }
  if (view.kind === "list") {
    const items = Array.isArray(view.items) ? view.items : [];
    return h("div", { class: "custom-view" }, title,
      h("ul", {}, items.map((item) => h("li", {}, typeof item === "object" ? JSON.stringify(item) : String(item)))));
  }
  if (view.kind === "text") return h("div", { class: "custom-view" }, title, h("pre", { class: "text" }, String(view.text ?? "")));
  return h("div", { class: "custom-view" }, title, h("pre", { class: "json" }, pretty(view)));
}

/** The subjects a change touched (`method:SEL`, `slot:NAME`, …). */
export function subjects(change) {
  if (Array.isArray(change.deltas)) return change.deltas.map((d) => d.subject);
  return change.subject ? [change.subject] : [];
}
