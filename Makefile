# gongkai: the two commands are `make run` (set up, then inspect/serve the sample corpus)
# and `make test` (set up, then run the whole test suite). Only Python 3.11+ and make are needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gongkai needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

# Until the search index and web front end land, this shows what gongkai extracts from the
# sample corpus: title, issuer, region, year and sections of every report.
run: $(STAMP)
	$(BIN)/gongkai inspect corpus/reports/*

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
