# checkout-server. `make test` is the one test command: it installs what it needs, starts a throwaway
# Postgres, runs every test, and stops Postgres again whether the tests pass or not.
SHELL := /bin/bash
.DEFAULT_GOAL := build

PG_TEST_DIR ?= .local/pg-test
PG_DEV_DIR  ?= .local/pg
# aiosmtpd (the tests' SMTP server) and maildump (`make run`'s mail catcher), pinned: scripts/mail-venv.sh.
MAIL_VENV   ?= .local/mail-venv
SWIFT       ?= swift
# Extra flags for `swift test`, e.g. `make test TEST_FLAGS="--filter PostgresTests"`.
TEST_FLAGS  ?=
# Each stage's output, for the closing summary line.
TEST_LOGS   ?= .local/test-logs
# Chaos scenarios `make test` runs after `swift test` (skipped when TEST_FLAGS narrows the run); the
# load-sensitive `abuse` scenario runs only in `make test-chaos` (docs/CHAOS.md says why).
CI_CHAOS    ?= storm pg-restart stripe-faults interleave
# Steps of the model-based `interleave` scenario: one seeded run in `make test`, INTERLEAVE_RUNS
# consecutive seeds from INTERLEAVE_SEED in `make test-chaos` (tests/chaos/NOTES.md).
INTERLEAVE_CI_STEPS ?= 400
INTERLEAVE_STEPS    ?= 2000
INTERLEAVE_RUNS     ?= 5
INTERLEAVE_SEED     ?= 1

.PHONY: deps build release test db-start db-stop db-url fmt lint clean fuzz-http bench-http run demo test-browser screenshots
.PHONY: bench profile test-chaos fuzz-stripe test-stripe-conformance dist test-dist test-deploy

deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	@set -u; \
	scripts/pg.sh start $(PG_TEST_DIR) --fresh; \
	trap 'scripts/pg.sh stop $(PG_TEST_DIR)' EXIT INT TERM; \
	export DATABASE_URL="$$(scripts/pg.sh url $(PG_TEST_DIR))"; \
	export CHECKOUT_PG_DIR="$(CURDIR)/$(PG_TEST_DIR)"; \
	export CHECKOUT_REPO_ROOT="$(CURDIR)"; \
	scripts/mail-venv.sh $(MAIL_VENV) && export CHECKOUT_MAIL_PYTHON="$(CURDIR)/$(MAIL_VENV)/bin/python"; \
	echo "test: Postgres at $$DATABASE_URL"; \
	rm -rf $(TEST_LOGS) && mkdir -p $(TEST_LOGS); \
	$(SWIFT) build --build-tests && $(SWIFT) test --skip-build $(TEST_FLAGS) 2>&1 | tee $(TEST_LOGS)/swift.log; \
	exit $${PIPESTATUS[0]}
	@# The browser tests (tests/browser) after the Swift ones; not on a filtered run, nor with BROWSER_TESTS=0.
	@if [ -z "$(strip $(TEST_FLAGS))" ] && [ "$(BROWSER_TESTS)" != "0" ]; then \
	  $(MAKE) --no-print-directory test-browser 2>&1 | tee $(TEST_LOGS)/browser.log; exit $${PIPESTATUS[0]}; fi
	@# stripe-sim against Stripe's official Python library and Stripe's published shapes; not on a filtered run.
	@if [ -z "$(strip $(TEST_FLAGS))" ]; then \
	  $(MAKE) --no-print-directory test-stripe-conformance 2>&1 | tee $(TEST_LOGS)/conformance.log; exit $${PIPESTATUS[0]}; fi
	@# The CI part of the chaos suite (tests/chaos) after the Swift tests, on the debug binaries; not on a filtered run.
	@if [ -z "$(strip $(TEST_FLAGS))" ]; then \
	  CHAOS_BIN="$(CURDIR)/.build/debug" INTERLEAVE_STEPS=$(INTERLEAVE_CI_STEPS) INTERLEAVE_RUNS=1 \
	  INTERLEAVE_SEED=$(INTERLEAVE_SEED) python3 tests/chaos/run.py $(CI_CHAOS) 2>&1 | tee $(TEST_LOGS)/chaos.log; \
	  exit $${PIPESTATUS[0]}; fi
	@# The binaries as installed: from an empty directory, bare environment, built-in files (tests/dist).
	@if [ -z "$(strip $(TEST_FLAGS))" ]; then \
	  BIN_DIR="$(CURDIR)/.build/debug" python3 tests/dist/test_dist.py 2>&1 | tee $(TEST_LOGS)/dist.log; \
	  exit $${PIPESTATUS[0]}; fi
	@# One closing line for the whole run, counted from each runner's own report.
	@python3 scripts/test-summary.py $(TEST_LOGS)

