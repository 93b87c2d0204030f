// Runs and their checkpoints: the list (GET /runs), a run drawn on its graph (graph.js, the
// definition from the graph's slot), a run's timeline (GET /runs/{id}/history), the state of
// each step or node, fork from a checkpoint with edited state, resume a paused run with input,
// cancel a running one.

import { get, post, seg } from "./api.js";
import { h, fill, pretty, parseJSON, debounce, when } from "./dom.js";
import * as events from "./events.js";
import { registerPanel, onShow, showPanel } from "./panels.js";
import { runGraph } from "./graph.js";

export class Runs {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("runs", "Runs");
    this.list = h("ul", { id: "run-list", class: "run-list" });
    this.detail = h("div", { id: "run-detail", class: "run-detail" });
    this.selected = null;
    this.selectedNode = null; // {run, node}: kept when the run's view is drawn again
    fill(this.body, h("div", { class: "row buttons" }, h("button", { type: "button", onclick: () => this.refresh() }, "Reload")),
      this.list, this.detail);
    onShow("runs", () => this.refresh());
    const later = debounce(() => {
      if (!this.body.closest("section").hidden) {
        this.refresh();
        if (this.selected) this.open(this.selected, { keepPanel: true });
      }
    }, 400);
    events.on("runStopped", later);
    events.on("runStepped", later);
  }

  async refresh() {
    try {
      const { runs } = await get("/runs?limit=20");
      fill(this.list, runs.length ? runs.map((run) => h("li", { dataset: { run: run.id, status: run.status } },
        h("button", { type: "button", class: "link", "aria-current": run.id === this.selected ? "true" : null,
          onclick: () => this.open(run.id, { keepPanel: true }) }, run.id),
        h("span", { class: `status status-${run.status}` }, ` ${run.status}`),
        h("span", { class: "hint" }, ` · step ${run.step} · ${when(run.updated_at)}`),
        run.forked_from ? h("span", { class: "hint" }, ` · fork of ${run.forked_from}`) : null))
        : h("li", { class: "hint" }, "No runs yet: ask something in the Conversation."));
    } catch (error) {
      fill(this.list, h("li", { class: "error", role: "alert" }, error.message));
    }
  }

  async open(id, { keepPanel = false } = {}) {
    this.selected = id;
    if (!keepPanel) showPanel("runs");
    let run;
    let checkpoints;
    try {
      run = await get(`/runs/${seg(id)}`);
      ({ checkpoints } = await get(`/runs/${seg(id)}/history`));
    } catch (error) {
      fill(this.detail, h("p", { class: "error", role: "alert" }, error.message));
      return;
    }
    const definition = await graphDefinition(run.graph);
    if (this.selected !== id) return;
    const stateView = h("div", { class: "checkpoint-state" });
    const graph = definition.value
      ? runGraph({ run, definition: definition.value, checkpoints, onSelect: (node, checkpoint) => {
        this.selectedNode = { run: id, node };
        for (const b of this.detail.querySelectorAll(".timeline .checkpoint")) b.removeAttribute("aria-pressed");
        this.showCheckpoint(run, checkpoint, stateView, `State at ${node} (step ${checkpoint.step})`);
      } })
      : h("p", { class: "hint" }, `The graph ${run.graph} cannot be shown: ${definition.error}`);
    const timeline = h("ol", { class: "timeline", "aria-label": `Checkpoints of run ${id}` },
      checkpoints.map((c) => h("li", { dataset: { step: String(c.step) } },
        h("button", { type: "button", class: "checkpoint", "aria-label": `Step ${c.step}: ${c.node ?? "start"}`,
          onclick: (event) => {
            for (const b of this.detail.querySelectorAll(".checkpoint, .graph-node")) b.removeAttribute("aria-pressed");
            event.currentTarget.setAttribute("aria-pressed", "true");
            this.selectedNode = null;
            this.showCheckpoint(run, c, stateView);
          } },
          h("span", { class: "step" }, String(c.step)), " ", c.node ?? "start", " → ", c.next,
          h("span", { class: "hint" }, ` ${Math.round(c.duration_ms || 0)} ms${c.model_loads ? `, ${c.model_loads} load(s)` : ""}`)))));
    const controls = h("div", { class: "row buttons" });
    if (run.status === "paused") {
      const input = h("textarea", { id: "resume-input", rows: 2, class: "json-input", placeholder: "input (JSON or text)" });
      const error = h("p", { class: "error", role: "alert" });
      controls.append(h("div", { class: "resume" },
        h("label", { for: "resume-input" }, "Input for the paused run"),
        run.interrupt ? h("pre", { class: "json" }, pretty(run.interrupt)) : null, input,
        h("button", { type: "button", class: "primary", onclick: async () => {
          const parsed = parseJSON(input.value.trim());
          try {
            await post(`/runs/${seg(id)}/resume`, { input: parsed.error ? input.value : parsed.value });
            this.ui.notify(`Run ${id} resumed.`);
            this.open(id, { keepPanel: true });
          } catch (failure) {
            error.textContent = failure.message;
          }
        } }, "Resume"), error));
    }
    if (run.status === "running") {
      controls.append(h("button", { type: "button", onclick: async () => {
        try {
          await post(`/runs/${seg(id)}/cancel`);
          this.ui.notify(`Run ${id} stops at its next checkpoint.`);
        } catch (failure) {
          this.ui.notify(failure.message);
        }
      } }, "Cancel"));
    }
    fill(this.detail,
      h("h3", {}, `Run ${id}`),
      h("p", {}, h("span", { class: `status status-${run.status}` }, run.status), ` · ${run.graph} · step ${run.step}`,
        run.forked_from ? ` · fork of ${run.forked_from}` : "", run.error ? ` · ${run.error}` : ""),
      run.task ? h("p", {}, h("strong", {}, "Task: "), String(run.task)) : null,
      run.answer ? h("p", {}, h("strong", {}, "Answer: "), typeof run.answer === "string" ? run.answer : pretty(run.answer)) : null,
      typeof run.dissonance === "number" ? h("p", {}, `Dissonance ${run.dissonance.toFixed(3)}`) : null,
      controls,
      h("h4", {}, "Graph"), h("div", { class: "run-graph-scroll" }, graph),
      h("h4", {}, "Timeline"), timeline, stateView);
    const again = this.selectedNode && this.selectedNode.run === id
      && this.detail.querySelector(`.graph-node[data-node="${CSS.escape(this.selectedNode.node)}"]:not([disabled])`);
    if (again) again.click();
  }

  showCheckpoint(run, checkpoint, element, title = `State after step ${checkpoint.step}`) {
    const id = `fork-state-${checkpoint.step}`;
    const area = h("textarea", { id, rows: 12, class: "json-input", spellcheck: "false" }, pretty(checkpoint.state));
    const error = h("p", { class: "error", role: "alert" });
    fill(element,
      h("h4", { class: "state-title", dataset: { step: String(checkpoint.step) } }, title),
      h("label", { for: id }, "State (edit it, then fork from here)"), area,
      h("div", { class: "row buttons" }, h("button", { type: "button", onclick: async () => {
        const parsed = parseJSON(area.value);
        if (parsed.error) {
          error.textContent = parsed.error;
          return;
        }
        try {
          const { run: fork } = await post(`/runs/${seg(run.id)}/fork`, { step: checkpoint.step, state: parsed.value });
          this.ui.notify(`Forked ${run.id} at step ${checkpoint.step}: run ${fork.id}.`);
          await this.refresh();
          this.open(fork.id, { keepPanel: true });
        } catch (failure) {
          error.textContent = failure.message;
        }
      } }, "Fork from here")), error);
  }
}

/** A run's graph definition from its slot (`PROTO.slot`): {value} or {error}. */
async function graphDefinition(graph) {
  const at = String(graph || "").indexOf(".");
  if (at <= 0) return { error: "it does not name a proto's slot" };
  try {
    const { value } = await get(`/protos/${seg(graph.slice(0, at))}/slots/${seg(graph.slice(at + 1))}`);
    return value && typeof value === "object" && value.nodes ? { value } : { error: "its slot holds no graph" };
  } catch (error) {
    return { error: error.message };
  }
}
