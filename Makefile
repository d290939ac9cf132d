# status-api: `make run` sets up what is missing and serves the API with the SPA;
# `make test` runs every test. See README.md.

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

MYSQL_HOST ?= 127.0.0.1
MYSQL_PORT ?= 3306
REDIS_HOST ?= 127.0.0.1
REDIS_PORT ?= 6379
# The account the integration tests create and drop their databases with.
TEST_DB_USER ?= status_api_test
TEST_DB_PASSWORD ?= status_api_test
export TEST_DATABASE_ADMIN_URL ?= mysql://$(TEST_DB_USER):$(TEST_DB_PASSWORD)@$(MYSQL_HOST):$(MYSQL_PORT)
export TEST_REDIS_URL ?= redis://$(REDIS_HOST):$(REDIS_PORT)/0

# Shell helpers shared by the recipes below.
define HELPERS
say() { printf '\033[1m==> %s\033[0m\n' "$$*"; }
mariadb_up() { mariadb-admin --protocol=tcp -h$(MYSQL_HOST) -P$(MYSQL_PORT) ping >/dev/null 2>&1; }
redis_up() { [ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping 2>/dev/null)" = PONG ]; }
wait_for() { for _ in $$(seq 60); do "$$1" && return 0; sleep 1; done; echo "$$2 did not come up" >&2; return 1; }
as_root() { if [ "$$(id -u)" = 0 ]; then "$$@"; elif command -v sudo >/dev/null; then sudo "$$@"; else return 1; fi; }
# Debian's MariaDB root logs in through the socket; elsewhere root may use TCP.
mariadb_root() { as_root mariadb -uroot "$$@" 2>/dev/null || mariadb --protocol=tcp -h$(MYSQL_HOST) -P$(MYSQL_PORT) -uroot "$$@"; }
endef
export HELPERS

# Every target with a `## comment` on its line, and that comment.
.PHONY: help
help: ## this list
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) \
	  | sed -E 's/^([a-z-]+):.*## (.*)$$/\1\t\2/' \
	  | awk -F '\t' '{ printf "make %-15s %s\n", $$1, $$2 }'

## Services ------------------------------------------------------------------

