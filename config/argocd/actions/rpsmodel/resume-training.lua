-- Resume training: training starts again on its triggers.
if obj.spec.training == nil then
  obj.spec.training = {}
end
obj.spec.training.suspend = false
return obj
