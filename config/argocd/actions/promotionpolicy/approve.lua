-- Approve: adds the id of every evaluation awaiting approval to spec.approve (Manual mode).
local approve = {}
local listed = {}
if obj.spec.approve ~= nil then
  for _, id in ipairs(obj.spec.approve) do
    table.insert(approve, id)
    listed[id] = true
  end
end
for _, m in ipairs(obj.status.models) do
  local e = m.lastEvaluation
  if e ~= nil and e.outcome == "AwaitingApproval" and not listed[e.id] then
    table.insert(approve, e.id)
    listed[e.id] = true
  end
end
obj.spec.approve = approve
return obj
