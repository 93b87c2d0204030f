-- The run waits, paused, for the Architect's decision on its proposal; approving, rejecting or the
-- proposal's expiry resumes it (`a4ps proposals approve|reject ID`).
if not args.proposal then return {} end
local decision = interrupt({proposal = args.proposal, persona = args.draft and args.draft.persona,
  waiting_for = "the Architect: a4ps proposals approve " .. args.proposal .. " (or reject " .. args.proposal .. " --note …)"})
return {decision = decision}
