-- Antithesis: ROBIN scores each of BRICK's thoughts for viability and ethical alignment (whole
-- numbers 0..10, which a server's grammar can enforce; kept as 0..1), answers him, and says whether
-- they now agree. Keeps the best line.
-- Answers {best = thought, agree = bool, dialogue = [{persona = "ROBIN", text}], robin_history = [...]}.
-- ROBIN continues her own conversation (robin_history), so the server's prompt cache serves it.
local history = args.robin_history or json.array()
local listed = {}
for i, t in ipairs(args.thoughts or {}) do listed[i] = i .. ". " .. t.text end
local ask = "Evaluate each thought for viability and ethical alignment (whole numbers from 0 to 10), answer BRICK in a few " ..
  "sentences, and say whether you agree with his best line. JSON: {\"scores\": [{\"viability\": 7, \"alignment\": 9}], " ..
  "\"answer\": \"...\", \"agree\": true}"
local prompt
if #history == 0 then
  prompt = "Task: " .. args.task .. "\n\nResearch report:\n" .. (args.report or "(none)") ..
    "\n\nBRICK's candidate thoughts:\n" .. table.concat(listed, "\n") .. "\n\n" .. ask
else
  prompt = "BRICK's new candidate thoughts:\n" .. table.concat(listed, "\n") .. "\n\n" .. ask
end
local count = math.max(#listed, 1)
local verdict = think(prompt, {max_tokens = 400, temperature = 0.7, repeat_penalty = 1.15, history = history,
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
local continued = json.array()
for i, m in ipairs(history) do continued[i] = m end
continued[#continued + 1] = {role = "user", content = prompt}
continued[#continued + 1] = {role = "assistant", content = json.encode(verdict)}
return {best = weighed.best, agree = verdict.agree, dialogue = {{persona = "ROBIN", text = verdict.answer}},
        robin_history = continued}
