-- The Oracle (LLM-as-a-judge): ALFRED scores a finished interaction on his codex's rubric
-- (codex.oracle: criteria, weights), each criterion 1..5 with a one-line reason.
-- args: {task, dialogue = [{persona, text}], answer, dissonance, history}.
-- With `history` (his synthesis exchange, alfred_history), he scores the interaction he just
-- synthesized as the continuation of that conversation: the server's prompt cache serves it again.
-- Answers {scores = {criterion = {score, reason}}, overall = weighted mean}.
local rubric = self:describe().codex.oracle
if not rubric or not rubric.criteria or #rubric.criteria == 0 then error("ALFRED's codex has no oracle rubric (codex.oracle.criteria)") end
local function clip(text, n) text = tostring(text or "") if #text > n then return text:sub(1, n) .. "…" end return text end
local lines = {}
for _, d in ipairs(args.dialogue or {}) do lines[#lines + 1] = d.persona .. ": " .. clip(d.text, 600) end
local asked, properties, required = {}, {}, json.array()
local example = {}
for i, c in ipairs(rubric.criteria) do
  asked[i] = "- " .. c.name .. ": " .. c.question
  properties[c.name] = {type = "object", required = {"score", "reason"}, properties = {
    score = {type = "integer", minimum = 1, maximum = 5}, reason = {type = "string", minLength = 1, maxLength = 300}}}
  required[#required + 1] = c.name
  example[#example + 1] = "\"" .. c.name .. "\": {\"score\": 4, \"reason\": \"...\"}"
end
local history = args.history
if type(history) ~= "table" or #history == 0 then history = nil end
local question = "score this interaction on each criterion from 1 (poor) to 5 (excellent), each with a one-line reason:\n" ..
  table.concat(asked, "\n") .. "\nJSON: {" .. table.concat(example, ", ") .. "}"
local prompt
if history then
  prompt = "As the Oracle, look back at the interaction above (the task, the report, the dialogue and your final answer) and " .. question
else
  prompt = "Task: " .. clip(args.task, 2000) .. "\n\nDialogue:\n" .. (#lines > 0 and table.concat(lines, "\n") or "(none)") ..
    "\n\nFinal answer:\n" .. clip(args.answer, 3000) .. "\n\nAs the Oracle, " .. question
end
local verdict = think(prompt, {max_tokens = 500, temperature = 0.2, repeat_penalty = 1.1, history = history or json.array(),
  schema = {type = "object", required = required, properties = properties}})
local scores, total, weight = {}, 0, 0
for _, c in ipairs(rubric.criteria) do
  local w = (rubric.weights and tonumber(rubric.weights[c.name])) or 1
  local v = verdict[c.name]
  scores[c.name] = {score = v.score, reason = v.reason}
  total = total + w * v.score
  weight = weight + w
end
return {scores = scores, overall = weight > 0 and total / weight or 0}
