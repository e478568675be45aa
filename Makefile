# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint app app-dev bench experiments identity clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)  ## the main job: the baseline experiment into runs/baseline/ (git-ignored), its table and plots
	$(BIN)/python -m experiments run baseline

test: $(STAMP)  ## the whole suite, pattern tests included
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## everything but the slow pattern tests
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

app: $(STAMP)  ## the interactive dashboard on http://localhost:8765 (production build; `make app-dev` reloads on edits)
	-$(BIN)/python tools/solara_assets.py  # Solara's front end and Vega from npm where their CDN is out of reach
	$(BIN)/solara run sim/dashboard/app.py --host localhost --port 8765 --production

app-dev: $(STAMP)  ## the dashboard with Solara's development build: reloads when a file changes
	-$(BIN)/python tools/solara_assets.py
	$(BIN)/solara run sim/dashboard/app.py --host localhost --port 8765

experiments: $(STAMP)  ## regenerate every shipped result in results/ (about an hour on 2 cores)
	$(BIN)/python -m experiments run-all --shipped --fresh

identity: $(STAMP)  ## after an intended change of a rule: check both schedules agree, refresh mirror hashes and the identity record
	$(BIN)/python tools/refresh_identity.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .venv312 .pytest_cache .ruff_cache
