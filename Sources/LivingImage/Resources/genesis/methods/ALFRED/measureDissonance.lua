-- Dissonance in [0, 1] between BRICK's and ROBIN's final positions:
--   0.5 * (1 - max(cosine of their embeddings, 0)) + 0.5 * (1 - viability ROBIN gave BRICK's best thought).
-- Agreeing positions (similar words, a viable best thought) score low; contradictory ones high.
-- At or above the threshold a `cognitive_dissonance` event carries the task, both positions and the score.
local brick, robin
for _, d in ipairs(args.dialogue or {}) do
  if d.persona == "BRICK" then brick = d.text elseif d.persona == "ROBIN" then robin = d.text end
end
if not brick or not robin then return {dissonance = 0} end
local v = embed({brick, robin})
local dot, na, nb = 0, 0, 0
for i = 1, #v[1] do dot = dot + v[1][i] * v[2][i]; na = na + v[1][i] ^ 2; nb = nb + v[2][i] ^ 2 end
local cosine = (na > 0 and nb > 0) and dot / math.sqrt(na * nb) or 0
local viability = (args.best and tonumber(args.best.viability)) or 0
local dissonance = 0.5 * (1 - math.max(cosine, 0)) + 0.5 * (1 - viability)
dissonance = math.max(0, math.min(1, dissonance))
if dissonance >= (args.dissonance_threshold or 0.8) then
  emit("cognitive_dissonance", {task = args.task, brick = brick, robin = robin, score = dissonance})
end
return {dissonance = dissonance}