db-start: deps
	@scripts/pg.sh start $(PG_DEV_DIR)
	@echo "DATABASE_URL=$$(scripts/pg.sh url $(PG_DEV_DIR))"

db-stop:
	@scripts/pg.sh stop $(PG_DEV_DIR)

db-url:
	@scripts/pg.sh url $(PG_DEV_DIR)

fmt:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Plugins Sources Tests

# Every language in the tree (CI runs this before `make test`): swift format lint --strict; shellcheck
# (warnings and errors) on the shell scripts; `node --check` on the pages' JavaScript; ruff (pinned, in a
# project-local venv; rules in ruff.toml) on the Python under tests/, bench/ and scripts/.
LINT_VENV    ?= .local/lint-venv
RUFF_VERSION := 0.17.5
SHELL_FILES   = $(shell find scripts bench fuzz tests -name '*.sh' -not -path '*/.build*') .ci/run
lint:
	@scripts/deps.sh shellcheck nodejs
	@[ "$$($(LINT_VENV)/bin/ruff --version 2>/dev/null)" = "ruff $(RUFF_VERSION)" ] || { rm -rf $(LINT_VENV) && \
	  python3 -m venv $(LINT_VENV) && $(LINT_VENV)/bin/pip install -q --disable-pip-version-check ruff==$(RUFF_VERSION); }
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Plugins Sources Tests
	shellcheck --severity=warning $(SHELL_FILES)
	@for f in web/*/*.js; do node --check "$$f" || exit 1; done; echo "node --check web/*/*.js: ok"
	$(LINT_VENV)/bin/ruff check tests bench scripts

# libFuzzer over HTTPServer's parser and connection state machine (corpus in .local/fuzz-http).
FUZZ_SECONDS ?= 600
fuzz-http:
	fuzz/http/run.sh $(FUZZ_SECONDS)

# Our HTTP core vs a Hummingbird 2 hello world under wrk (release builds, pinned CPUs); see bench/README.md.
bench-http:
	bench/http.sh

# Everything up for clicking through: Postgres (data kept in .local/pg), stripe-sim (unless a real
# STRIPE_SECRET_KEY is configured), checkoutd on :8080 with the demo storefront. Ctrl-C stops it.
run: deps
	@scripts/run.sh

# A scripted curl walkthrough against the stack `make run` started (in another terminal).
demo:
	@scripts/demo.sh

# Headless Chromium clicks through the storefront and the admin page against a stack the test starts
# itself (own Postgres, stripe-sim, checkoutd on free ports). `make test` runs it too.
test-browser: deps
	@scripts/browser-deps.sh >/dev/null 2>&1 || scripts/browser-deps.sh
	@scripts/mail-venv.sh $(MAIL_VENV)
	@$(SWIFT) build --product checkoutd && $(SWIFT) build --product stripe-sim
	@BIN_DIR="$$($(SWIFT) build --show-bin-path)" python3 tests/browser/test_flows.py -v

# stripe-sim held against Stripe's own artifacts: the official `stripe` Python library (pinned, in a venv under
# .local/) drives a real stripe-sim; answers are checked against Stripe's error codes and the JSON Schemas in
# tests/stripe-conformance/schemas (see tests/stripe-conformance/README.md). `make test` runs it too.
CONFORMANCE_VENV ?= .local/conformance-venv
test-stripe-conformance: deps
	@scripts/conformance-venv.sh $(CONFORMANCE_VENV)
	@$(SWIFT) build --product stripe-sim
	@BIN_DIR="$$($(SWIFT) build --show-bin-path)" $(CONFORMANCE_VENV)/bin/python tests/stripe-conformance/test_conformance.py -v

