-- An inspector view (the Entropic UI shows every view_<name> method as a tab of the inspector):
-- this persona's codex as a table, one row per field and one per principle.
local described = self:describe()
local rows = {}
for key, value in pairs(described.codex or {}) do
  if type(value) == "table" then
    for index, item in ipairs(value) do rows[#rows + 1] = {key .. " " .. index, tostring(item)} end
  else
    rows[#rows + 1] = {key, tostring(value)}
  end
end
table.sort(rows, function(a, b) return a[1] < b[1] end)
return {title = "The codex of " .. described.name, kind = "table", columns = {"field", "value"}, rows = rows}
