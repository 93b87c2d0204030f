-- Decides whether the Tool Forge may grow `args.selector` on `args.proto`, by ALFRED's policy in
-- his codex's governance table: forge_policy ("on" | "off"), forge_allowed (protos),
-- forge_language ("lua" | "python"). The forge budget (forge_attempts_per_hour) is the governor's:
-- it counts every forge as it starts and refuses the one over budget.
-- Answers {approved, reason, language}.
local rules = (self:describe().codex or {}).governance or {}
if rules.forge_policy == "off" then return {approved = false, reason = "the forge is off (ALFRED's codex: forge_policy)"} end
local allowed = false
for _, name in ipairs(rules.forge_allowed or {}) do
  if name == args.proto then allowed = true end
end
if not allowed then return {approved = false, reason = args.proto .. " may not grow methods (ALFRED's codex: forge_allowed)"} end
return {approved = true, reason = "allowed", language = rules.forge_language or "lua"}
