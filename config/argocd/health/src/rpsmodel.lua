-- Argo CD health of an RpsModel (rpsquest.dev/v1alpha1), from its status written by the operator.
local subject = "model"
-- include: status.lua
-- Ready=False reasons that mean "not there yet" (the first version trains, the game server is
-- loading a new one); every other reason (TrainingFailed, PinnedVersionMissing,
-- GameServerUnreachable, ...) needs a person.
local pending = { NoVersion = true, NotServed = true }
-- Training reasons that need a person even while an older version keeps serving.
local failed = { TrainingFailed = true, InvalidSchedule = true }
local ready = condition("Ready")
local training = condition("Training")
if ready ~= nil and ready.status == "False" and not pending[ready.reason] then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end
if training ~= nil and training.status == "False" and failed[training.reason] then
  hs.status = "Degraded"
  hs.message = describe(training)
  return hs
end
if obj.spec ~= nil and obj.spec.training ~= nil and obj.spec.training.suspend == true then
  hs.status = "Suspended"
  hs.message = "Training is suspended (spec.training.suspend)"
  return hs
end
if training ~= nil and training.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(training)
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  local production = status.aliases ~= nil and status.aliases.Production or nil
  if production ~= nil then
    hs.message = "Production " .. production .. " serves"
  else
    hs.message = describe(ready)
  end
  return hs
end
return progressing(ready, "Waiting for the first version")
