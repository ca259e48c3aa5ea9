# windrose — see `make help`.
GO      ?= go
BIN     ?= bin/windrose
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
NODE_DIR := internal/e2e/node

.PHONY: help build test test-go test-node chaos demo lint bench loadtest fuzz clean tools deploy-check

help: ## list targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/windrose (static)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/windrose

test: test-go test-node ## everything CI runs: vet, race tests (chaos included), Node SDK tests

test-go: ## go vet + go test -race over every package
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 12m ./...
	$(GO) test -count=1 -run 'NoAllocs' ./... # allocation checks: the race detector allocates, so they skip under -race

test-node: build ## the official openai npm package against the gateway
	cd $(NODE_DIR) && ( [ -d node_modules ] || npm ci --no-audit --no-fund )
	cd $(NODE_DIR) && WINDROSE_BIN=$(CURDIR)/$(BIN) node --test

chaos: ## the chaos suite alone (faults injected into emulators)
	$(GO) test -race -count=1 -run 'Chaos' -v ./internal/e2e/...

demo: build ## emulators + gateway on 127.0.0.1:8080, no credentials
	./$(BIN) demo

lint: ## gofmt, go vet, staticcheck when installed
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	@command -v staticcheck >/dev/null && staticcheck ./... || echo "staticcheck not installed; skipped"

bench: ## hot-path benchmarks with allocations
	$(GO) test -run '^$$' -bench . -benchmem ./internal/openaiapi/ ./internal/router/ ./providers/... ./internal/e2e/

loadtest: ## windrose vs a bare httputil.ReverseProxy, each its own pinned process, 5 interleaved rounds (~4 min, loopback only)
	WINDROSE_LOADTEST=1 $(GO) test -count=1 -timeout 15m -run TestOverheadRatio -v ./internal/e2e/

fuzz: ## a short run of every fuzz target
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$pkg || exit 1; \
	  done; \
	done

tools: ## build the pinned Helm the deploy tests use (cached; see .ci/helm)
	./.ci/helm

deploy-check: tools ## deploy/ alone: Helm, kustomize, strict decoding, promtool, live Prometheus
	$(GO) test -count=1 -v ./deploy/

clean: ## remove build output
	rm -rf bin
