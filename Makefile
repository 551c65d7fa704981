# Two commands for a newcomer: `make demo` (the main job on the local sandbox) and
# `make test`. Both set up everything they need first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup system-deps venv redis lint typecheck test check demo clean

setup: system-deps venv redis

# ab (apache2-utils) and a Redis server, from Debian/Ubuntu packages when missing.
system-deps:
	@need=""; command -v ab >/dev/null || need="$$need apache2-utils"; \
	command -v redis-server >/dev/null || need="$$need redis-server"; \
	if [ -n "$$need" ]; then echo "installing:$$need"; SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$need; fi

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

# The main job on the local sandbox: sandbox, worker, a 5-step sweep, results, shutdown.
demo: setup
	$(PY) -m emulator.demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
