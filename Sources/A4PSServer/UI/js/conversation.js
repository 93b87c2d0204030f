// The conversation: a task for the personas (POST /runs); their turns stream in from the
// modelToken events of that run, labelled by persona; when the run stops, ALFRED's answer,
// the dissonance and the Oracle's scores (GET /runs/{id}), and what each persona saw one click away.

import { get, post, seg } from "./api.js";
import { h, fill, pretty } from "./dom.js";
import * as events from "./events.js";
import { registerPanel, showPanel } from "./panels.js";

export class Conversation {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("conversation", "Conversation");
    this.run = null;
    this.pending = new Map(); // run id → tokens that came before POST /runs answered
    this.task = h("textarea", { id: "task", rows: 3, placeholder: "Ask the personas…" });
    this.turns = h("div", { id: "turns", class: "turns", role: "log", "aria-label": "The personas' turns" });
    this.outcome = h("div", { id: "outcome", class: "outcome" });
    this.status = h("p", { id: "conversation-status", role: "status", class: "hint" });
    this.ask = h("button", { type: "submit", class: "primary", id: "ask" }, "Ask");
    this.turnsLimit = h("input", { type: "number", id: "max-turns", min: "1", max: "50", placeholder: "5", class: "narrow" });
    fill(this.body,
      h("form", { onsubmit: (event) => { event.preventDefault(); this.start(); } },
        h("label", { for: "task" }, "Task"), this.task,
        h("div", { class: "row buttons" }, this.ask, h("label", { for: "max-turns" }, "Turns at most"), this.turnsLimit)),
      this.status, this.turns, this.outcome);
    this.task.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.start();
      }
    });
    events.on("modelToken", (event) => this.token(event));
    events.on("runStepped", (event) => {
      if (event.run !== this.run) return;
      this.status.textContent = `step ${event.step}: ${event.node} → ${event.next}`;
      this.last = null; // the next node's tokens are a new turn, even from the same persona
    });
    events.on("runStopped", (event) => {
      if (event.run === this.run) this.finish(event);
    });
  }

  async start() {
    const task = this.task.value.trim();
    if (!task) {
      this.status.textContent = "Type a task first.";
      return;
    }
    fill(this.turns);
    fill(this.outcome);
    this.run = null;
    this.last = null;
    this.ask.disabled = true;
    this.status.textContent = "starting…";
    try {
      const body = { task };
      const turns = parseInt(this.turnsLimit.value, 10);
      if (Number.isFinite(turns)) body.max_turns = turns;
      const { run } = await post("/runs", body);
      this.run = run.id;
      this.turns.dataset.run = run.id;
      this.status.textContent = `run ${run.id}: ${run.status}`;
      for (const event of this.pending.get(run.id) || []) this.append(event);
      this.pending.clear();
    } catch (error) {
      this.status.textContent = "";
      this.outcome.append(h("p", { class: "error", role: "alert" }, error.message));
      this.ask.disabled = false;
    }
  }

  token(event) {
    if (this.run && event.run === this.run) {
      this.append(event);
    } else if (!this.run && this.ask.disabled) {
      if (!this.pending.has(event.run)) this.pending.set(event.run, []);
      this.pending.get(event.run).push(event);
    }
  }

  /** Tokens of one persona in a row make one turn; the next persona starts a new one. */
  append(event) {
    const persona = String(event.persona || "?").toUpperCase();
    if (!this.last || this.last.dataset.persona !== persona) {
      const text = h("div", { class: "turn-text" });
      this.last = h("article", { class: "turn", dataset: { persona }, "aria-label": `${persona}'s turn` },
        h("h3", { class: "turn-persona" }, persona), text);
      this.last.text = text;
      this.turns.append(this.last);
    }
    this.last.text.textContent += event.text;
    this.turns.scrollTop = this.turns.scrollHeight;
  }

  async finish(stopped) {
    const id = this.run;
    this.ask.disabled = false;
    let run;
    try {
      run = await get(`/runs/${seg(id)}`);
    } catch (error) {
      this.outcome.append(h("p", { class: "error", role: "alert" }, error.message));
      return;
    }
    let threshold = null;
    try {
      const { checkpoints } = await get(`/runs/${seg(id)}/history`);
      const last = checkpoints[checkpoints.length - 1];
      threshold = last && last.state ? last.state.dissonance_threshold : null;
    } catch {
      // the threshold is only for the glow
    }
    this.status.textContent = `run ${id}: ${run.status}`;
    const scores = Array.isArray(run.scores) ? run.scores : [];
    const answer = typeof run.answer === "string" ? run.answer : run.answer === null || run.answer === undefined ? "" : pretty(run.answer);
    const prompts = h("div", { class: "prompts" });
    fill(this.outcome,
      h("section", { class: "answer", id: "answer", dataset: { run: id, status: run.status }, "aria-labelledby": "answer-heading" },
        h("h3", { id: "answer-heading" }, "ALFRED's answer"),
        run.status === "done" ? h("div", { class: "answer-text" }, answer || "(no answer)")
          : h("p", { class: run.status === "paused" ? "hint" : "error" }, `The run is ${run.status}${run.error ? `: ${run.error}` : ""}`,
            stopped && stopped.detail && typeof stopped.detail === "string" ? ` — ${stopped.detail}` : ""),
        h("p", { class: "dissonance", dataset: { value: String(run.dissonance ?? "") } },
          "Dissonance: ", typeof run.dissonance === "number" ? run.dissonance.toFixed(3) : "—",
          typeof threshold === "number" ? ` (threshold ${threshold})` : ""),
        h("div", { class: "scores" }, h("h4", {}, "Oracle scores"),
          scores.length ? h("ul", {}, scores.map((s) => h("li", {}, scoreText(s)))) : h("p", { class: "hint" }, "none")),
        h("div", { class: "row buttons" },
          h("button", { type: "button", onclick: () => this.showPrompts(id, prompts) }, "Prompts each persona saw"),
          h("button", { type: "button", onclick: () => this.ui.runs.open(id) }, "Open in Runs")),
        prompts));
  }

  async showPrompts(id, element) {
    fill(element, h("p", { class: "hint" }, "…"));
    try {
      const { prompts } = await get(`/runs/${seg(id)}/prompts`);
      if (!prompts.length) { fill(element, h("p", { class: "hint" }, "No prompts kept for this run (they live in the server's memory).")); return; }
      fill(element, prompts.map((p, index) => h("details", { class: "prompt" },
        h("summary", {}, `${index + 1}. ${p.persona} (${p.model})`),
        p.messages.map((m) => [h("h4", {}, m.role), h("pre", { class: "text" }, m.content)]))));
    } catch (error) {
      fill(element, h("p", { class: "error", role: "alert" }, error.message));
    }
  }

  open() {
    showPanel("conversation");
    this.task.focus();
  }
}

function scoreText(score) {
  if (!score || typeof score !== "object") return String(score);
  const name = score.metric || score.name || score.criterion || score.persona || "score";
  const value = score.score ?? score.value;
  const rest = Object.entries(score).filter(([k]) => !["metric", "name", "criterion", "score", "value"].includes(k))
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
  return `${name}: ${value ?? "?"}${rest ? ` (${rest})` : ""}`;
}
