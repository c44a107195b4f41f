# RPS Quest — the two commands a new user needs are `make dev` and `make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# Node 20 ships without fetch-compatible TLS knobs for the local self-signed API server; the harness handles it.

.PHONY: image kind-up kind-load deploy undeploy kind-down
.PHONY: test deps npm bins bins-gitops bins-all build generate lint typecheck unit integration e2e dev down bench clean
.PHONY: cluster cluster-down cluster-test install-plugin uninstall-plugin

## test: everything from nothing — system packages, npm ci, binaries, lint, typecheck, unit, integration,
## e2e, and the cluster tests on a real node (make cluster: root, Linux)
test: deps npm bins-all lint typecheck unit integration e2e cluster-test

## deps: Debian packages the tests need (Chromium for the browser tests)
deps:
	@bash hack/deps.sh

npm:
	npm ci

## bins: build (or reuse from the cache) etcd, kube-apiserver, kube-controller-manager, kubectl and MinIO
bins:
	@bash hack/bins.sh

## bins-gitops: those and Argo CD and kustomize (the GitOps integration tests, make dev GITOPS=1)
bins-gitops:
	@bash hack/bins.sh gitops

## bins-all: those and the real node's (make test builds every one at once: hack/bins is one Go module)
bins-all:
	@bash hack/bins.sh all

## build: compiles to dist/ (what the image runs: `node dist/cli.js <command>`), with the web UI's files
build:
	rm -rf dist
	npx tsc -p tsconfig.build.json
	cp -r app/public dist/app/public
	find dist/app/public -name '*.d.ts' -delete # types for the checker only: the image holds no TypeScript
	cp package.json dist/package.json

## generate: the CRD's hyperparameter schema and rules from trainer/hyperparameters.ts, and the Argo CD
## health scripts from config/argocd/health/src (output checked in)
generate:
	@node --import tsx hack/generate-crds.ts
	@node --import tsx hack/generate-argocd-health.ts

lint:
	npx eslint .
	npx prettier --check .

## typecheck: the TypeScript, and the browser code's JSDoc types (tsconfig.browser.json: DOM, no Node)
typecheck:
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p tsconfig.browser.json

unit:
	npx vitest run --project unit

integration:
	npx vitest run --project integration

e2e:
	npx vitest run --project e2e

## dev: the whole system locally (control plane, MinIO, operator, game server, samples); Ctrl-C stops it.
## GITOPS=1: the samples come from a local git repository (.dev/gitops) through Argo CD
## DB=postgres REPLICAS=3: that many game servers on a local PostgreSQL, behind a round-robin proxy on :8080
dev:
	@[ -d node_modules ] || npm ci
	@bash hack/bins.sh $(if $(filter 1,$(GITOPS)),gitops)
	@GITOPS=$(GITOPS) RPS_DEV_DB="$(DB)" RPS_DEV_REPLICAS="$(REPLICAS)" node --import tsx cli.ts dev

## down: stop a `make dev` running in another terminal
down:
	@node --import tsx hack/down.ts

## cluster: a real one-node cluster on this machine (root, Linux; no Docker): containerd, kubelet,
## kube-proxy, CoreDNS, the image built with buildah, config/default and config/samples; prints the URLs
cluster:
	@bash hack/cluster.sh up

## cluster-down: stops `make cluster` and puts the host back as it was (processes, mounts, iptables, sysctls)
cluster-down:
	@bash hack/cluster.sh down

## cluster-test: tests/cluster on the real node (uses a running `make cluster`, or starts and stops one)
cluster-test:
	npx vitest run --project cluster

## install-plugin: `kubectl rpsq` — links bin/kubectl-rpsq of this checkout into $(PREFIX)/bin (default /usr/local)
PREFIX ?= /usr/local
install-plugin:
	@[ -d node_modules ] || npm ci
	install -d $(DESTDIR)$(PREFIX)/bin
	ln -sf $(CURDIR)/bin/kubectl-rpsq $(DESTDIR)$(PREFIX)/bin/kubectl-rpsq
	@echo "kubectl rpsq --help"

uninstall-plugin:
	rm -f $(DESTDIR)$(PREFIX)/bin/kubectl-rpsq

## bench: run every bench/<name>.ts (`npm run bench -- <name>` runs one)
bench:
	@node --import tsx bench/run.ts

clean:
	rm -rf dist .dev/logs test-results

## image / kind-up / kind-load / deploy / undeploy / kind-down: the same manifests on kind (needs Docker and kind)
image:
	@bash hack/kind.sh image
kind-up:
	@bash hack/kind.sh up
kind-load:
	@bash hack/kind.sh load
deploy:
	@bash hack/kind.sh deploy
undeploy:
	@bash hack/kind.sh undeploy
kind-down:
	@bash hack/kind.sh down
