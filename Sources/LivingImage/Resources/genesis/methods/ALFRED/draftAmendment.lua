-- ALFRED drafts an amendment of a persona's codex from dissonant experience (seed 003 §5.3): one
-- new principle for the persona whose codex the experience shows wanting. The Architect decides.
-- args: {persona (optional: the Architect asked for this one), concern (optional), trigger,
--        evidence = {{run, task, brick, robin, dissonance, oracle}, ...}}
-- Answers {draft = {persona, set, remove}, reasoning, trace = {prompt, answer}}.
local function clip(text, n) text = tostring(text or "") if #text > n then return text:sub(1, n) .. "…" end return text end
local personas = args.persona and {args.persona} or {"BRICK", "ROBIN"}
local codices, lines = {}, {}
for _, name in ipairs(personas) do
  local codex = send(name, "codex")
  codices[name] = codex
  lines[#lines + 1] = name .. " — " .. clip(codex.role, 200) .. "\n  principles:\n  - " .. table.concat(codex.principles or {}, "\n  - ")
end
local experience = {}
for i, e in ipairs(args.evidence or {}) do
  experience[#experience + 1] = string.format("%d. Task: %s\n   BRICK said: %s\n   ROBIN said: %s\n   dissonance %.2f%s", i,
    clip(e.task, 300), clip(e.brick, 300), clip(e.robin, 300), tonumber(e.dissonance) or 0,
    e.oracle and string.format(", Oracle %.1f/5", tonumber(e.oracle) or 0) or "")
end
local prompt = "As the guardian of the personas' codices, propose one amendment.\n\nCodices:\n" .. table.concat(lines, "\n") ..
  "\n\nExperience that motivates it" .. (args.trigger and (" (" .. clip(args.trigger, 400) .. ")") or "") .. ":\n" ..
  (#experience > 0 and table.concat(experience, "\n") or "(no dissonant deliberation recorded)") ..
  (args.concern and ("\n\nThe Architect's concern: " .. clip(args.concern, 600)) or "") ..
  "\n\nName the persona whose codex should change and write one new principle for it, in one sentence, that would " ..
  "let the personas resolve this kind of disagreement; then your reasoning.\n" ..
  "JSON: {\"persona\": \"" .. personas[1] .. "\", \"principle\": \"...\", \"reasoning\": \"...\"}"
local answer = think(prompt, {max_tokens = 300, temperature = 0.3, repeat_penalty = 1.1,
  schema = {type = "object", required = {"persona", "principle", "reasoning"}, properties = {
    persona = {type = "string", enum = personas},
    principle = {type = "string", minLength = 10, maxLength = 300},
    reasoning = {type = "string", minLength = 1, maxLength = 800}}}})
if type(answer) ~= "table" or type(answer.principle) ~= "string" or #answer.principle < 3 then
  error("ALFRED's model answered no usable principle: " .. clip(json.encode(answer), 300))
end
local target = codices[answer.persona] and answer.persona or personas[1]
local principles = {}
for _, p in ipairs(codices[target].principles or {}) do principles[#principles + 1] = p end
principles[#principles + 1] = answer.principle
return {draft = {persona = target, set = {principles = json.array(principles)}, remove = json.array({})},
        reasoning = tostring(answer.reasoning or ""), trace = {prompt = prompt, answer = answer}}
