-- Decides whether the Socratic Contrapunto goes on: another BRICK turn until they agree or
-- max_turns is reached, then the dissonance is measured.
if args.agree or (args.turn or 0) >= (args.max_turns or 5) then return "measure" end
return "propose"
