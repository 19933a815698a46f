# The two commands a newcomer needs: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run run-cluster test lint typecheck imports unit conformance conformance-core conformance-floor ecosystem bench soak docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

run: $(STAMP)
	@echo "vivace example app: http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/docs)"
	$(BIN)/uvicorn examples.app:app --host 127.0.0.1 --port 8000

# The same app as two uvicorn worker processes on port 8000 sharing a throwaway redis-server (free port, temporary
# directory, no persistence): examples/cluster.py. Ctrl-C stops everything. Needs redis-server (apt: redis-server).
run-cluster: $(STAMP)
	$(BIN)/python -m examples.cluster --port 8000 --workers 2

test: $(STAMP) lint typecheck imports unit conformance-floor

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools examples

typecheck: $(STAMP)
	$(BIN)/mypy

# Imports flow one way: no import circles in src/vivace, _core/app.py kept inside _core/, no module over 700 lines.
imports: $(STAMP)
	$(BIN)/python tools/check_imports.py

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q tests

# FastAPI 0.165's tutorial suite against vivace; prints "P passed of B".
conformance: $(STAMP)
	$(BIN)/python tools/conformance.py report

# The rest of FastAPI 0.165's tests/ (edge cases, not the tutorial) against vivace; report only, no floor yet.
conformance-core: $(STAMP)
	$(BIN)/python tools/conformance.py report --suite core

# The ratchet: fails when fewer tutorial tests pass than the floor recorded in tools/conformance-floor.txt.
conformance-floor: $(STAMP)
	$(BIN)/python tools/conformance.py check

# Popular FastAPI extension libraries' own test suites (pinned sdists, one venv each under .cache/ecosystem/), on
# FastAPI and then on vivace through the `fastapi` alias; prints "NAME: P of B" per library. Not part of `make test`.
ecosystem: $(STAMP)
	$(BIN)/python tools/ecosystem.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Mixed valid and hostile traffic against a real uvicorn (bench/soak.py), 2 minutes by default (SOAK_MINUTES=10
# for longer); fails on an unexpected answer, memory growth over 5 % after warm-up, or leaked descriptors/tasks.
soak: $(STAMP)
	$(BIN)/python bench/soak.py

# The documentation site, into site/ (MkDocs + Material, strict: a warning such as a broken link fails the build).
# NO_MKDOCS_2_WARNING silences Material's end-of-life banner, which is not about this project.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) .cache
