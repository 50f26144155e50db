# Set-up is part of every target: a fresh machine needs only `make demo` or `make test`.
# Done once, the stamp file makes it a no-op until pyproject.toml changes.

SYSTEM_PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.nntopo-installed
# What manim builds against (pycairo, manimpango) and the font the scenes use.
APT_PACKAGES := libcairo2-dev libpango1.0-dev pkg-config fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast fuzz bench setup programs clean figures figures-all studies

demo: $(STAMP)
	$(VENV)/bin/nntopo render spirals --layers 4 --width 2

# Every core: pytest-xdist's workers, one per core; tests that share a cluster or a cache run on one
# worker (xdist_group). On 2 cores: 231 s of pytest on 2026-12-04 (402 s on 2026-12-03's slower machine),
# make test-fast 34-35 s.
PYTEST := $(PY) -m pytest -q -n auto --dist loadgroup

# Every test: the fast ones, real renders checked with PyAV, every figure's claim, the property
# tests (the same examples each run), a real Dask cluster, decks in LibreOffice and Chromium.
test: $(STAMP) programs
	$(PYTEST)

# Maths, storyboard, config, recordings, CLI refusals: no render, claim, fuzz, cluster or slow test.
test-fast: $(STAMP)
	$(PYTEST) -m "not render and not claims and not fuzz and not cluster and not slow"

# The property tests with many more examples, drawn afresh each run: thousands of generated command
# lines and of damaged recordings (tests/test_fuzz_cli.py, tests/test_validate.py, tests/test_sweep.py).
# Failures found are kept in .hypothesis/ (ignored by git) and replayed by the next `make fuzz`.
fuzz: $(STAMP)
	NNTOPO_FUZZ=nightly $(PYTEST) -p no:cacheprovider --hypothesis-show-statistics -m fuzz

# BASELINE=REV measures that commit too, in the same run (a git worktree of it).
BASELINE ?=
bench: $(STAMP) programs
	$(PY) bench/bench.py $(if $(BASELINE),--baseline $(BASELINE))
	$(PY) bench/explore.py

setup: $(STAMP)

# The programs the browser and deck tests drive (and bench/explore.py): Debian's Chromium and
# LibreOffice Impress, installed before pytest starts, so that the tests' time is the tests' own
# (on a fresh machine the two installs took 31 s and 25 s inside the first tests that needed them).
# Where they cannot be installed, the fixtures try again and skip those tests (tests/conftest.py).
programs:
	@missing=$$(command -v chromium >/dev/null || echo chromium; command -v soffice >/dev/null || echo soffice); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages for the browser and deck tests:" $$missing; \
		$(SUDO) apt-get update -qq >/dev/null 2>&1; \
		case "$$missing" in *chromium*) $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
			>/dev/null 2>&1 || echo "could not install chromium: its tests will try again, then skip";; esac; \
		case "$$missing" in *soffice*) $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends libreoffice-impress >/dev/null 2>&1 \
			|| echo "could not install libreoffice-impress: its tests will try again, then skip";; esac; \
	fi

# The three studies that back the essay's claims, each a grid of networks on a local Dask cluster
# (nntopo sweep): tables (.md) and plots (.png) in $(STUDIES_DIR), then the neural ODEs' (ode.md).
# Re-running resumes: finished cells are kept. 10 seeds each: 689 s on 2 cores (2026-12-04).
STUDIES_DIR ?= studies
SEEDS ?= 0-9
# the neural ODE study: a plain and an augmented ODE on disk and annulus, 10 seeds (3 minutes)
ODE_SEEDS ?= 0-9
studies: $(STAMP)
	@mkdir -p $(STUDIES_DIR)
	@start=$$(date +%s); \
	$(VENV)/bin/nntopo sweep circles --layers 1-8 --width 2,3 --seeds $(SEEDS) -o $(STUDIES_DIR)/circles.parquet \
		--markdown $(STUDIES_DIR)/circles.md --plot $(STUDIES_DIR)/circles.png && \
	$(VENV)/bin/nntopo sweep tori --layers 1-3 --width 3,4 --seeds $(SEEDS) -o $(STUDIES_DIR)/tori.parquet \
		--markdown $(STUDIES_DIR)/tori.md --plot $(STUDIES_DIR)/tori.png && \
	$(VENV)/bin/nntopo sweep spirals spirals-hard --layers 4 --width 2 --seeds $(SEEDS) -o $(STUDIES_DIR)/spirals.parquet \
		--markdown $(STUDIES_DIR)/spirals.md --plot $(STUDIES_DIR)/spirals.png && \
	$(VENV)/bin/nntopo sweep circles --layers 1 --layer-type ode --augment 0,1 --width 16 --steps 1000 --seeds $(ODE_SEEDS) \
		-o $(STUDIES_DIR)/ode.parquet --markdown $(STUDIES_DIR)/ode.md && \
	cat $(STUDIES_DIR)/circles.md $(STUDIES_DIR)/tori.md $(STUDIES_DIR)/spirals.md $(STUDIES_DIR)/ode.md && \
	echo "make studies: $$(( $$(date +%s) - start )) s"

