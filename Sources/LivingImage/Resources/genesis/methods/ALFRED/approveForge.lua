-- Decides whether the Tool Forge may grow `args.selector` on `args.proto`, by the governance
-- rules of ALFRED's codex: forge_policy ("on" | "off"), forge_allowed (protos), and
-- forge_attempts_per_hour (counted in the slot `forge_log`), forge_language ("lua" | "python").
-- Answers {approved, reason, language}.
local rules = (self:describe().codex or {}).governance or {}
if rules.forge_policy == "off" then return {approved = false, reason = "the forge is off (ALFRED's codex: forge_policy)"} end
local allowed = false
for _, name in ipairs(rules.forge_allowed or {}) do
  if name == args.proto then allowed = true end
end
if not allowed then return {approved = false, reason = args.proto .. " may not grow methods (ALFRED's codex: forge_allowed)"} end
local now = os.time()
local recent = json.array()
for _, t in ipairs(self:get("forge_log") or {}) do
  if now - t < 3600 then recent[#recent + 1] = t end
end
if #recent >= (rules.forge_attempts_per_hour or 10) then
  return {approved = false, reason = "the forge budget of this hour is spent (ALFRED's codex: forge_attempts_per_hour)"}
end
recent[#recent + 1] = now
self:set("forge_log", recent)
return {approved = true, reason = "allowed", language = rules.forge_language or "lua"}
