-- Receives every message no method answers, as args = {selector = ..., args = ...}.
-- Asks ALFRED whether to forge the missing method (his codex's policy: which protos may grow
-- methods; the governor keeps the forges-per-hour budget). If he allows it and the Tool Forge
-- succeeds, the original message is sent again and answered; otherwise the answer is a
-- structured "not understood".
local message = args or {}
emit("not_understood", {receiver = self.name, selector = message.selector})
local answer = {
  status = "not understood",
  receiver = self.name,
  selector = message.selector,
  args = message.args,
  hint = "define it with: a4ps method define " .. self.name .. " " .. tostring(message.selector) .. " --file METHOD.lua",
}
if forge == nil then return answer end
local decision = send("ALFRED", "approveForge", {proto = self.name, selector = message.selector})
if not decision.approved then
  answer.forge = decision.reason
  return answer
end
local ok, err = pcall(forge, message.selector, message.args,
  "answer the message `" .. tostring(message.selector) .. "` sent to " .. self.name, decision.language or "lua")
if not ok then
  answer.forge = tostring(err)
  return answer
end
return self:send(message.selector, message.args)
