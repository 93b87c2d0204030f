// Documents and memory: a file sent to BABS ("Send file…" or dropped on her morph) is ingested
// into memory (POST /memory/documents?name=…); a search box asks the memory (GET /memory/search).

import { api, get } from "./api.js";
import { h, fill } from "./dom.js";
import { registerPanel, showPanel } from "./panels.js";

export class Documents {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("documents", "Documents");
    this.status = h("p", { id: "documents-status", role: "status", class: "result" });
    this.query = h("input", { type: "search", id: "memory-query", placeholder: "words to look for" });
    this.mode = h("select", { id: "memory-mode" }, ["hybrid", "text", "vector"].map((m) => h("option", { value: m }, m)));
    this.hits = h("ol", { id: "memory-hits", class: "hits", "aria-label": "Memory search results" });
    this.searchError = h("p", { class: "error", role: "alert" });
    fill(this.body,
      h("p", {}, "Files go to BABS, who keeps them in memory."),
      this.fileButton("documents-file"),
      this.status,
      h("h3", {}, "Search memory"),
      h("form", { class: "row", role: "search", onsubmit: (event) => { event.preventDefault(); this.search(); } },
        h("label", { for: "memory-query" }, "Search"), this.query,
        h("label", { for: "memory-mode" }, "Mode"), this.mode,
        h("button", { type: "submit", id: "memory-search" }, "Search")),
      this.searchError, this.hits);
  }

  /** A "Send file…" button with its (visually hidden) file input. */
  fileButton(id) {
    const input = h("input", { type: "file", id, class: "visually-hidden file-input", tabindex: "-1", "aria-label": "File for BABS",
      accept: ".txt,.md,.markdown,.csv,.json,.html,.xml,.log,.toml,.yaml,.yml,text/*" });
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (file) this.ingest(file).finally(() => { input.value = ""; });
    });
    const button = h("button", { type: "button", class: "send-file", "aria-label": "Send file… to BABS", onclick: (event) => {
      event.stopPropagation();
      input.click();
    } }, "Send file…");
    return h("span", { class: "file-button" }, button, input);
  }

  /** Puts the "Send file…" button on BABS's morph. */
  attachTo(morph) {
    const control = this.fileButton("babs-file");
    control.addEventListener("pointerdown", (event) => event.stopPropagation());
    morph.append(control);
  }

  async ingest(file) {
    showPanel("documents");
    this.status.textContent = `BABS is reading ${file.name}…`;
    delete this.status.dataset.outcome;
    try {
      const text = await file.text();
      const report = await api("POST", `/memory/documents?name=${encodeURIComponent(file.name)}`, { text });
      this.status.textContent = `${report.name}: ${report.passages} passage(s), ${report.added} new, ${report.already_stored} already stored.`;
      this.status.dataset.outcome = "ingested";
    } catch (error) {
      this.status.textContent = `${file.name} was not stored: ${error.message}`;
      this.status.dataset.outcome = "failed";
    }
  }

  async search() {
    this.searchError.textContent = "";
    const q = this.query.value.trim();
    if (!q) {
      this.searchError.textContent = "Type the words to look for.";
      return;
    }
    fill(this.hits);
    this.hits.dataset.state = "searching";
    try {
      const { hits } = await get(`/memory/search?q=${encodeURIComponent(q)}&mode=${this.mode.value}&limit=5`);
      fill(this.hits, hits.length ? hits.map((hit) => h("li", { class: "hit", dataset: { id: String(hit.id) } },
        h("p", { class: "hit-text" }, hit.text),
        h("p", { class: "hint" }, `score ${Number(hit.score).toFixed(3)} · ${hit.source}${hit.persona ? ` · ${hit.persona}` : ""}`)))
        : h("li", { class: "hint" }, "Nothing found."));
    } catch (error) {
      this.searchError.textContent = error.message;
    }
    this.hits.dataset.state = "done";
  }
}
