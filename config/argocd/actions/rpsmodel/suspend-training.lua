-- Suspend training: no new training Job starts (a running one finishes).
if obj.spec.training == nil then
  obj.spec.training = {}
end
obj.spec.training.suspend = true
return obj
