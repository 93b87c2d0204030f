-- Answers this proto's self-description: slots, methods with their doc strings and versions,
-- inherited methods, parent chain, codex and version.
return self:describe()
