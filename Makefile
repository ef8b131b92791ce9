# The front door: `make run` to use it, `make test` for everything CI runs.
SHELL := /bin/bash
BIN := bin/pretix-hubspot
GO_SOURCES := $(shell find . -name '*.go' -not -path './node_modules/*' 2>/dev/null) go.mod go.sum
UI_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html vite.config.js svelte.config.js package.json
CHROMIUM ?= /usr/bin/chromium
ARGS ?=

.PHONY: run demo build ui deps test test-go test-ui test-e2e check-fmt chromium bench fuzz clean

run: build ## build everything and start on 127.0.0.1:8080
	./$(BIN) serve $(ARGS)

demo: build ## the same binary with in-process pretix and HubSpot emulators
	./$(BIN) demo $(ARGS)

build: $(BIN)

$(BIN): $(GO_SOURCES) frontend/dist/index.html
	go build -o $(BIN) .

ui: frontend/dist/index.html

frontend/dist/index.html: node_modules/.package-lock.json $(UI_SOURCES)
	npm run build

deps: node_modules/.package-lock.json
	go mod download

# npm ci only when the lock file changed since the last install.
node_modules/.package-lock.json: package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20+ (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

test: check-fmt test-go test-ui test-e2e ## everything CI runs

check-fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	go vet ./...

test-go:
	go test -race -count=1 ./...

test-ui: node_modules/.package-lock.json
	npm run check
	npm run test:unit

test-e2e: build chromium
	npm run test:e2e

# Browser tests drive Debian's Chromium; install it when we may.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing at $(CHROMIUM). Install it (sudo apt-get install chromium) or set CHROMIUM=/path/to/chromium."; exit 1; \
	  fi; \
	fi

# One package at a time (-p 1): the benchmarks run on real time, and two of
# them side by side on two cores skew each other's timings and rate windows.
bench: build ## performance figures, one "BENCH <name> <value> <unit>" line each
	@out=$$(mktemp); PH_BIN=$(CURDIR)/$(BIN) go test -p 1 -run '^$$' -bench . -benchtime 1x -count 1 -timeout 30m ./... >$$out 2>&1; st=$$?; \
	grep -E '^(BENCH|FAIL|ok|---|panic)' $$out; rm -f $$out; exit $$st

# Every fuzz target for FUZZTIME each (their seed corpora also run in make test).
FUZZTIME ?= 60s
fuzz:
	@set -e; for pkg in $$(go list ./...); do \
	  for t in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$t ($$pkg, $(FUZZTIME))"; \
	    go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg 2>&1 | tail -3; \
	    test $${PIPESTATUS[0]} -eq 0; \
	  done; \
	done

clean:
	rm -rf bin frontend/dist/assets frontend/dist/index.html frontend/dist/favicon.svg
