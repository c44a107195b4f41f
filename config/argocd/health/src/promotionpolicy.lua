-- Argo CD health of a PromotionPolicy (rpsquest.dev/v1alpha1), from its status written by the operator.
local subject = "policy"
-- include: status.lua
local ready = condition("Ready")
-- Ready=False (NoModelsSelected, Conflict, GameServerUnreachable, ...): no evaluation can run.
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end
-- Manual mode: a promotion waits until its evaluation id is listed in spec.approve.
if obj.spec ~= nil and obj.spec.mode == "Manual" and status.models ~= nil then
  local waiting = {}
  for _, m in ipairs(status.models) do
    local e = m.lastEvaluation
    if e ~= nil and e.outcome == "AwaitingApproval" then
      table.insert(waiting, (m.model or "?") .. " (" .. (e.id or "?") .. ")")
    end
  end
  if #waiting > 0 then
    hs.status = "Suspended"
    hs.message = "Promotion awaits approval in spec.approve: " .. table.concat(waiting, ", ")
    return hs
  end
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  local mode = "Automatic"
  if obj.spec ~= nil and obj.spec.mode ~= nil then
    mode = obj.spec.mode
  end
  if status.lastDecision ~= nil then
    hs.message = mode .. "; last decision " .. status.lastDecision
  else
    hs.message = mode .. "; no evaluation yet"
  end
  return hs
end
return progressing(ready, "Waiting for the first evaluation")
