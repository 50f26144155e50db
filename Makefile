# Set-up is part of every target: a fresh machine needs only `make demo` or `make test`.
# Done once, the stamp file makes it a no-op until pyproject.toml changes.

SYSTEM_PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.nntopo-installed
# What manim builds against (pycairo, manimpango) and the font the scenes use.
APT_PACKAGES := libcairo2-dev libpango1.0-dev pkg-config fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast bench setup clean

demo: $(STAMP)
	$(VENV)/bin/nntopo render spirals --layers 4 --width 2 --output renders/spirals.mp4

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not render"

bench: $(STAMP)
	$(PY) bench/bench.py

setup: $(STAMP)

$(STAMP): pyproject.toml
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@test -x $(PY) || $(SYSTEM_PYTHON) -m venv $(VENV)
	# The CPU build first: then the project's torch range is already met and pip adds no CUDA build.
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) renders build *.egg-info .pytest_cache
