# The two commands of the README: `make run` and `make test`.
VENV   := .venv
PYTHON := $(VENV)/bin/python
PORT   ?= 8000

.PHONY: run test install lint bench

$(VENV)/.installed: requirements.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(VENV)/.installed

run: install
	DEBUG=1 $(PYTHON) manage.py migrate --noinput
	DEBUG=1 $(PYTHON) manage.py seed_demo
	DEBUG=1 $(PYTHON) manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(PYTHON) -m pytest

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: install
	$(PYTHON) bench/pages.py
