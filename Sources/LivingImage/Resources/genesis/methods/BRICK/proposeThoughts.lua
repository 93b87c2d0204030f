-- Thesis (Tree of Thoughts): BRICK proposes several candidate thoughts on the task, given the
-- report and the dialogue so far. Answers {thoughts = [...], turn = n, dialogue = [{persona, text}]}.
local lines = {}
for _, d in ipairs(args.dialogue or {}) do lines[#lines + 1] = d.persona .. ": " .. d.text end
local prompt = "Task: " .. args.task .. "\n\nResearch report:\n" .. (args.report or "(none)") ..
  "\n\nDialogue so far:\n" .. (#lines > 0 and table.concat(lines, "\n") or "(none)") ..
  "\n\nPropose three distinct candidate thoughts (lines of reasoning) toward solving the task, " ..
  "as JSON: {\"thoughts\": [{\"text\": \"...\"}]}."
local answer = think(prompt, {schema = {type = "object", required = {"thoughts"}, properties = {
  thoughts = {type = "array", items = {type = "object", required = {"text"}, properties = {text = {type = "string"}}}}}}})
local texts = {}
for i, t in ipairs(answer.thoughts) do texts[i] = t.text end
return {
  thoughts = answer.thoughts,
  turn = (args.turn or 0) + 1,
  dialogue = {{persona = "BRICK", text = table.concat(texts, " | ")}},
}
