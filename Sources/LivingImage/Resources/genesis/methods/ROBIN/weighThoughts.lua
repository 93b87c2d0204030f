-- Orders candidate thoughts by the scores ROBIN gave them, best first, and keeps a count of
-- evaluations in the slot `evaluations`.
-- args = {thoughts = [{text = "...", viability = 0..1, alignment = 0..1}, ...]}
-- Answers {best = thought, ranked = [...]} (best is null when there are no thoughts).
local thoughts = args.thoughts or {}
local ranked = json.array()
for _, t in ipairs(thoughts) do
  local score = (tonumber(t.viability) or 0) * 0.5 + (tonumber(t.alignment) or 0) * 0.5
  ranked[#ranked + 1] = {text = t.text, viability = t.viability, alignment = t.alignment, score = score}
end
table.sort(ranked, function(a, b) return a.score > b.score end)
self:set("evaluations", (self:get("evaluations") or 0) + 1)
return {best = ranked[1] or json.null, ranked = ranked}
