# revenant — build, test, demo and bench. Every target installs missing Debian packages first.
SHELL := /bin/bash
SWIFT ?= swift

ifneq ($(wildcard /opt/swift/usr/bin/swift),)
export PATH := /opt/swift/usr/bin:$(PATH)
endif

DEMO_RUN  := Fixtures/demo/run
DEMO_PORT := 18080
REVENANT  := .build/release/revenant

.PHONY: deps build demo test fuzz bench bench-certs bench-protocols bench-memory clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

# Starts the local targets, runs the demo inventory, and always stops the targets.
# Exit code 1 from revenant means "findings" and is expected here. The run seals its ledger with a
# throwaway Ed25519 key made here (Fixtures/demo/run is not committed), and the seal is checked.
# The run writes report.txt (shown here) and report.html (docs/html.md) into Fixtures/demo/run.
demo: build
	@bash scripts/targets.sh start $(DEMO_RUN) --base-port $(DEMO_PORT)
	@trap 'bash scripts/demo.sh stop $(abspath $(DEMO_RUN)); bash scripts/targets.sh stop $(DEMO_RUN)' EXIT; \
	bash scripts/demo.sh start $(abspath $(DEMO_RUN)) $$(( $(DEMO_PORT) + 3 )) || exit 1; \
	rm -f $(DEMO_RUN)/seal-key.pem; \
	( umask 077; openssl genpkey -algorithm ed25519 -out $(DEMO_RUN)/seal-key.pem ) || exit 1; \
	openssl pkey -in $(DEMO_RUN)/seal-key.pem -pubout -out $(DEMO_RUN)/seal-public.pem || exit 1; \
	status=0; \
	$(REVENANT) verify --inventory Fixtures/demo/inventory.yaml --inventory $(DEMO_RUN)/demo-inventory.yaml \
	  --probes Fixtures/demo/probes --config $(DEMO_RUN)/demo-config.json \
	  --ledger $(DEMO_RUN)/evidence.jsonl --seal-key $(DEMO_RUN)/seal-key.pem \
	  --format table --format html --output $(DEMO_RUN) || status=$$?; \
	if [ $$status -gt 1 ]; then echo "revenant verify failed (exit $$status)" >&2; exit $$status; fi; \
	cat $(DEMO_RUN)/report.txt; \
	echo "HTML report: $(abspath $(DEMO_RUN))/report.html"; \
	$(REVENANT) evidence verify $(DEMO_RUN)/evidence.jsonl --public-key $(DEMO_RUN)/seal-public.pem

# The whole suite, then a short fuzzing pass over every fuzz target (a crash fails the run).
test: deps
	$(SWIFT) build
	$(SWIFT) test
	bash scripts/fuzz.sh --seconds $(FUZZ_TEST_SECONDS)

# libFuzzer + AddressSanitizer over every reader of hostile bytes, FUZZ_SECONDS per target (docs/fuzzing.md).
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 4
fuzz: deps
	bash scripts/fuzz.sh --seconds $(FUZZ_SECONDS)

bench: build
	bash scripts/bench.sh

# Certificate benchmarks: a 1,000,000-entry CRL vs `openssl crl`, and 10,000 PEM files vs
# pyca/cryptography. A separate scratch path keeps this release build apart from the test build.
bench-certs: deps
	$(SWIFT) build -c release --scratch-path .build-bench
	python3 scripts/bench-certs.py .build-bench/release/revenant

# Protocol probes: logins/s of revenant against each local server next to the server's own
# client tool (ssh, psql, ldapwhoami, curl), in the same run. Needs root (sshd).
bench-protocols: build
	bash scripts/bench-protocols.sh 200
	bash scripts/bench-curl-protocols.sh

# Memory: one verify of 1,000,000 credentials (JSON inventory and report) against one nginx on
# loopback: peak RSS and time, per phase, against the 500 MB goal (docs/benchmarks.md).
bench-memory: build
	bash scripts/bench.sh --scale 1000000

clean:
	-@bash scripts/demo.sh stop $(abspath $(DEMO_RUN))
	-@bash scripts/targets.sh stop $(DEMO_RUN)
	rm -rf .build .build-fuzz $(DEMO_RUN)
