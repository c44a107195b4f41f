-- Train now: a new value of the rpsquest.dev/train-now annotation starts a training Job.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["rpsquest.dev/train-now"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
