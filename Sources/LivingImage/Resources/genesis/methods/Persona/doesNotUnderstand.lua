-- Receives every message no method answers, as args = {selector = ..., args = ...}.
-- Genesis behaviour: answer a structured "not understood" (and announce it), so the sender
-- gets a clear reply instead of a crash. The Tool Forge may later replace this to grow the
-- missing method instead.
local message = args or {}
emit("not_understood", {receiver = self.name, selector = message.selector})
return {
  status = "not understood",
  receiver = self.name,
  selector = message.selector,
  args = message.args,
  hint = "define it with: a4ps method define " .. self.name .. " " .. tostring(message.selector) .. " --file METHOD.lua",
}
