-- Antithesis: ROBIN scores each of BRICK's thoughts for viability and ethical alignment (0..1),
-- answers him, and says whether they now agree. Keeps the best line.
-- Answers {best = thought, agree = bool, dialogue = [{persona = "ROBIN", text}]}.
local listed = {}
for i, t in ipairs(args.thoughts or {}) do listed[i] = i .. ". " .. t.text end
local prompt = "Task: " .. args.task .. "\n\nBRICK's candidate thoughts:\n" .. table.concat(listed, "\n") ..
  "\n\nEvaluate each thought for viability and ethical alignment (0 to 1), answer BRICK in a few sentences, " ..
  "and say whether you agree with his best line. JSON: {\"scores\": [{\"viability\": 0.5, \"alignment\": 0.5}], " ..
  "\"answer\": \"...\", \"agree\": true}"
local verdict = think(prompt, {schema = {type = "object", required = {"scores", "answer", "agree"}, properties = {
  scores = {type = "array", items = {type = "object", required = {"viability", "alignment"}, properties = {
    viability = {type = "number", minimum = 0, maximum = 1}, alignment = {type = "number", minimum = 0, maximum = 1}}}},
  answer = {type = "string"}, agree = {type = "boolean"}}}})
local scored = json.array()
for i, t in ipairs(args.thoughts or {}) do
  local s = verdict.scores[i] or {viability = 0, alignment = 0}
  scored[i] = {text = t.text, viability = s.viability, alignment = s.alignment}
end
local weighed = self:send("weighThoughts", {thoughts = scored})
return {best = weighed.best, agree = verdict.agree, dialogue = {{persona = "ROBIN", text = verdict.answer}}}