.PHONY: services
services: ## MariaDB and Redis answering on their ports: started, or installed and started
	@eval "$$HELPERS"
	if mariadb_up && redis_up; then exit 0; fi
	missing=()
	command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
	command -v redis-server >/dev/null || missing+=(redis-server)
	if [ $${#missing[@]} -gt 0 ]; then
	  if command -v apt-get >/dev/null && as_root true; then
	    say "installing $${missing[*]}"
	    as_root apt-get update -qq
	    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$${missing[@]}" >/dev/null
	  else
	    echo "Missing: $${missing[*]}. Install them (Debian/Ubuntu: apt-get install $${missing[*]})," >&2
	    echo "or point MYSQL_HOST/MYSQL_PORT and REDIS_HOST/REDIS_PORT at running servers." >&2
	    exit 1
	  fi
	fi
	if ! mariadb_up; then
	  say "starting MariaDB"
	  as_root service mariadb start >/dev/null 2>&1 \
	    || as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
	  wait_for mariadb_up MariaDB
	fi
	if ! redis_up; then
	  say "starting Redis"
	  redis-server --daemonize yes --bind $(REDIS_HOST) --port $(REDIS_PORT) --save "" --appendonly no >/dev/null
	  wait_for redis_up Redis
	fi

.PHONY: test-db
test-db: services ## the account integration tests use to create their own databases
	@eval "$$HELPERS"
	mariadb_root <<SQL
	CREATE USER IF NOT EXISTS '$(TEST_DB_USER)'@'localhost' IDENTIFIED BY '$(TEST_DB_PASSWORD)';
	CREATE USER IF NOT EXISTS '$(TEST_DB_USER)'@'127.0.0.1' IDENTIFIED BY '$(TEST_DB_PASSWORD)';
	GRANT ALL PRIVILEGES ON \`status\\_api\\_test\\_%\`.* TO '$(TEST_DB_USER)'@'localhost';
	GRANT ALL PRIVILEGES ON \`status\\_api\\_test\\_%\`.* TO '$(TEST_DB_USER)'@'127.0.0.1';
	SQL

## Run -----------------------------------------------------------------------

.env: sample.env
	@eval "$$HELPERS"
	if [ -f .env ]; then touch .env; exit 0; fi
	say "writing .env from sample.env with a new database password and session secret"
	password=$$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
	secret=$$(head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 96)
	sed -e "s|^DATABASE_URL=.*|DATABASE_URL=mysql://status_api:$$password@$(MYSQL_HOST):$(MYSQL_PORT)/status_api|" \
	    -e "s|^SESSION_SECRET=.*|SESSION_SECRET=$$secret|" sample.env > .env

.PHONY: db
db: services .env ## the status_api database and user that .env names
	@eval "$$HELPERS"
	url=$$(grep -E '^DATABASE_URL=' .env | cut -d= -f2-)
	re='^mysql://([^:@/]+)(:([^@]*))?@(127\.0\.0\.1|localhost)(:[0-9]+)?/([A-Za-z0-9_]+)'
	if ! [[ $$url =~ $$re ]]; then say "DATABASE_URL is not local; leaving the database to you"; exit 0; fi
	user=$${BASH_REMATCH[1]} password=$${BASH_REMATCH[3]} database=$${BASH_REMATCH[6]}
	mariadb_root <<SQL
	CREATE DATABASE IF NOT EXISTS \`$$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
	CREATE USER IF NOT EXISTS '$$user'@'localhost' IDENTIFIED BY '$$password';
	CREATE USER IF NOT EXISTS '$$user'@'127.0.0.1' IDENTIFIED BY '$$password';
	ALTER USER '$$user'@'localhost' IDENTIFIED BY '$$password';
	ALTER USER '$$user'@'127.0.0.1' IDENTIFIED BY '$$password';
	GRANT ALL PRIVILEGES ON \`$$database\`.* TO '$$user'@'localhost';
	GRANT ALL PRIVILEGES ON \`$$database\`.* TO '$$user'@'127.0.0.1';
	SQL

.PHONY: run
run: db frontend-build ## serve the API and the SPA on LISTEN_ADDR (http://127.0.0.1:8080/)
	@eval "$$HELPERS"
	say "building the server (release)"
	cargo build --release --locked
	say "serving on http://$$(grep -E '^LISTEN_ADDR=' .env | cut -d= -f2-)/ (Ctrl+C stops)"
	exec ./target/release/status-api

## Redis Cluster -------------------------------------------------------------

# A cluster of six local nodes (tests/support/redis_cluster.sh) that `make run`
# can be pointed at; it runs until `make cluster-stop`.
.PHONY: cluster
cluster: ## a local Redis Cluster (3 primaries, 3 replicas) in .cluster/ to try REDIS_CLUSTER_URLS with
	@eval "$$HELPERS"
	seed=$$(cut -d, -f1 .cluster/urls 2>/dev/null || true)
	if [ -n "$$seed" ] && timeout 5 redis-cli -u "$$seed" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
	  say "the cluster in .cluster/ is already running"
	else
	  tests/support/redis_cluster.sh stop .cluster
	  say "starting a Redis Cluster in .cluster/"
	  tests/support/redis_cluster.sh start .cluster >/dev/null
	fi
	urls=$$(cat .cluster/urls)
	echo "seed nodes:     $$urls"
	echo "serve on it:    REDIS_CLUSTER_URLS=$$urls make run"
	echo "test on it:     TEST_REDIS_CLUSTER_URLS=$$urls cargo test --test api sessions::"
	echo "stop it:        make cluster-stop"

.PHONY: cluster-stop
cluster-stop: ## stop the cluster make cluster started and remove .cluster/
	tests/support/redis_cluster.sh stop .cluster

## Frontend ------------------------------------------------------------------

.PHONY: frontend-deps
frontend-deps: ## the SPA's Node packages (npm ci)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

# The API types are generated from openapi/openapi.json first, so a spec
# change that breaks the app breaks its type check.
.PHONY: frontend-build
frontend-build: frontend-deps ## the SPA's types from the spec, then its build into frontend/dist
	cd frontend && npm run gen:api && npm run build

.PHONY: chromium
chromium: ## Debian's Chromium for the browser tests (never a downloaded one)
	@eval "$$HELPERS"
	if [ -x /usr/bin/chromium ]; then exit 0; fi
	say "installing chromium"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

## Tests ---------------------------------------------------------------------

.PHONY: cargo-deny
cargo-deny: ## cargo-deny from crates.io, built once into ~/.cargo/bin
	@eval "$$HELPERS"
	if cargo deny --version >/dev/null 2>&1; then exit 0; fi
	say "installing cargo-deny (a few minutes, once)"
	cargo install cargo-deny --locked --quiet

.PHONY: check
check: ## the fast loop, no services: fmt, clippy, unit and in-process tests, the docs' ties
	cargo fmt --all -- --check
	cargo clippy --all-targets --locked -- -D warnings
	cargo test --locked --lib --test reference

.PHONY: lint
lint: cargo-deny ## cargo fmt --check, clippy -D warnings, and cargo-deny's licences, bans and sources
	cargo fmt --all -- --check
	cargo clippy --all-targets --locked -- -D warnings
	cargo deny check --hide-inclusion-graph licenses bans sources

# The RustSec advisory database is fetched from the network; where it cannot
# be (as on the machine CI runs on), this fails and says so.
.PHONY: audit
audit: cargo-deny ## known vulnerabilities in the dependency tree (needs network)
	cargo deny check advisories

.PHONY: nginx
nginx: ## Debian's nginx for the scale-out tests (they start their own, never a service)
	@eval "$$HELPERS"
	if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then exit 0; fi
	say "installing nginx"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
	as_root systemctl disable --now nginx >/dev/null 2>&1 || true

.PHONY: aiosmtpd
aiosmtpd: ## Debian's python3-aiosmtpd for the mail tests (they start their own SMTP server)
	@eval "$$HELPERS"
	if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then exit 0; fi
	say "installing python3-aiosmtpd"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd >/dev/null

.PHONY: test-rust
test-rust: test-db nginx aiosmtpd ## unit, in-process and integration tests (real MariaDB, Redis, nginx, SMTP)
	cargo test --locked

# The tests of everything the service keeps in Redis, run again with the app
# and the helpers on a throwaway cluster; each checks the hash tag of every
# key it wrote as it cleans up (libtest runs a test matching any filter). The
# cluster module's tests start clusters of their own and run in test-rust.
CLUSTER_TEST_FILTERS := sessions:: active_sessions:: protection:: accounts:: account:: \
  account_deletion:: email_verification:: email_change:: password_reset:: security_events:: \
  session_cache::a_session_ended session_cache::reads_from_copies session_cache::a_copy_is_refused

.PHONY: test-cluster
test-cluster: test-db aiosmtpd ## the session, limit and account tests on a throwaway Redis Cluster, and its failover tests
	@eval "$$HELPERS"
	workdir=$$(mktemp -d)
	trap 'tests/support/redis_cluster.sh stop "$$workdir/cluster"; rmdir "$$workdir"' EXIT
	say "starting a throwaway Redis Cluster"
	urls=$$(tests/support/redis_cluster.sh start "$$workdir/cluster")
	TEST_REDIS_CLUSTER_URLS=$$urls cargo test --locked --test api -- $(CLUSTER_TEST_FILTERS)

# Schemathesis against a live server, from the server's own spec.
.PHONY: test-contract
test-contract: test-db aiosmtpd ## Schemathesis against a live server, from its own spec
	cargo build --locked
	tests/contract/run.sh

# The SPA: type check (in the build), unit tests, then Playwright in Debian's
# Chromium against the real server serving the fresh build.
.PHONY: test-frontend
test-frontend: test-db chromium aiosmtpd frontend-build ## the SPA's unit tests, then Playwright in Chromium against the real server
	cargo build --locked
	(cd frontend && npm test)
	STATIC_DIR=$(CURDIR)/frontend/dist tests/support/with-server.sh \
	  bash -c 'cd frontend && E2E_BASE_URL=$$STATUS_API_URL npm run e2e'

.PHONY: screenshots
screenshots: export SCREENSHOT_DIR = $(CURDIR)/frontend/screenshots
screenshots: test-frontend ## refresh frontend/screenshots/ (the browser tests take them; other runs keep theirs in frontend/test-results/)

.PHONY: test
test: lint test-rust test-cluster test-contract test-frontend ## everything
	@echo "all checks passed"

## OpenAPI -------------------------------------------------------------------

.PHONY: openapi
openapi: ## regenerate openapi/openapi.json from the code (no MySQL or Redis needed)
	cargo run --quiet --locked -- openapi > openapi/openapi.json

## Benchmarks ----------------------------------------------------------------

# Every scenario and ceiling against the real MariaDB and Redis, release build;
# BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS… tune it (see tests/bench/run.sh).
.PHONY: bench
bench: test-db ## the benchmark on a release build (BENCH_SECONDS, BENCH_ROUNDS, ...)
	cargo build --release --locked
	tests/bench/run.sh

# The same, interleaved with the Node stack in ../shared/bench/node-express
# (one process and WORKERS=2) and with tests/bench/actix-stock, the same routes
# on stock actix-web + actix-session's RedisSessionStore + mysql_async + bcrypt
# (run.sh builds it, release, into CARGO_TARGET_DIR when set).
.PHONY: bench-compare
bench-compare: test-db ## the benchmark beside the Node stack (BENCH_NODE_DIR) and a stock actix-web peer
	cargo build --release --locked
	BENCH_COMPARE=1 tests/bench/run.sh

# The same on a throwaway local Redis Cluster (tests/support/redis_cluster.sh),
# interleaved with a second server on the single node: its ratios are cluster ÷
# single node. Against a cluster of your own: BENCH_REDIS_CLUSTER_URLS=...
# BENCH_SINGLE_NODE_BASELINE=1 tests/bench/run.sh.
.PHONY: bench-cluster
bench-cluster: test-db ## the benchmark on a local Redis Cluster beside the single node
	cargo build --release --locked
	workdir=$$(mktemp -d)
	trap 'tests/support/redis_cluster.sh stop "$$workdir/cluster"; rmdir "$$workdir"' EXIT
	urls=$$(tests/support/redis_cluster.sh start "$$workdir/cluster")
	BENCH_REDIS_CLUSTER_URLS=$$urls BENCH_SINGLE_NODE_BASELINE=1 tests/bench/run.sh

# Ten minutes of mixed load; prints the server's memory drift (not in make test).
.PHONY: soak
soak: test-db ## ten minutes of mixed load; fails if memory grows
	cargo build --release --locked
	tests/soak/run.sh
