-- Governance check of a proposed method, against the rules in ALFRED's codex.
-- args = {proto = "BRICK", selector = "name", source = "...", author = "forge", language = "lua" | "python"}
-- Answers {approved = true|false, violations = [...]}.
local rules = (self:describe().codex or {}).governance or {}
local violations = json.array()
local source = args.source or ""
if type(source) ~= "string" or source == "" then
  violations[#violations + 1] = "the method has no source"
  return {approved = false, violations = violations}
end
local limit = rules.max_method_bytes or 16384
if #source > limit then
  violations[#violations + 1] = string.format("source is %d bytes; the limit is %d", #source, limit)
end
local python = args.language == "python"
for _, primitive in ipairs((python and rules.forbidden_python or rules.forbidden_primitives) or {}) do
  if string.find(source, primitive, 1, true) then
    violations[#violations + 1] = "uses the forbidden " .. (python and "Python name '" or "primitive '") .. primitive .. "'"
  end
end
if args.author == "forge" and args.proto then
  local allowed = false
  for _, name in ipairs(rules.forge_allowed or {}) do
    if name == args.proto then allowed = true end
  end
  if not allowed then
    violations[#violations + 1] = "the forge may not grow methods on " .. args.proto
  end
end
return {approved = #violations == 0, violations = violations}
