// What the strategic loop learns from, as two inspector sections of a persona: its golden
// dataset (GET /protos/{p}/golden; an example can be removed, DELETE /golden/{id}) and the
// Oracle's recent scorings of runs (GET /oracle/scores). Both are fetched again when ALFRED's
// Oracle emits `oracle.scored` or `golden.added` (the inspector listens; no refresh button).

import { api, get, seg } from "./api.js";
import { h, when } from "./dom.js";

/** The emitted events after which both sections are fetched again. */
export const STRATEGIC_EVENTS = new Set(["oracle.scored", "golden.added"]);
const ASKED_LENGTH = 240;

/** Fetches a persona's golden dataset and the Oracle's recent scores; a failure is kept as {error}. */
export async function fetchStrategic(persona) {
  const [golden, oracle] = await Promise.all([
    get(`/protos/${seg(persona)}/golden`).catch((error) => ({ error: error.message })),
    get("/oracle/scores?limit=20").catch((error) => ({ error: error.message })),
  ]);
  return { golden, oracle };
}

/** The section "Golden dataset": one row per example, each with a Remove button. */
export function goldenSection(persona, golden, { onRemoved, openRun }) {
  const section = h("section", { class: "golden", dataset: { section: "golden" }, "aria-labelledby": "golden-heading" },
    h("h3", { id: "golden-heading", tabindex: "-1" }, "Golden dataset"));
  if (!golden || golden.error) {
    section.append(h("p", { class: "error", role: "alert" }, `Could not read ${persona}'s golden dataset: ${golden ? golden.error : "no answer"}`));
    return section;
  }
  const examples = Array.isArray(golden.examples) ? golden.examples : [];
  const counts = golden.counts || {};
  section.append(h("p", { class: "meta golden-counts", dataset: { train: String(counts.train ?? 0), holdout: String(counts.holdout ?? 0) } },
    `${counts.train ?? 0} for training · ${counts.holdout ?? 0} held out`));
  if (!examples.length) {
    section.append(h("p", { class: "hint golden-empty" },
      `No examples yet: a deliberation the Oracle scores as golden adds one for each persona that spoke in it.`));
    return section;
  }
  const error = h("p", { class: "error", role: "alert" });
  section.append(h("ol", { class: "golden-list", "aria-label": `${persona}'s golden examples` },
    examples.map((example) => h("li", {
      class: "golden-example", dataset: { example: String(example.id), split: example.split, run: example.run },
    },
    h("div", { class: "golden-head" },
      h("strong", {}, `#${example.id}`), " ",
      h("span", { class: `split split-${example.split}` }, example.split), " · run ",
      runLink(example.run, openRun), " · overall ",
      h("span", { class: "overall" }, formatScore(example.overall)),
      example.at ? h("span", { class: "hint" }, ` · ${when(example.at)}`) : null),
    h("p", { class: "asked" }, h("span", { class: "hint" }, "Asked: "), clip(example.asked || "", ASKED_LENGTH)),
    h("button", { type: "button", class: "golden-remove", "aria-label": `Remove golden example ${example.id}`, onclick: async (event) => {
      const button = event.currentTarget;
      error.textContent = "";
      button.disabled = true;
      try {
        await api("DELETE", `/golden/${seg(String(example.id))}`);
        onRemoved(example.id);
      } catch (failure) {
        error.textContent = `Could not remove example ${example.id}: ${failure.message}`;
        button.disabled = false;
      }
    } }, "Remove")))), error);
  return section;
}

/** The section "Oracle scores": the latest scorings, each criterion with its score and reason. */
export function oracleSection(oracle, { openRun }) {
  const section = h("section", { class: "oracle", dataset: { section: "oracle" }, "aria-labelledby": "oracle-heading" },
    h("h3", { id: "oracle-heading", tabindex: "-1" }, "Oracle scores"));
  if (!oracle || oracle.error) {
    section.append(h("p", { class: "error", role: "alert" }, `Could not read the Oracle's scores: ${oracle ? oracle.error : "no answer"}`));
    return section;
  }
  const scores = Array.isArray(oracle.scores) ? oracle.scores : [];
  if (!scores.length) {
    section.append(h("p", { class: "hint oracle-empty" }, "No scorings yet: ALFRED's Oracle scores each finished deliberation."));
    return section;
  }
  section.append(h("ol", { class: "oracle-list", "aria-label": "The Oracle's latest scorings, newest first" },
    scores.map((score) => {
      const criteria = score.scores && typeof score.scores === "object" ? Object.entries(score.scores) : [];
      return h("li", { class: "oracle-score", dataset: { run: score.run, overall: String(score.overall) } },
        h("div", { class: "oracle-head" }, "run ", runLink(score.run, openRun), " · overall ",
          h("span", { class: "overall" }, formatScore(score.overall)),
          h("span", { class: "hint" }, `${score.model ? ` · ${score.model}` : ""}${score.at ? ` · ${when(score.at)}` : ""}`)),
        score.task ? h("p", { class: "task" }, h("span", { class: "hint" }, "Task: "), clip(String(score.task), ASKED_LENGTH)) : null,
        criteria.length ? h("table", { class: "criteria" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Criterion"), h("th", { scope: "col" }, "Score"), h("th", { scope: "col" }, "Reason"))),
          h("tbody", {}, criteria.map(([name, value]) => h("tr", { dataset: { criterion: name } },
            h("th", { scope: "row" }, name),
            h("td", { class: "criterion-score" }, formatScore(value && typeof value === "object" ? value.score : value)),
            h("td", { class: "criterion-reason" }, value && typeof value === "object" && value.reason ? String(value.reason) : "")))))
          : null);
    })));
  return section;
}

function runLink(run, openRun) {
  return h("button", { type: "button", class: "link", "aria-label": `Open run ${run}`, onclick: () => openRun(run) }, run);
}

function formatScore(value) {
  return typeof value === "number" ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : String(value ?? "?");
}

function clip(text, length) {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
