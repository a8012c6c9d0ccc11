"""Is the analysis still the analysis of the data? `analyze` records the state of the raw tables
it read (a fingerprint of every ingested file); any ingest since changes it. Then `summary` says
so (`"stale": true`), `report` refuses unless --allow-stale, `check` fails (analysis_current),
and the dashboard shows a banner with the command to run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from analyzer.db import Database


@dataclass(frozen=True)
class Freshness:
    stale: bool
    analyzed_at: datetime | None
    files_since: tuple[str, ...]     # files ingested after the analysis (their paths)

    def message(self, db_path: str, label: str = "default") -> str:
        since = f" ({', '.join(self.files_since)} ingested after it)" if self.files_since else ""
        again = f"analyzer analyze --db {db_path}" + (f" --label {label}" if label != "default" else "")
        return f"the analysis is older than the data{since}; run `{again}`"


def inputs_state(db: Database) -> dict:
    """The state of the raw tables now (the view main.inputs_now, made by analyze)."""
    if not db.has_table("inputs_now"):
        db.run_file("analysis/inputs_state")
    return db.dicts("SELECT * FROM main.inputs_now")[0]


def freshness(db: Database) -> Freshness:
    """The current analysis (the connection's label) against the raw tables now."""
    if not db.has_table("inputs_now"):  # an analysis from before freshness was recorded
        return Freshness(False, None, ())
    row = db.one("SELECT inputs_fingerprint, inputs_last_file_id, analyzed_at FROM incident_summary")
    if row is None:
        return Freshness(False, None, ())
    fingerprint, last_file_id, analyzed_at = row
    now = inputs_state(db)
    if now["fingerprint"] == fingerprint:
        return Freshness(False, analyzed_at, ())
    since = tuple(r[0] for r in db.rows("SELECT path FROM main.load_manifest WHERE file_id > ? ORDER BY file_id",
                                        [last_file_id or 0]))
    return Freshness(True, analyzed_at, since)
