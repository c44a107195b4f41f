-- Reject B: pin B to the Production version, so the A/B test has no challenger and no promotion
-- happens until the pin is removed (the unpin-b action, or Git).
if obj.spec.aliases == nil then
  obj.spec.aliases = {}
end
obj.spec.aliases.B = obj.status.aliases.Production
return obj
