# Everyday commands. `make` alone lists them.
CARGO ?= cargo

.DEFAULT_GOAL := help
.PHONY: help dev test smoke openapi lint fmt build bench cloud deploy

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

dev: ## Run the whole API on 127.0.0.1:3000 (in-memory, demo data)
	$(CARGO) run -p booking-local

test: ## Every check (scripts/test): lint, unit, smoke, schemathesis, template, local cloud, sam build
	scripts/test

smoke: ## Smoke-test booking-local with curl (part of `make test`)
	scripts/smoke-local

openapi: ## Regenerate openapi.json, the OpenAPI 3.1 description, from the code
	UPDATE_OPENAPI=1 $(CARGO) test -p booking-api --test api openapi::the_committed_description_is_current

lint: ## rustfmt --check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

bench: ## Benchmarks: report and availability paths, RSS and latency under a login burst, the functions' cold start (figures, no asserts)
	$(CARGO) bench -p booking-core --bench reports
	CARGO="$(CARGO)" scripts/bench-login-burst
	CARGO="$(CARGO)" scripts/bench-coldstart

build: ## Release build of every crate
	$(CARGO) build --workspace --release --locked

cloud: ## Start the local cloud (moto, cargo lambda watch, Step Functions, poller); `scripts/local-cloud down` stops it
	scripts/local-cloud up

deploy: ## Build with SAM and deploy (guided the first time); see docs/deploy.md
	PATH="$(CURDIR)/.venv/bin:$$PATH" sam build
	PATH="$(CURDIR)/.venv/bin:$$PATH" sam deploy --guided

