-- Counts down from args.n to 0 by sending itself countdown with n - 1 (a nested send per
-- step), recording the deepest n reached in the slot `lastCountdown`. Answers the list of steps.
local n = args and args.n or 0
if n <= 0 then return json.array({0}) end
local rest = self:send("countdown", {n = n - 1})
local steps = json.array({n})
for _, v in ipairs(rest) do steps[#steps + 1] = v end
self:set("lastCountdown", n)
return steps
