-- The entry of every deliberation: ALFRED receives the Architect's task and sets the run up.
-- args = {task = "...", max_turns = 5, dissonance_threshold = 0.8}
-- Answers the initial state updates.
if type(args.task) ~= "string" or args.task == "" then error("a deliberation needs a task") end
emit("task_received", {task = args.task})
return {
  task = args.task,
  max_turns = args.max_turns or 5,
  dissonance_threshold = args.dissonance_threshold or 0.8,
  turn = 0,
  dialogue = json.array(),
}
