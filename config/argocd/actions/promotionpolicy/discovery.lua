-- Argo CD resource actions of a PromotionPolicy; each is promotionpolicy/<name>.lua.
local actions = {}
local waiting = false
if obj.status ~= nil and obj.status.models ~= nil then
  for _, m in ipairs(obj.status.models) do
    if m.lastEvaluation ~= nil and m.lastEvaluation.outcome == "AwaitingApproval" then
      waiting = true
    end
  end
end
actions["evaluate-now"] = { ["displayName"] = "Evaluate now" }
actions["approve"] = { ["displayName"] = "Approve pending promotions", ["disabled"] = not waiting }
return actions
