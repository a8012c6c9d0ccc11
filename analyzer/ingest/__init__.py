"""Lossless ingest: input files -> validated canonical tables in DuckDB.

Called by `analyzer ingest` (cli.py) and by tests and benchmarks. Each input row is loaded,
collapsed as an exact duplicate, or quarantined in `rejects` with a reason; the counts are
recorded per file in `load_manifest` and always reconcile.
"""

from analyzer.ingest.loader import FileResult, IngestReport, ingest

__all__ = ["FileResult", "IngestReport", "ingest"]
