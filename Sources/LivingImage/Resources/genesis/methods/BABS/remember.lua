-- Keeps the interaction in the scrapbook: the task and ALFRED's answer, and the dialogue.
local run = args._run
memory.add("Task: " .. args.task .. "\nAnswer: " .. tostring(args.answer), {source = "user_dialogue", run = run})
local lines = {}
for _, d in ipairs(args.dialogue or {}) do lines[#lines + 1] = d.persona .. ": " .. d.text end
if #lines > 0 then memory.add(table.concat(lines, "\n"), {source = "self_reflection", run = run}) end
return {remembered = true}
