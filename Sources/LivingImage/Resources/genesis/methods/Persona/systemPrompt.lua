-- Answers the system prompt this persona speaks with (from its codex).
local codex = self:describe().codex
return codex and codex.system_prompt or json.null
