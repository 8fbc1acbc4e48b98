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

# `make bench [SIZES=10000,100000,600000] [FORMS=xml_archive,...]`: the README's "Performance" says what it measures.
SIZES ?= 10000,100000
FORMS ?= xml_archive,xml_files,json_files,veeva_files,classic_files,ictrp_xml
BENCH_STAMP := .venv/.bench-installed

$(BENCH_STAMP): $(VENV_STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m benchmarks.run --sizes $(SIZES) --forms $(FORMS)
	$(PY) -m benchmarks.growth

run: setup
	$(PY) -m pipeline run --raw-dir data/raw --out-dir data/processed

test: setup
	$(PY) -m pytest -q

ui: setup
	$(PY) -m pipeline ui

clean:
	rm -rf data/processed/* data/processed/.current data/processed/.generations data/processed/.state .dagster/storage .dagster/history .dagster/logs .dagster/schedules
