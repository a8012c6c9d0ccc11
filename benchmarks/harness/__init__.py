"""The benchmark behind `analyzer bench` and `make bench`.

Measures, side by side in one run on the same generated files: DuckDB's own load (the floor
under ingest), `ingest`, a raw scan of the columns the analysis reads (the floor under
analyze), `analyze`, `report`, the dashboard's page queries, and what a user would write
instead (a pandas and a polars pipeline whose totals must equal the analyzer's to the cent).
Modules: data.py (inputs, untimed), worker.py (one run of one case, in its own process),
pipelines.py (the pandas and polars pipelines), dashboard.py (the pages' queries), run.py
(orchestration, figures, targets), render.py (Markdown).
"""

from benchmarks.harness.run import BenchResult, run_bench

__all__ = ["BenchResult", "run_bench"]
