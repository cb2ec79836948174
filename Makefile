# The two commands of the README: `make run` and `make test`.
VENV   := .venv
PYTHON := $(VENV)/bin/python
PORT   ?= 8000
# The directory server and the TLS proxy of the LDAP and certificate tests.
SERVERS := scripts/slapd.sh scripts/nginx.sh

.PHONY: run test test-sqlite test-postgres install browser lint bench messages

$(VENV)/.installed: requirements.txt
	scripts/debian.sh libldap2-dev libsasl2-dev gcc python3-dev  # python-ldap builds against them
	scripts/saml.sh  # xmlsec1 for the SAML tests; what pip needs to build `xmlsec` if it must
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Chart.js for the CHART element, from its npm package at the version scripts/chartjs.sh pins.
CHARTJS := blocks/static/blocks/vendor/chart.umd.js
$(CHARTJS): scripts/chartjs.sh
	scripts/chartjs.sh
	touch $@

# The project's translations (locale/<lang>/LC_MESSAGES/django.po, contract §13), compiled to
# the .mo files Django reads (not committed) with Debian's gettext.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
$(MO_FILES): %.mo: %.po
	scripts/debian.sh gettext
	msgfmt --check -o $@ $<

install: $(VENV)/.installed $(CHARTJS) $(MO_FILES)

# After changing a text the project shows: the new strings into every .po, to be translated
# (tests/test_translations.py fails until they are).
messages: install
	DEBUG=1 SECRET_KEY=x $(PYTHON) manage.py makemessages --all --no-location \
		--ignore 'tests/*' --ignore '*/tests/*' --ignore 'bench/*' --ignore 'docs/*' --ignore '*/static/*'

# Debian's Chromium for the end-to-end tests (tests/e2e).
browser:
	scripts/browser.sh

# A development `.env` when there is none: a new SECRET_KEY and DEBUG=1, read by settings.py, so
# every `manage.py` command of the README works as written in this checkout.
.env:
	umask 077 && printf 'SECRET_KEY=%s\nDEBUG=1\n' \
		"$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')" >$@
	@echo "wrote $@ (a new SECRET_KEY, DEBUG=1) for development"

# The development server, and beside it the worker of background jobs (imports: records/tasks.py),
# stopped with it: however runserver ends (Ctrl-C, an error), the shell's trap ends the worker.
run: install .env
	DEBUG=1 $(PYTHON) manage.py migrate --noinput
	DEBUG=1 $(PYTHON) manage.py seed_demo
	DEBUG=1 $(PYTHON) manage.py jobs_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite twice: on SQLite, then on PostgreSQL with Redis as the cache (the production
# set-up that tests/deploy serves with gunicorn under load). scripts/postgres.sh uses the server
# named by a postgres:// DATABASE_URL, or installs and starts a throwaway one (and removes it
# afterwards); scripts/redis.sh does the same for REDIS_URL.
# scripts/slapd.sh starts a throwaway OpenLDAP server and scripts/nginx.sh brings nginx and
# openssl, for the LDAP and client-certificate tests (accounts/tests), in both passes.
# Both passes always run; the exit status is non-zero if either failed. PYTEST_ARGS passes options.
test: install browser
	@status=0; \
	echo "== pytest on SQLite"; \
	env -u DATABASE_URL -u REDIS_URL $(SERVERS) $(PYTHON) -m pytest $(PYTEST_ARGS) || status=1; \
	echo "== pytest on PostgreSQL"; \
	scripts/postgres.sh scripts/redis.sh $(SERVERS) $(PYTHON) -m pytest $(PYTEST_ARGS) || status=1; \
	exit $$status

test-sqlite: install browser
	env -u DATABASE_URL -u REDIS_URL $(SERVERS) $(PYTHON) -m pytest $(PYTEST_ARGS)

test-postgres: install browser
	scripts/postgres.sh scripts/redis.sh $(SERVERS) $(PYTHON) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: install
	$(PYTHON) bench/pages.py
