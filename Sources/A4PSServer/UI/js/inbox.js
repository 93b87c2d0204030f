// The governor's inbox: pending proposals (codex amendments, ascensions) with their diff,
// evidence and reasoning; approve or reject with a note. The motivator's goals below.

import { get, post, seg } from "./api.js";
import { h, fill, pretty, when } from "./dom.js";
import * as events from "./events.js";
import { registerPanel, onShow } from "./panels.js";

export class Inbox {
  constructor(ui) {
    this.ui = ui;
    this.body = registerPanel("inbox", "Inbox");
    this.proposals = h("div", { id: "proposals", class: "proposals" });
    this.goals = h("ul", { id: "goals", class: "goals" });
    fill(this.body,
      h("div", { class: "row buttons" }, h("button", { type: "button", id: "inbox-reload", onclick: () => this.refresh() }, "Reload")),
      h("h3", {}, "Pending proposals"), this.proposals,
      h("h3", {}, "Goals"), this.goals);
    onShow("inbox", () => this.refresh());
    events.on("runStopped", () => {
      if (!this.body.closest("section").hidden) this.refresh();
    });
  }

  async refresh() {
    try {
      const { proposals } = await get("/proposals?status=pending");
      fill(this.proposals, proposals.length ? proposals.map((p) => this.proposal(p))
        : h("p", { class: "hint", id: "no-proposals" }, "Nothing waits for you."));
    } catch (error) {
      fill(this.proposals, h("p", { class: "error", role: "alert" }, error.message));
    }
    try {
      const { goals } = await get("/goals");
      fill(this.goals, goals.length ? goals.map((g) => h("li", { dataset: { goal: String(g.id) } },
        h("strong", {}, String(g.title || g.description || g.text || `goal ${g.id}`)),
        h("span", { class: "hint" }, ` · ${g.status || ""}${g.origin ? ` · from ${typeof g.origin === "object" ? JSON.stringify(g.origin) : g.origin}` : ""}${g.created_at ? ` · ${when(g.created_at)}` : ""}`),
        g.status === "pending" || g.status === "active" || g.status === "running" ? h("button", { type: "button", "aria-label": `Cancel goal ${g.id}`,
          onclick: async () => {
            try {
              await post(`/goals/${seg(String(g.id))}/cancel`);
              this.refresh();
            } catch (error) {
              this.ui.notify(error.message);
            }
          } }, "Cancel") : null))
        : h("li", { class: "hint" }, "No goals."));
    } catch (error) {
      fill(this.goals, h("li", { class: "error", role: "alert" }, error.message));
    }
  }

  proposal(p) {
    const noteId = `note-${p.id}`;
    const note = h("input", { type: "text", id: noteId, placeholder: "why (optional)" });
    const error = h("p", { class: "error", role: "alert" });
    const decide = (verb) => async () => {
      error.textContent = "";
      try {
        await post(`/proposals/${seg(String(p.id))}/${verb}`, note.value.trim() ? { note: note.value.trim() } : {});
        this.ui.notify(`Proposal ${p.id} ${verb === "approve" ? "approved" : "rejected"}.`);
        await this.refresh();
      } catch (failure) {
        error.textContent = failure.message;
      }
    };
    return h("article", { class: "proposal", dataset: { proposal: String(p.id), kind: p.kind || "" }, "aria-labelledby": `proposal-${p.id}` },
      h("h4", { id: `proposal-${p.id}` }, `#${p.id} · ${p.kind || "proposal"} · ${p.persona || ""}`),
      h("p", { class: "hint" }, `${p.proposer ? `by ${p.proposer} · ` : ""}${when(p.created_at)}${p.expires_at ? ` · expires ${when(p.expires_at)}` : ""}`),
      h("h5", {}, "Diff"), h("pre", { class: "json diff" }, pretty(p.diff ?? p.model ?? null)),
      p.evidence !== undefined ? h("details", {}, h("summary", {}, "Evidence"), h("pre", { class: "json" }, pretty(p.evidence))) : null,
      p.reasoning ? h("details", {}, h("summary", {}, "Reasoning"), h("pre", { class: "text" }, String(p.reasoning))) : null,
      h("label", { for: noteId }, "Note"), note,
      h("div", { class: "row buttons" },
        h("button", { type: "button", class: "primary", "aria-label": `Approve proposal ${p.id}`, onclick: decide("approve") }, "Approve"),
        h("button", { type: "button", "aria-label": `Reject proposal ${p.id}`, onclick: decide("reject") }, "Reject")),
      error);
  }
}
