# The project's commands. `make run` and `make test` set up .venv/ on first use.
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: setup run test ui bench clean

$(VENV_STAMP): pyproject.toml constraints.txt
	python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(VENV_STAMP)

setup: $(VENV_STAMP)

run: setup
	$(PY) -m pipeline run --raw-dir data/raw --out-dir data/processed

test: setup
	$(PY) -m pytest -q

ui: setup
	$(PY) -m pipeline ui

clean:
	rm -rf data/processed/* .dagster/storage .dagster/history .dagster/logs .dagster/schedules
