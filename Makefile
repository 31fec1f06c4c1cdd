# fanfare-webhooks. Every target installs what it needs into .venv (Python tools) on first use.
SHELL := /bin/bash
VENV := .venv
TOOLS := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help tools test fmt lint build build-arm64 bench cold-start fixtures dev invoke-local sam-invoke soak drop-sim deploy clean fuzz docs

help:
	@echo "make dev           run the whole pipeline locally on moto (Ctrl-C to stop)"
	@echo "make test          every check: fmt, clippy, cfn-lint and checkov (also with a handler's SES policy),"
	@echo "                   scripts/check_template.py, unit, integration and CLI tests on moto (doctests"
	@echo "                   included), the 500-event chaos soak, every fixture through sam local invoke"
	@echo "make fmt           format the code"
	@echo "make lint          clippy, cfn-lint, one TLS stack (scripts/check_tls.py), unused dependencies"
	@echo "make build         debug build of every crate"
	@echo "make build-arm64   release build of the Lambda functions for arm64 (cargo lambda)"
	@echo "make bench         criterion benchmarks"
	@echo "make drop-sim      will it keep up on drop day? DROP_PROFILE (profiles/default.json) simulated with"
	@echo "                   the real processor on a new and a warmed stack at HANDLER_MS (0 and 50), after"
	@echo "                   checking the model against moto; drop_sim --recommend prints the parameters"
	@echo "make fuzz          each cargo-fuzz target for FUZZ_SECONDS (default 120), redaction included"
	@echo "make fixtures      regenerate events/ from scripts/gen_fixtures.py"
	@echo "make docs          regenerate the event catalog (docs/catalog) from the payload types"
	@echo "make invoke-local  run every fixture through cargo lambda invoke and check each answer"
	@echo "make cold-start    init and first invoke of each release bootstrap, against hello world"
	@echo "make soak          chaos soak on moto: SOAK_EVENTS events, faults, SIGKILLs, checked against a reference"
	@echo "make sam-invoke    sam build, then every fixture through sam local invoke on Docker (and start-api)"
	@echo "make deploy        sam build && sam deploy --guided"

$(TOOLS): requirements-dev.txt requirements-checkov.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	python3 -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

tools: $(TOOLS)

test: $(TOOLS)
	scripts/test.sh

fmt:
	cargo fmt --all

CARGO_MACHETE := .tools/bin/cargo-machete

$(CARGO_MACHETE):
	cargo install cargo-machete --locked --root .tools

# Also: no dependency a crate does not use (cargo-machete).
lint: $(TOOLS) $(CARGO_MACHETE)
	cargo clippy --workspace --all-targets -- -D warnings
	cfn-lint template.yaml
	python3 scripts/check_tls.py
	$(CARGO_MACHETE)

build:
	cargo build --workspace

build-arm64: $(TOOLS)
	rustup target add aarch64-unknown-linux-gnu
	cargo lambda build --release --arm64 --bin ingest --bin processor --bin redrive

bench: $(TOOLS)
	cargo bench -p fanfare-shared
	@# Write units per event kind: item sizes of what the processor really writes, on moto.
	PATH="$(CURDIR)/.venv/bin:$$PATH" scripts/with-moto.sh cargo test -q -p fanfare-integration-tests --test integration write_units_per_event_kind -- --nocapture

# Init and first invoke of each release bootstrap against a hello-world lambda_http binary (scripts/cold_start.py).
cold-start: $(TOOLS)
	PATH="$(CURDIR)/.venv/bin:$$PATH" scripts/with-moto.sh .venv/bin/python scripts/cold_start.py

CARGO_FUZZ := .tools/bin/cargo-fuzz

$(CARGO_FUZZ):
	cargo install cargo-fuzz --locked --root .tools

fuzz: $(CARGO_FUZZ)
	scripts/fuzz.sh

# Starts its own stack (test secret, clock pinned to the fixtures' signing time in the debug build).
invoke-local: $(TOOLS)
	cargo test -p fanfare-webhooks-cli --test cli dev_stack::every_fixture -- --nocapture

# Needs a Docker daemon; builds a local stand-in for the Lambda base image where none can be pulled.
sam-invoke: $(TOOLS)
	python3 scripts/sam_invoke.py

# The drop before the drop (tests/src/bin/drop_sim): the model checked against moto, then the
# profile on a new stack (the template's defaults) and a warmed one at each handler latency
# (scripts/drop_sim.sh). DROP_SIM_ARGS passes more options (--concurrency, --ack-only, ...).
drop-sim: $(TOOLS)
	scripts/drop_sim.sh

# The chaos soak (tests/src/bin/soak.rs): SOAK_EVENTS (default 10000) events with faults and kills.
soak: $(TOOLS)
	cargo build -p fanfare-integration-tests --bin soak
	scripts/with-moto.sh target/debug/soak run --events $${SOAK_EVENTS:-10000}

fixtures:
	python3 scripts/gen_fixtures.py

# A JSON Schema per kind and the page listing them; a test fails when they differ from the types.
docs:
	cargo run --quiet -p fanfare-webhooks-cli -- catalog --out docs/catalog

dev: $(TOOLS)
	scripts/dev.sh

deploy: $(TOOLS)
	sam build && sam deploy --guided

clean:
	cargo clean
	rm -rf $(VENV) .tools fuzz/target
