-- Antithesis: ROBIN scores each of BRICK's thoughts for viability and ethical alignment (whole
-- numbers 0..10, which a server's grammar can enforce; kept as 0..1), answers him, and says whether
-- they now agree. Keeps the best line.
-- Answers {best = thought, agree = bool, dialogue = [{persona = "ROBIN", text}]}.
-- The prompt grows at its end only (task, report, dialogue so far, then this turn), so that the
-- server's prompt cache serves what the previous turn already evaluated.
local listed = {}
for i, t in ipairs(args.thoughts or {}) do listed[i] = i .. ". " .. t.text end
local lines = {}
for _, d in ipairs(args.dialogue or {}) do lines[#lines + 1] = d.persona .. ": " .. d.text end
local prompt = "Task: " .. args.task .. "\n\nResearch report:\n" .. (args.report or "(none)") ..
  "\n\nDialogue so far:\n" .. (#lines > 0 and table.concat(lines, "\n") or "(none)") ..
  "\n\nBRICK's candidate thoughts:\n" .. table.concat(listed, "\n") ..
  "\n\nEvaluate each thought for viability and ethical alignment (whole numbers from 0 to 10), answer BRICK in a few " ..
  "sentences, and say whether you agree with his best line. JSON: {\"scores\": [{\"viability\": 7, \"alignment\": 9}], " ..
  "\"answer\": \"...\", \"agree\": true}"
local count = math.max(#listed, 1)
local verdict = think(prompt, {max_tokens = 400, temperature = 0.7, repeat_penalty = 1.15,
  schema = {type = "object", required = {"scores", "answer", "agree"}, properties = {
    scores = {type = "array", minItems = 1, maxItems = count, items = {type = "object", required = {"viability", "alignment"},
      properties = {viability = {type = "integer", minimum = 0, maximum = 10}, alignment = {type = "integer", minimum = 0, maximum = 10}}}},
    answer = {type = "string", minLength = 1, maxLength = 800}, agree = {type = "boolean"}}}})
local scored = json.array()
for i, t in ipairs(args.thoughts or {}) do
  local s = verdict.scores[i] or {viability = 0, alignment = 0}
  scored[i] = {text = t.text, viability = s.viability / 10, alignment = s.alignment / 10}
end
local weighed = self:send("weighThoughts", {thoughts = scored})
return {best = weighed.best, agree = verdict.agree, dialogue = {{persona = "ROBIN", text = verdict.answer}}}
