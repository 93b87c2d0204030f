-- Records ALFRED's draft as a pending proposal for the Architect: the codex itself changes only
-- when the Architect approves it (`a4ps proposals approve ID`). A refusal (the same amendment
-- rejected before without new evidence, or already pending) ends the run with the reason.
-- Answers {proposal = ID} or {proposal_refused = reason}.
local draft = args.draft
if not draft then return {proposal_refused = "ALFRED drafted nothing"} end
local trace = args.trace or {}
local reasoning = "Trigger: " .. tostring(args.trigger or "asked by the Architect") ..
  (args.concern and ("\nThe Architect's concern: " .. tostring(args.concern)) or "") ..
  "\nALFRED's reasoning: " .. tostring(args.reasoning or "") ..
  "\n\nDrafting prompt:\n" .. tostring(trace.prompt or "") ..
  "\n\nModel answer:\n" .. json.encode(trace.answer or json.null)
local ok, result = pcall(propose_amendment, {persona = draft.persona, set = draft.set, remove = draft.remove,
  evidence = {trigger = args.trigger or "architect", concern = args.concern, runs = args.evidence or json.array({})},
  reasoning = reasoning})
if not ok then return {proposal_refused = tostring(result)} end
return {proposal = result.id}
