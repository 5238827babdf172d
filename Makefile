# gongkai: the two commands are `make run` (set up, index the sample corpus, serve it at
# http://127.0.0.1:8080) and `make test` (set up, then run the whole test suite).
# Only Python 3.11+ and make are needed; `make test` also installs Debian's Chromium for the
# browser tests when it is missing (apt-get, as root, as in CI).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
CHROMIUM := /usr/bin/chromium
CHROMIUM_PACKAGES := chromium chromium-driver fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup browser clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gongkai needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

# Build the sample index, or bring it up to date (cheap when nothing changed), then serve it.
run: $(STAMP)
	$(BIN)/gongkai index corpus
	$(BIN)/gongkai serve --index index --corpus corpus --host $(HOST) --port $(PORT)

# The browser tests drive the system Chromium (Playwright's own browser download does not work
# here; `playwright install` is never run). fonts-noto-cjk makes screenshots show Chinese.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's Chromium for the browser tests: $(CHROMIUM_PACKAGES)"; \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(CHROMIUM_PACKAGES); \
	fi

# pytest exits 5 when it ran no test at all; make fails on it like on any other non-zero status.
# PYTEST_ARGS narrows a run, e.g. make test PYTEST_ARGS="tests/test_browser.py".
test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info tests/screenshots
