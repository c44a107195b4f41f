-- Argo CD resource actions of an RpsModel; each is rpsmodel/<name>.lua, enabled when it would change something.
local actions = {}
local suspended = obj.spec ~= nil and obj.spec.training ~= nil and obj.spec.training.suspend == true
local aliases = {}
if obj.status ~= nil and obj.status.aliases ~= nil then
  aliases = obj.status.aliases
end
local pinnedB = nil
if obj.spec ~= nil and obj.spec.aliases ~= nil then
  pinnedB = obj.spec.aliases.B
end
actions["train-now"] = { ["displayName"] = "Train now", ["disabled"] = suspended }
actions["suspend-training"] = { ["displayName"] = "Suspend training", ["disabled"] = suspended }
actions["resume-training"] = { ["displayName"] = "Resume training", ["disabled"] = not suspended }
-- B is worth rejecting only while it differs from Production and no pin decides it already
actions["reject-b"] = {
  ["displayName"] = "Reject B (pin B to Production)",
  ["disabled"] = aliases.Production == nil or aliases.B == aliases.Production or pinnedB ~= nil,
}
actions["unpin-b"] = { ["displayName"] = "Unpin B", ["disabled"] = pinnedB == nil }
return actions
