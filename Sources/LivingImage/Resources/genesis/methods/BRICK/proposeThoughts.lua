-- Thesis (Tree of Thoughts): BRICK proposes several candidate thoughts on the task, given the
-- report and the dialogue so far. Answers {thoughts = [...], turn = n, dialogue = [{persona, text}]}.
-- The prompt grows at its end only, so the server's prompt cache serves the previous turn's part.
local lines = {}
for _, d in ipairs(args.dialogue or {}) do lines[#lines + 1] = d.persona .. ": " .. d.text end
local prompt = "Task: " .. args.task .. "\n\nResearch report:\n" .. (args.report or "(none)") ..
  "\n\nDialogue so far:\n" .. (#lines > 0 and table.concat(lines, "\n") or "(none)") ..
  "\n\nPropose three distinct candidate thoughts (lines of reasoning) toward solving the task, " ..
  "as JSON: {\"thoughts\": [{\"text\": \"...\"}]}."
-- The schema says what it means (at least one thought, none empty) and is sent to the server as
-- its grammar; a token limit and a repetition penalty keep a small model from rambling.
local answer = think(prompt, {max_tokens = 400, temperature = 0.7, repeat_penalty = 1.15,
  schema = {type = "object", required = {"thoughts"}, properties = {
    thoughts = {type = "array", minItems = 1, maxItems = 5, items = {type = "object", required = {"text"},
      properties = {text = {type = "string", minLength = 1, maxLength = 600}}}}}}})
local texts = {}
for i, t in ipairs(answer.thoughts) do texts[i] = t.text end
return {
  thoughts = answer.thoughts,
  turn = (args.turn or 0) + 1,
  dialogue = {{persona = "BRICK", text = table.concat(texts, " | ")}},
}
