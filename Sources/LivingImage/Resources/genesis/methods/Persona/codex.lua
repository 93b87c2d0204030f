-- Answers this persona's codex: name, role, principles, system prompt, model.
return self:describe().codex
