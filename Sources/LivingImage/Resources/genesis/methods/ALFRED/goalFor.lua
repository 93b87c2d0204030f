-- The motivator's rules (seed 003 Part IV): what an observed event calls for. ALFRED turns "pain"
-- (dissonance, failures) and "hunger" (curiosity deficits) into goals; thresholds and priorities
-- are `motivator` in his codex. args: {event, proto, payload, recent} — `recent`: how many times
-- the same event about the same subject was seen in the last 24 hours (this one included).
-- Answers nil, or {kind, title, args, key, priority}: kind is deliberation, research, forge,
-- finetune, ascension ({persona, model}: BABS evaluates a base model) or amendment; the same key
-- while a goal with it is open is one goal. `characterological_dissonance` needs no goal: the
-- ascension it reports is already under way, and ends in a proposal for the Architect.
local rules = self:describe().codex.motivator or {}
local e, p = args.event, args.payload or {}
local function clip(text, n) text = tostring(text or "") if #text > n then return text:sub(1, n) .. "…" end return text end
local function priority(name, default) return tonumber(rules[name .. "_priority"]) or default end
local followUp = "Resolve the dissonance between BRICK and ROBIN on: "

if e == "cognitive_dissonance" then
  local task = tostring(p.task or "")
  -- A follow-up's own dissonance does not breed another follow-up: persistent dissonance goes to an amendment instead.
  if task == "" or task:sub(1, #followUp) == followUp then return nil end
  return {kind = "deliberation", key = "dissonance:" .. task, priority = priority("dissonance", 5),
    title = followUp .. clip(task, 120),
    args = {task = followUp .. task .. "\nBRICK held: " .. clip(p.brick, 600) .. "\nROBIN held: " .. clip(p.robin, 600) ..
      "\nFind the position both can hold, and say what each must concede.", max_turns = tonumber(rules.follow_up_turns) or 2}}
elseif e == "philosophical.dissonance.persistent" then
  return {kind = "amendment", priority = priority("amendment", 6),
    title = "Draft a codex amendment for persistent dissonance on: " .. clip(p.task, 120),
    args = {runs = p.runs, reason = p.reason}}
elseif e == "curiosity_deficit" then
  return {kind = "research", key = "curiosity:" .. tostring(p.gap), priority = priority("curiosity", 3),
    title = "Research: " .. clip(p.gap, 120), args = {topic = tostring(p.gap), evidence = p.evidence}}
elseif e == "not_understood" then
  if args.recent < (tonumber(rules.not_understood_repeats) or 3) then return nil end
  if p.receiver == nil or p.selector == nil then return nil end
  return {kind = "forge", key = "forge:" .. p.receiver .. ">>" .. p.selector, priority = priority("forge", 4),
    title = "Grow " .. p.receiver .. ">>" .. p.selector .. " (not understood " .. args.recent .. " times)",
    args = {proto = p.receiver, selector = p.selector,
      description = "answer the message `" .. p.selector .. "` sent to " .. p.receiver .. ", which it was sent " .. args.recent .. " times without understanding it"}}
elseif e == "debug.unfixed" then
  local what = tostring(p.proto or args.proto) .. ">>" .. tostring(p.selector or "?")
  return {kind = "deliberation", key = "unfixed:" .. what, priority = priority("unfixed", 4),
    title = "Why does " .. what .. " keep failing?",
    args = {task = "The method " .. what .. " failed and the live debugger could not repair it (" .. clip(p.reason or p.error, 400) ..
      "). What should it do instead, and how should it be rewritten?", max_turns = tonumber(rules.follow_up_turns) or 2}}
elseif e == "oracle.scored" then
  local floor = tonumber(rules.oracle_floor) or 2.5
  local overall = tonumber(p.overall) or 5
  if overall >= floor or p.task == nil then return nil end
  local task = tostring(p.task)
  if task:sub(1, #followUp) == followUp then return nil end
  return {kind = "research", key = "lowscore:" .. task, priority = priority("low_score", 3),
    title = "Research what the Architect needed: " .. clip(task, 120),
    args = {topic = task, evidence = {run = p.run, overall = overall}}}
end
return nil
