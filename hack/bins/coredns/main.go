// The CoreDNS that hack/bins.sh builds for `make cluster` (the cluster DNS, run on the host behind
// the kube-dns Service): the pinned release's own main with only the plugins the node's Corefile
// uses (hack/cluster/node.sh). The release's binary compiles every plugin, cloud SDKs included:
// 1,291 packages against 759 here.
package main

import (
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loop"
)

func main() {
	coremain.Run()
}
