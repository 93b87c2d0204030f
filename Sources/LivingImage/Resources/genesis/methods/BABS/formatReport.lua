-- Formats retrieved passages into BABS's research report for a task.
-- args = {task = "...", passages = [{text = "...", source = "...", score = 0.8}, ...]}
-- Answers {report = "text", sources = n}; says plainly when nothing was found.
local passages = args.passages or {}
local lines = {"Research report for: " .. tostring(args.task or "(no task)")}
if #passages == 0 then
  lines[#lines + 1] = "Nothing relevant was found in memory."
else
  table.sort(passages, function(a, b) return (a.score or 0) > (b.score or 0) end)
  for i, p in ipairs(passages) do
    lines[#lines + 1] = string.format("%d. %s [%s]", i, tostring(p.text), tostring(p.source or "unknown"))
  end
end
self:set("lastReportSources", #passages)
return {report = table.concat(lines, "\n"), sources = #passages}
