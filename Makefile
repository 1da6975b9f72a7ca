# extguard: the two set-up commands are `make run` and `make test` (README.md).

GO       ?= go
# SemVer: 1.2.0 on a tag, 1.2.0+3.gabc1234 after it, 0.0.0-dev+abc1234 untagged (scripts/version.sh).
VERSION  ?= $(shell ./scripts/version.sh)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
PKGS     := ./...
# Where `make build` writes; the agent's end-to-end test runs `make build BIN=<its temp dir>`, so it
# tests the binaries exactly as they are built here.
BIN      ?= bin

.PHONY: build build-agents run test test-agent-windows test-race lint generate wire-check bench fmt clean

build: ## bin/extguard and bin/extguard-agent
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/extguard ./cmd/extguard
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/extguard-agent ./cmd/extguard-agent

build-agents: ## the agent for linux, darwin and windows on amd64 and arm64
	@for os in linux darwin windows; do for arch in amd64 arm64; do \
	  ext=; [ $$os = windows ] && ext=.exe; \
	  echo "bin/agents/extguard-agent-$$os-$$arch$$ext"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
	    -o bin/agents/extguard-agent-$$os-$$arch$$ext ./cmd/extguard-agent || exit 1; \
	done; done

run: build ## migrations + API + workers on the local PostgreSQL and Redis
	$(BIN)/extguard all

test: ## every test, against the local PostgreSQL and Redis
	$(GO) test -count=1 -timeout 10m $(PKGS)

test-agent-windows: ## the agent's tests built for windows/amd64, run under Wine (scripts/wine-test.sh)
	scripts/wine-test.sh

test-race:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

lint: wire-check ## gofmt, go vet, the architecture test, wire_gen.go current, released dependencies
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -run 'TestArchitecture' ./domain/
	$(GO) test -count=1 -run 'TestModuleRequiresOnlyReleasedVersions|TestNotReleased' ./scripts/

generate: ## regenerate wire_gen.go
	$(GO) tool wire gen ./cmd/extguard

wire-check: ## fails when wire_gen.go is not what wire would generate
	@$(GO) tool wire diff ./cmd/extguard >/dev/null 2>&1 || { echo "wire_gen.go is stale: run make generate"; $(GO) tool wire diff ./cmd/extguard; exit 1; }

LOAD_DURATION ?= 20s
bench: ## benchmarks and the load run (see README); LOAD_DURATION=60s for the full fixed-rate run
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./domain/... ./adapters/...
	$(GO) run ./cmd/extguard-load -duration $(LOAD_DURATION)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
