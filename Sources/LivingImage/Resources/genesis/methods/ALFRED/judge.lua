-- The Oracle judging one answer blind, for the strategic loop's validation of a fine-tuned mind:
-- ALFRED is not told which model wrote it (old and new answers come in shuffled order).
-- args: {persona, role, request, answer}. Answers {score = 1..5, reason}.
local oracle = self:describe().codex.oracle or {}
local question = oracle.validation_question
  or "How well does this answer serve the request, in the persona's role: correct, relevant, clear and honest?"
local function clip(text, n) text = tostring(text or "") if #text > n then return text:sub(1, n) .. "…" end return text end
local prompt = "A persona of the system, " .. tostring(args.persona or "?") ..
  (args.role and (" (" .. clip(args.role, 200) .. ")") or "") .. ", was asked:\n" .. clip(args.request, 2000) ..
  "\n\nIt answered:\n" .. clip(args.answer, 2000) ..
  "\n\nAs the Oracle: " .. question .. " Score it from 1 (poor) to 5 (excellent) with a one-line reason." ..
  "\nJSON: {\"score\": 3, \"reason\": \"...\"}"
local verdict = think(prompt, {max_tokens = 200, temperature = 0.2, repeat_penalty = 1.1,
  schema = {type = "object", required = {"score", "reason"}, properties = {
    score = {type = "integer", minimum = 1, maximum = 5}, reason = {type = "string", minLength = 1, maxLength = 300}}}})
return {score = verdict.score, reason = verdict.reason}
