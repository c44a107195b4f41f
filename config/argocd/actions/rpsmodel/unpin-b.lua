-- Unpin B: the policy's ranking chooses B again.
obj.spec.aliases.B = nil
-- no pins left: drop the map (an empty Lua table would reach the API server as a list)
if next(obj.spec.aliases) == nil then
  obj.spec.aliases = nil
end
return obj
