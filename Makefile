# Two commands: `make run` serves the site, `make test` proves it. `make help` lists the rest.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# The PostgreSQL the suite runs on; Django's test runner creates and drops test_<name>.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crm
# Marks that `make run` loaded the demo contacts (beside the SQLite database).
DEMO_MARKER := $(or $(DJANGO_VAR_DIR),var)/demo-contacts-loaded
# apt-get runs directly as root, through sudo otherwise (if sudo needs no password).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

.DEFAULT_GOAL := help
.PHONY: help venv run test lint test-postgres test-sqlite chromium apache pgbouncer postgres bench bench-ingest bench-import bench-history bench-servers clean

help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP) ## Create .venv and install the pinned requirements (only when they changed).

run: venv ## Set up the SQLite database, a demo login and demo data; serve http://127.0.0.1:8000/ and run the import and delivery workers.
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py crm_demo_login
	@# Demo contacts on the first run only; the marker keeps later runs fast and the data yours.
	@test -e $(DEMO_MARKER) || { DJANGO_DEBUG=1 $(PY) manage.py crm_demo --contacts 300 --if-empty \
	  && touch $(DEMO_MARKER); }
	@# The import worker and the delivery worker (alerts, webhooks) beside the server; Ctrl-C stops all three.
	DJANGO_DEBUG=1 $(PY) manage.py crm_worker & worker=$$!; \
	  DJANGO_DEBUG=1 $(PY) manage.py remotelog_notify & notify=$$!; \
	  trap 'kill $$worker $$notify 2>/dev/null' EXIT; \
	  DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

test: venv chromium apache pgbouncer postgres ## Lint, check migrations, run the suite on PostgreSQL and on SQLite.
	@status=0; \
	$(MAKE) --no-print-directory lint || { echo "*** FAILED: lint / migrations check"; status=1; }; \
	$(MAKE) --no-print-directory test-postgres || { echo "*** FAILED: tests on PostgreSQL"; status=1; }; \
	$(MAKE) --no-print-directory test-sqlite || { echo "*** FAILED: tests on SQLite"; status=1; }; \
	[ $$status = 0 ] && echo "*** make test: all passed on PostgreSQL and SQLite"; exit $$status

lint: venv ## ruff check, ruff format --check, makemigrations --check.
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

test-postgres: venv pgbouncer postgres ## Run the suite on PostgreSQL (TEST_DATABASE_URL).
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

test-sqlite: venv ## Run the suite on the SQLite default.
	DATABASE_URL= $(PY) -m pytest $(PYTEST_ARGS)

chromium: ## Install Debian's Chromium for the browser tests when it is missing.
	@test -x /usr/bin/chromium || { \
	  if [ -z "$(SUDO)" ] || sudo -n true 2>/dev/null; then \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; \
	  else \
	    echo "Browser tests need Debian's 'chromium' package: sudo apt-get install chromium"; exit 1; \
	  fi; }

apache: ## Install Debian's Apache and mod_wsgi for the deploy tests when they are missing.
	@test -x /usr/sbin/apache2 -a -e /usr/lib/apache2/modules/mod_wsgi.so -a -x /usr/bin/openssl || { \
	  if [ -z "$(SUDO)" ] || sudo -n true 2>/dev/null; then \
	    $(SUDO) apt-get update -qq && \
	    $(SUDO) apt-get install -y -qq apache2 libapache2-mod-wsgi-py3 openssl; \
	  else \
	    echo "Deploy tests start a real Apache: sudo apt-get install apache2 libapache2-mod-wsgi-py3"; \
	    exit 1; \
	  fi; }

pgbouncer: ## Install Debian's pgbouncer for the deploy tests when it is missing.
	@test -x /usr/sbin/pgbouncer || { \
	  if [ -z "$(SUDO)" ] || sudo -n true 2>/dev/null; then \
	    $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq pgbouncer; \
	  else \
	    echo "Deploy tests start a real pgbouncer: sudo apt-get install pgbouncer"; exit 1; \
	  fi; }

postgres: ## Start the local PostgreSQL cluster when it is installed but down.
	@if command -v pg_lsclusters >/dev/null; then \
	  pg_lsclusters -h | while read -r version cluster port status rest; do \
	    [ "$$status" = online ] || pg_ctlcluster --skip-systemctl-redirect $$version $$cluster start; \
	  done; \
	  pg_isready -q -h 127.0.0.1 -t 30 || { echo "PostgreSQL does not answer on 127.0.0.1"; exit 1; }; \
	fi

# The benchmark's own databases, one a size: {contacts} is replaced by it (each name must
# contain "bench"); never the test databases. Seeding a million contacts takes a while, once.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/crm_bench_{contacts}
BENCH_CONTACTS ?= 100000 1000000

bench: venv postgres ## Time the contact list at each size against naive and prefetch (BENCH_CONTACTS, BENCH_ARGS).
	BENCH_DATABASE_URL='$(BENCH_DATABASE_URL)' $(PY) bench/contact_list.py --contacts $(BENCH_CONTACTS) $(BENCH_ARGS)

bench-ingest: venv postgres apache ## Time log ingestion against a naive view, grouping on/off, and the purge.
	$(PY) bench/ingest.py $(BENCH_INGEST_ARGS)

bench-import: venv postgres ## Time importing a generated 100,000-row CSV against crm_demo's seeding; peak memory.
	$(PY) bench/import.py $(BENCH_IMPORT_ARGS)

bench-history: venv postgres ## Time writes with the contact history against without, and the history page at 10 to 10,000 changes.
	$(PY) bench/history.py $(BENCH_HISTORY_ARGS)

bench-servers: venv postgres pgbouncer ## Requests/s per gunicorn worker (list page, log record), straight and through pgbouncer; connections held.
	$(PY) bench/sizing.py $(BENCH_SERVERS_ARGS)

clean: ## Remove the virtualenv and var/ (the SQLite database, the dev secret key).
	rm -rf $(VENV) var
