# gongkai: the two commands are `make run` (set up, index and search the sample corpus)
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

# Until the web front end lands: build (or update) the index of the sample corpus, then search it.
run: $(STAMP)
	$(BIN)/gongkai index corpus
	$(BIN)/gongkai search 政务公开 --group report --page-size 5

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
