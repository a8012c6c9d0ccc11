# Two commands on a fresh machine (Python 3.11, make, git): `make demo` and `make test`.
# Each creates the environment itself when it is missing (uv, pinned by uv.lock).

PYTHON ?= python3
UV_VERSION = 0.13.9
TOOLS = .tools
UV = $(TOOLS)/bin/uv
VENV = .venv
BIN = $(VENV)/bin
SAMPLE = sample_data/incident
DB = sample_data/incident.duckdb
REPORTS = sample_data/reports
POSTMORTEM = sample_data/postmortem.md
TZ_INCIDENT = Asia/Shanghai
PORT ?= 8501
export UV_PYTHON_DOWNLOADS = never
# analyze --engine spark and its tests: a local Spark binds to loopback
export SPARK_LOCAL_IP = 127.0.0.1

.PHONY: demo test test-fast env sample bench clean

env: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra spark --python $(PYTHON)
	touch $@

sample: env
	$(BIN)/analyzer sample --out $(SAMPLE)

demo: sample
	rm -f $(DB)
	$(BIN)/analyzer ingest --db $(DB) \
	    --transactions $(SAMPLE)/transactions.csv $(SAMPLE)/transactions_replay.jsonl \
	    --config-changes $(SAMPLE)/config_changes.jsonl \
	    --events $(SAMPLE)/events.csv --tz $(TZ_INCIDENT)
	$(BIN)/analyzer analyze --db $(DB)
	$(BIN)/analyzer check --db $(DB)
	test -f $(POSTMORTEM) || $(BIN)/analyzer postmortem init --db $(DB)
	$(BIN)/analyzer report --db $(DB) --out $(REPORTS)
	@echo "reports: $(REPORTS)/incident_report.html"
	$(BIN)/analyzer dashboard --db $(DB) --port $(PORT)

test: env
	$(BIN)/python -m pytest

# The quick loop while changing code: no slow and no browser tests (under a minute).
# `make test` runs everything, the Spark tests (-m spark, one local[2] session) among them.
test-fast: env
	$(BIN)/python -m pytest -m "not slow and not browser" -q

bench: env
	$(BIN)/analyzer bench --payments 1000000 --payments 10000000 --repeat 3

clean:
	rm -rf $(SAMPLE) $(DB) $(DB).annotations.jsonl $(POSTMORTEM) $(REPORTS) .pytest_cache
