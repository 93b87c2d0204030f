-- ALFRED synthesizes the final answer for the Architect from the report and the dialogue.
-- Answers {answer, alfred_history = [{user, prompt}, {assistant, answer}]} (the exchange the
-- strategic loop learns from when the Oracle finds it golden).
local lines = {}
for _, d in ipairs(args.dialogue or {}) do lines[#lines + 1] = d.persona .. ": " .. d.text end
local prompt = "Task: " .. args.task .. "\n\nResearch report:\n" .. (args.report or "(none)") ..
  "\n\nDialogue:\n" .. table.concat(lines, "\n") ..
  "\n\nSynthesize the dialogue into one final, coherent answer for the Architect."
-- Bounded, and penalized for repeating itself: a small model otherwise loops on one sentence.
local answer = think(prompt, {max_tokens = 350, temperature = 0.6, repeat_penalty = 1.2})
return {answer = answer, alfred_history = {{role = "user", content = prompt}, {role = "assistant", content = answer}}}
