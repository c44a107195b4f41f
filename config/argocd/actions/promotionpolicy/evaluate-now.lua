-- Evaluate now: a new value of the rpsquest.dev/evaluate-now annotation evaluates every selected
-- model at once instead of at the next interval.
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["rpsquest.dev/evaluate-now"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
