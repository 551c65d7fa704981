# Two commands for a newcomer: `make demo` (the main job on the local sandbox) and
# `make test`. Both set up everything they need first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup system-deps venv redis lint typecheck test check demo clean

setup: system-deps venv redis

system-deps:
	@command -v ab >/dev/null || { echo "installing apache2-utils (ab)"; \
	  (apt-get update -qq && apt-get install -y -qq apache2-utils) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq apache2-utils); }

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

redis:
	@$(PY) -m tests.support.redis_up

lint: venv
	$(VENV)/bin/ruff check .

typecheck: venv
	$(VENV)/bin/mypy

test: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

check: lint typecheck test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
