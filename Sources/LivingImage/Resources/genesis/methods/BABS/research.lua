-- BABS searches the scrapbook for what the task needs and writes the research report.
-- args: the run's state. Answers {report = "...", sources = n}.
local ok, hits = pcall(memory.search, args.task, {mode = "hybrid", limit = 5})
if not ok then hits = {} end
local passages = json.array()
for i, h in ipairs(hits) do passages[i] = {text = h.text, source = h.source, score = h.score} end
local formatted = self:send("formatReport", {task = args.task, passages = passages})
return {report = formatted.report, sources = formatted.sources}
