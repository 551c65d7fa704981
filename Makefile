# Two commands for a newcomer: `make demo` (the main job on the local sandbox) and
# `make test`. Both set up everything they need first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup system-deps test-deps venv redis lint typecheck test check demo sandbox sandbox-stop clean

setup: system-deps venv redis

# Debian/Ubuntu packages, installed with apt only when their command is missing. The
# demo needs ab and redis-server; the tests also open the HTML report in Chromium and
# check docker-compose.yml with docker-compose. docker-compose only recommends a Docker
# engine and never needs one to check a file, so it comes without its recommendations.
APT_DEMO := ab:apache2-utils redis-server:redis-server
APT_TEST := chromium:chromium
APT_TEST_BARE := docker-compose:docker-compose

system-deps:
	@$(call apt_install,$(APT_DEMO))

test-deps:
	@$(call apt_install,$(APT_TEST))
	@$(call apt_install,$(APT_TEST_BARE),--no-install-recommends)

define apt_install
need=""; for pair in $(1); do command -v $${pair%%:*} >/dev/null || need="$$need $${pair#*:}"; done; \
if [ -n "$$need" ]; then echo "installing:$$need"; SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) $$need; fi
endef

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

# Two test processes (pytest-xdist), each with its own Redis database: the end-to-end
# tests mostly wait on deployments and ab, so two halve the suite's time on two cores.
test: setup test-deps
	$(VENV)/bin/pytest -n 2 --dist worksteal $(PYTEST_ARGS)

check: lint typecheck test

# The main job on the local sandbox: sandbox, worker, a 5-step sweep, results, shutdown.
# `make demo FAULTS=throttle,errors=0.2,seed=7`: the same sweep on a bad day (emulator/README.md).
FAULTS ?=
demo: setup
	$(PY) -m emulator.demo $(if $(FAULTS),--faults $(FAULTS))

# The sandbox in the background for your own steps (README, "Your first step"): it writes
# ./sandbox-config.yaml, which carries the endpoint; `make sandbox-stop` stops it.
sandbox: setup
	$(PY) -m producer.cli sandbox --background

sandbox-stop:
	$(PY) -m producer.cli sandbox --stop

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
