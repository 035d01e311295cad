# Frontline — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
# One migrated template per checkout, so two checkouts on one machine never rebuild each other's.
export FRONTLINE_TEST_TEMPLATE ?= frontline_template_$(shell printf '%s' "$(CURDIR)" | cksum | cut -d' ' -f1)

.PHONY: run demo test db test-db browser s3 lint fuzz bench bench-scale bench-evidence bench-bake-off bench-dashboard clean-db

## run: install/start PostgreSQL, build, migrate, import the bundled help-desk log (first start), serve on 127.0.0.1:8080
run: db
	$(CARGO) build --release --bin frontline
	FRONTLINE_ENV=$${FRONTLINE_ENV:-local} ./target/release/frontline serve --bootstrap

## demo: the demo company (`frontline seed --profile demo`) in its own database `frontline_demo`, served on 127.0.0.1:8080
demo: export FRONTLINE__DATABASE__DATABASE_NAME ?= frontline_demo
demo:
	bash scripts/db-setup.sh
	$(CARGO) build --release --bin frontline
	FRONTLINE_ENV=$${FRONTLINE_ENV:-local} ./target/release/frontline seed --profile demo --if-empty
	FRONTLINE_ENV=$${FRONTLINE_ENV:-local} ./target/release/frontline serve

## test: the same database bootstrap, a migrated template database, Chromium for the browser tests, moto's S3 server for the attachment-store tests, then the whole test suite
test: db test-db browser s3
	$(CARGO) test --all-targets

## db: install PostgreSQL and libpq-dev when missing, start the cluster, create role and database (idempotent)
db:
	bash scripts/db-setup.sh

## browser: install Debian's Chromium when missing (headless browser tests of the HTML pages; idempotent)
browser:
	bash scripts/browser-setup.sh

## s3: install moto's S3-compatible server (pinned) into .venv-s3/ when missing (attachment-store tests; idempotent)
s3:
	bash scripts/s3-setup.sh

## test-db: (re)build the migrated template database that tests clone
test-db:
	bash scripts/test-db.sh

## lint: formatting and clippy, as CI runs them
lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

## fuzz: schemathesis (--checks all, pinned, in .venv-fuzz/) against a served instance on a fresh
## seeded database (scripts/fuzz.sh); FUZZ_MAX_EXAMPLES (default 100) bounds the cases per operation
fuzz: db
	bash scripts/fuzz.sh

## bench: load-test the service (scripts/bench.sh) and the email outbox (scripts/bench-email.sh)
bench: db
	bash scripts/bench.sh
	bash scripts/bench-email.sh

## bench-scale: seed one million tickets, then time the metrics endpoints over them (scripts/bench-scale.sh)
bench-scale: db
	bash scripts/bench-scale.sh

## bench-evidence: seed (or reuse) one million tickets, then time an evidence report and its verify (scripts/bench-evidence.sh)
bench-evidence: db
	bash scripts/bench-evidence.sh

## bench-bake-off: over the million tickets bench-evidence seeds, time bake-off reports of a month, a quarter and a year (scripts/bench-bake-off.sh)
bench-bake-off: db
	bash scripts/bench-bake-off.sh

## bench-dashboard: over the million tickets, seeded up to today (BENCH_SCALE_UNTIL), time GET /dashboard as a logged-in manager (scripts/bench-dashboard.sh)
bench-dashboard: db
	bash scripts/bench-dashboard.sh