# Every figure of the catalogue (`nntopo figures`), one per core. Each figure renders in its own
# temporary folder and replaces its own files. A failing figure does not stop the others; the
# failures are listed at the end, and make then exits non-zero.
# Scheduling: the slowest figures first (by the seconds each took last time, in .log/NAME.seconds;
# with none, the catalogue backwards: its later figures train longest), so that no core idles at
# the end; and each figure draws with one process when several render at once (they keep the
# cores busy between them: on 2 cores the cached catalogue took 96 s against 105 s with a drawer
# per core for each, 184 CPU-seconds against 202). On 2026-12-04: 118 s from a fresh clone, 43-45 s
# from the cache.
FIGURES_DIR ?= figures
FIGURES ?=# names to render; empty: the whole catalogue
FIGURE_OPTS ?=# extra options for `nntopo figure`, e.g. --quality medium
FIGURE_JOBS ?= $(shell nproc)# figures rendered at once when make itself is given no -j
CORES := $(shell nproc)

figures: $(STAMP)
	@mkdir -p $(FIGURES_DIR)/.log
	@rm -f $(FIGURES_DIR)/.log/*.failed
	@start=$$(date +%s); \
	names="$(FIGURES)"; [ -n "$$names" ] || names=$$($(VENV)/bin/nntopo figures --names); \
	names=$$(i=0; for n in $$names; do i=$$((i + 1)); \
		echo "$$(cat $(FIGURES_DIR)/.log/$$n.seconds 2>/dev/null || echo 0) $$i $$n"; done \
		| sort -k1,1nr -k2,2nr | cut -d' ' -f3); \
	count=$$(echo $$names | wc -w); \
	at_once=$(if $(findstring jobserver,$(MAKEFLAGS)),$(CORES),$(FIGURE_JOBS)); \
	[ $$count -lt $$at_once ] && at_once=$$count; \
	drawers=$$(( $(CORES) / ($$at_once > 0 ? $$at_once : 1) )); [ $$drawers -ge 1 ] || drawers=1; \
	$(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(FIGURE_JOBS)) figures-all \
		NAMES="$$names" DRAWERS=$$drawers; \
	$(VENV)/bin/nntopo gallery $(FIGURES_DIR); \
	echo "make figures: $$(( $$(date +%s) - start )) s"
	@failed=$$(ls $(FIGURES_DIR)/.log/*.failed 2>/dev/null); \
	if [ -n "$$failed" ]; then \
		for f in $$failed; do n=$$(basename $$f .failed); \
			echo "FAILED $$n: $$(grep -v '^ *$$' $(FIGURES_DIR)/.log/$$n.log | tail -n 1)"; done; \
		exit 1; \
	fi

figures-all: $(addprefix figure-,$(NAMES))

DRAWERS ?=# processes drawing each figure's frames (set by `figures`); empty: nntopo's default
figure-%:
	@echo "rendering $*"
	@t=$$(date +%s); $(VENV)/bin/nntopo figure $* --output $(FIGURES_DIR)/$*.mp4 $(if $(DRAWERS),--jobs $(DRAWERS)) \
		$(FIGURE_OPTS) > $(FIGURES_DIR)/.log/$*.log 2>&1 \
		&& echo "$$(( $$(date +%s) - t ))" > $(FIGURES_DIR)/.log/$*.seconds \
		&& echo "done $* in $$(( $$(date +%s) - t )) s: $$(tail -n 2 $(FIGURES_DIR)/.log/$*.log | head -n 1)" \
		|| touch $(FIGURES_DIR)/.log/$*.failed

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
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test,all]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) renders build *.egg-info .pytest_cache
