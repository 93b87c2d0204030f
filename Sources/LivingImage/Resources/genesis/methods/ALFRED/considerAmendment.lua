-- Persistent dissonance (seed 003 §5.3): does this dissonant deliberation, with the earlier ones
-- that no forge and no fine-tune resolved, call for an amendment of a codex?
-- The rule is `amendment` in ALFRED's codex: `dissonance_events` dissonant runs on related tasks
-- (task embeddings at cosine >= `related_similarity`) within `window_hours`.
-- args: {run, task, history = {{run, task, dissonance, age_hours}, ...}} — the unresolved dissonant
-- runs not yet cited by a proposal, this one included. Answers {draft, runs, reason}.
local rule = self:describe().codex.amendment or {}
if rule.trigger == "off" then return {draft = false, runs = json.array({}), reason = "the amendment trigger is off (amendment.trigger in ALFRED's codex)"} end
local needed = tonumber(rule.dissonance_events) or 3
local window = tonumber(rule.window_hours) or 168
local similarity = tonumber(rule.related_similarity) or 0.5
local recent = {}
for _, h in ipairs(args.history or {}) do
  if (tonumber(h.age_hours) or 0) <= window then recent[#recent + 1] = h end
end
if #recent < needed then
  return {draft = false, runs = json.array({}), reason = string.format("%d unresolved dissonant run(s) within %g h; the rule asks for %d", #recent, window, needed)}
end
local texts = {tostring(args.task or "")}
for _, h in ipairs(recent) do texts[#texts + 1] = tostring(h.task or "") end
local v = embed(texts)
local function cosine(a, b)
  local dot, na, nb = 0, 0, 0
  for i = 1, #a do dot = dot + a[i] * b[i]; na = na + a[i] ^ 2; nb = nb + b[i] ^ 2 end
  if na == 0 or nb == 0 then return 0 end
  return dot / math.sqrt(na * nb)
end
local related, lines = {}, {}
for i, h in ipairs(recent) do
  local c = cosine(v[1], v[i + 1])
  if h.run == args.run or c >= similarity then
    related[#related + 1] = h.run
    lines[#lines + 1] = string.format("%s (dissonance %.2f, task similarity %.2f)", h.run, tonumber(h.dissonance) or 0, c)
  end
end
local reason = string.format("%d dissonant deliberation(s) on tasks related to this one (cosine >= %.2f) within %g h that no forge or fine-tune resolved: %s",
  #related, similarity, window, table.concat(lines, "; "))
return {draft = #related >= needed, runs = json.array(related), reason = reason}
