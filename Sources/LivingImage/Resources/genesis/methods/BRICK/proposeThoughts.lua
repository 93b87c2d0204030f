-- Thesis (Tree of Thoughts): BRICK proposes several candidate thoughts on the task, given the
-- report, and on later turns ROBIN's answer to his last proposal.
-- Answers {thoughts = [...], turn = n, dialogue = [{persona, text}], brick_history = [...]}.
-- BRICK continues his own conversation (brick_history: his earlier prompts and answers), so each
-- turn's prompt extends the last one and the server's prompt cache serves what it repeats.
local history = args.brick_history or json.array()
local prompt
if #history == 0 then
  prompt = "Task: " .. args.task .. "\n\nResearch report:\n" .. (args.report or "(none)") ..
    "\n\nPropose three distinct candidate thoughts (lines of reasoning) toward solving the task, " ..
    "as JSON: {\"thoughts\": [{\"text\": \"...\"}]}."
else
  local robin = "(nothing)"
  for _, d in ipairs(args.dialogue or {}) do if d.persona == "ROBIN" then robin = d.text end end
  prompt = "ROBIN answered: " .. robin .. "\n\nPropose three improved candidate thoughts that answer her, " ..
    "as JSON: {\"thoughts\": [{\"text\": \"...\"}]}."
end
-- The schema says what it means (at least one thought, none empty) and is sent to the server as
-- its grammar; a token limit and a repetition penalty keep a small model from rambling.
local answer = think(prompt, {max_tokens = 400, temperature = 0.7, repeat_penalty = 1.15, history = history,
  schema = {type = "object", required = {"thoughts"}, properties = {
    thoughts = {type = "array", minItems = 1, maxItems = 5, items = {type = "object", required = {"text"},
      properties = {text = {type = "string", minLength = 1, maxLength = 600}}}}}}})
local texts = {}
for i, t in ipairs(answer.thoughts) do texts[i] = t.text end
local continued = json.array()
for i, m in ipairs(history) do continued[i] = m end
continued[#continued + 1] = {role = "user", content = prompt}
continued[#continued + 1] = {role = "assistant", content = json.encode(answer)}
return {
  thoughts = answer.thoughts,
  turn = (args.turn or 0) + 1,
  dialogue = {{persona = "BRICK", text = table.concat(texts, " | ")}},
  brick_history = continued,
}