# Re-takes the README's screenshots (docs/screenshots/*.png, 1280×800) with the browser tests.
screenshots:
	@SCREENSHOT_DIR="$(CURDIR)/docs/screenshots" $(MAKE) --no-print-directory test-browser
# The whole system under load vs its ceilings (release builds, own Postgres in .local/pg-bench); writes
# docs/BENCHMARKS.md. See bench/run.sh for the knobs.
bench: deps
	bench/run.sh

# Where checkoutd's CPU goes on one route: CPU-µs, context switches and callgrind instructions per request
# (bench/profile.sh; PROFILE_ROUTE by-session|webhook|create, PROFILE_COUNT requests under callgrind).
PROFILE_ROUTE ?= by-session
PROFILE_COUNT ?= 2000
profile: deps
	bench/profile.sh $(PROFILE_ROUTE) $(PROFILE_COUNT)

# The chaos suite: real checkoutd/stripe-sim release binaries, own throwaway Postgres per scenario;
# results in docs/CHAOS.md. `make test` runs $(CI_CHAOS) of it against the debug binaries.
CHAOS ?=
test-chaos: deps
	$(SWIFT) build -c release --scratch-path .build-release --product checkoutd
	$(SWIFT) build -c release --scratch-path .build-release --product stripe-sim
	INTERLEAVE_STEPS=$(INTERLEAVE_STEPS) INTERLEAVE_RUNS=$(INTERLEAVE_RUNS) INTERLEAVE_SEED=$(INTERLEAVE_SEED) \
	  tests/chaos/chaos.sh $(CHAOS)

# libFuzzer over webhook body decoding (+ the domain mapping) and the Stripe-Signature parser,
# FUZZ_STRIPE_SECONDS per target (corpus in .local/fuzz-stripe).
FUZZ_STRIPE_SECONDS ?= 300
fuzz-stripe:
	fuzz/stripe/run.sh $(FUZZ_STRIPE_SECONDS)

# The release artifact: checkoutd and stripe-sim built in release mode with the Swift runtime linked
# statically (--static-swift-stdlib; only Debian's libpq, OpenSSL, libcurl, libstdc++ and glibc stay
# shared), plus .env.example, a sample systemd unit and a short INSTALL.md, in
# .local/dist/checkout-server-VERSION-linux-ARCH.tar.gz. Own scratch path: the debug build is untouched.
DIST_DIR     ?= .local/dist
DIST_SCRATCH ?= .build-dist
DIST_NAME    := checkout-server-$(shell tr -d ' \n' < VERSION)-linux-$(shell uname -m)
dist:
	@scripts/deps.sh libcurl4-openssl-dev
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(DIST_SCRATCH) --product checkoutd
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(DIST_SCRATCH) --product stripe-sim
	@scripts/dist.sh "$$($(SWIFT) build -c release --scratch-path $(DIST_SCRATCH) --show-bin-path)" \
	  $(DIST_DIR) $(DIST_NAME)

# `make dist`, then the self-contained test (tests/dist) on the binaries unpacked from the tarball.
test-dist: dist
	@set -eu; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	tar -xzf $(DIST_DIR)/$(DIST_NAME).tar.gz -C "$$dir"; \
	BIN_DIR="$$dir/$(DIST_NAME)" python3 tests/dist/test_dist.py

# Two checkoutd behind Debian's haproxy (installed when missing) on one Postgres: a purchase, its webhook
# and the success page through the proxy, then a rolling restart under steady load with zero failed
# requests (tests/deploy; ~40 s on the debug build). CI runs it after `make test`.
test-deploy:
	@scripts/deps.sh haproxy
	@$(SWIFT) build --product checkoutd && $(SWIFT) build --product stripe-sim
	@BIN_DIR="$$($(SWIFT) build --show-bin-path)" python3 tests/deploy/test_deploy.py

clean:
	rm -rf .build
