-- The curiosity review (seed 003 Part IV, "hunger"): ALFRED looks over recent experience for gaps
-- and emits `curiosity_deficit` for each — BABS searches that found nothing, topics the Architect
-- asked about with few memories, tasks the Oracle scored low, repeated failures and messages not
-- understood. Thresholds are `motivator` in his codex.
-- args: {tasks = {{run, task, sources, memories, overall}}, failures = {{subject, count, error}},
--        not_understood = {{subject, count}}}. Answers {gaps = {{gap, evidence}}}.
local rules = self:describe().codex.motivator or {}
local minMemories = tonumber(rules.curiosity_min_memories) or 2
local floor = tonumber(rules.oracle_floor) or 2.5
local repeats = tonumber(rules.not_understood_repeats) or 3
local gaps, seen = json.array(), {}
local function gap(topic, evidence)
  if topic == nil or topic == "" or seen[topic] then return end
  seen[topic] = true
  gaps[#gaps + 1] = {gap = topic, evidence = evidence}
  emit("curiosity_deficit", {gap = topic, evidence = evidence})
end
for _, t in ipairs(args.tasks or {}) do
  if (tonumber(t.sources) or 0) == 0 then
    gap(t.task, {why = "BABS found nothing relevant in memory", run = t.run})
  elseif (tonumber(t.memories) or 0) < minMemories then
    gap(t.task, {why = "few memories on a topic the Architect asked about", run = t.run, memories = t.memories})
  elseif t.overall ~= nil and tonumber(t.overall) < floor then
    gap(t.task, {why = "the Oracle scored the answer low", run = t.run, overall = t.overall})
  end
end
for _, f in ipairs(args.failures or {}) do
  if (tonumber(f.count) or 0) >= 2 then gap("why " .. f.subject .. " keeps failing", {why = "repeated failures", count = f.count, error = f.error}) end
end
for _, n in ipairs(args.not_understood or {}) do
  if (tonumber(n.count) or 0) >= repeats then gap("what " .. n.subject .. " should do", {why = "a message not understood repeatedly", count = n.count}) end
end
return {gaps = gaps}
