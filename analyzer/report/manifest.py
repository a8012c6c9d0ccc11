"""manifest.json: what `analyzer report` wrote, from what, with which parameters.

Written last by `write_reports`, always. Lists every file written (name relative to the
output directory, SHA-256, size), the input files as ingested (from `load_manifest`, with
their SHA-256 and row accounting), the analysis parameters (from `incident_summary`) and the
report's own (formats, masking, the guardrail rules file and its SHA-256, when generated). A reader can verify every file with
`sha256sum` and trace it back to the exact inputs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer import __version__
from analyzer.db import Database
from analyzer.report.files import sha256_file, write_text
from analyzer.analysis.summary import to_json_value

if TYPE_CHECKING:
    from analyzer.guardrails.rules import RuleSet
    from analyzer.report import Masking

MANIFEST_NAME = "manifest.json"
ANALYSIS_KEYS = ("campaign_id", "campaigns", "bad_change_id", "bad_change_inferred", "fix_change_id",
                 "fix_change_inferred", "lag_tolerance_ms", "display_tz", "analyzer_version", "analyzed_at")


def inputs(db: Database) -> list[dict]:
    """The ingested files, in ingest order, as JSON-ready dicts."""
    rows = db.dicts_file("report/inputs")
    return [{k: to_json_value(v) for k, v in r.items()} for r in rows]


def analysis_parameters(db: Database) -> dict:
    row = db.dicts(f"SELECT {', '.join(ANALYSIS_KEYS)} FROM incident_summary")[0]
    return {k: to_json_value(v) for k, v in row.items()}


def write_manifest(db: Database, out_dir: Path, files: Sequence[Path], *, formats: Sequence[str],
                   masking: Masking, generated_at: datetime, notes: Sequence[str] = (), raw_csv: bool = False,
                   rules: RuleSet | None = None) -> Path:
    out_dir = Path(out_dir)
    document = {
        "generator": f"analyzer {__version__}",
        "generated_at": to_json_value(generated_at),
        "database": str(Path(db.path).resolve()) if db.path != ":memory:" else db.path,
        "report_parameters": {
            "formats": list(formats),
            "rows_masked": masking.rows,
            "documents_masked": masking.documents,
            "lists_masked": masking.lists,
            "masking": masking.describe(),
            "csv_formulas": ("raw: cells are written as they are (--raw-csv)" if raw_csv else
                             "neutralised: text cells starting with = + - @ TAB CR get a leading ' (OWASP)"),
            **({"guardrail_rules": rules.source, "guardrail_rules_sha256": rules.sha256} if rules else {}),
        },
        "analysis_parameters": analysis_parameters(db),
        "inputs": inputs(db),
        "files": [{"path": Path(f).relative_to(out_dir).as_posix() if Path(f).is_relative_to(out_dir) else str(f),
                   "sha256": sha256_file(f), "bytes": Path(f).stat().st_size} for f in files],
        "notes": list(dict.fromkeys(notes)),
    }
    return write_text(out_dir / MANIFEST_NAME, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
