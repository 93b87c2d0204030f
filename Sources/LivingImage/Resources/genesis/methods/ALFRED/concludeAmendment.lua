-- ALFRED takes note of the decision — read from the proposal itself, never from the resume input —
-- and remembers it, so that later drafts know what the Architect accepted or refused.
-- Answers {outcome, note}.
if not args.proposal then return {outcome = "not proposed", note = args.proposal_refused} end
local p = proposal(args.proposal)
if p.status == "pending" then
  error("proposal " .. args.proposal .. " is still pending: the Architect decides it with `a4ps proposals approve|reject " .. args.proposal .. "`")
end
local principles = (p.diff.set or {}).principles or {}
memory.add(string.format("Codex amendment proposal %d for %s was %s%s. Proposed principle: %s",
  p.id, p.persona, p.status, p.note and (" (\"" .. p.note .. "\")") or "", tostring(principles[#principles] or "?")),
  {source = "self_reflection"})
return {outcome = p.status, note = p.note}
