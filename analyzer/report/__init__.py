"""Reports for the review meeting: row exports, the incident report and the timeline export.

Called by `analyzer report` (cli.py), the benchmark and the tests. Every number comes from the
derived tables that `analyzer analyze` built; nothing is recomputed here except the guardrails'
replay (analyzer/guardrails/, over `priced_transactions`). One module per renderer:

    exports.py   affected_* as CSV and Parquet (DuckDB COPY, streamed)
    xlsx.py      the one Excel writer: affected_* and the lists as workbooks (and the dashboard's download)
    content.py   what the documents say, computed once (frozen dataclasses)
    figures.py   the charts (analyzer.charts) as inline HTML or PNG files
    html.py      incident_report.html (one self-contained page)
    markdown.py  incident_report.md (+ PNG charts beside it)
    timeline.py  timeline.jsonl / timeline.csv for Timesketch
    manifest.py  manifest.json: every file with its SHA-256, the inputs, the parameters

Privacy: user and payee ids are personal data. By default the documents (HTML, Markdown)
and the remediation lists (exploiters, notify, notify_merchants) show keyed pseudonyms, and the
affected_* row exports keep the ids; `mask_pii=True` masks everywhere, `mask_pii=False` nowhere.

    remediation: exploiters.csv / notify.csv / notify_merchants.csv (and .parquet, .xlsx) beside
                 affected_users.csv, with the messages of messages.py
    postmortem.py  the post-mortem document: written by `analyzer postmortem init`, its marked
                   figures refreshed and its pages put first in the reports
    notes.py     the reviewer notes (analyzer/annotations.py) described and exported
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from analyzer.analysis.pipeline import DERIVED_TABLES
from analyzer.db import Database
from analyzer.errors import DataError
from analyzer.guardrails.rules import RuleSet, load_rules

ALL_FORMATS = ("csv", "parquet", "xlsx", "html", "md", "timeline")
REQUIRED_TABLES = (*DERIVED_TABLES, "load_manifest", "rejects")


@dataclass(frozen=True)
class ReportResult:
    files: tuple[Path, ...]
    """Every file written, in the order written; manifest.json last."""
    rows_masked: bool
    """User and payee ids in the affected_* row exports (CSV, Parquet, XLSX) are pseudonyms."""
    documents_masked: bool
    """User and payee ids in the HTML and Markdown reports are pseudonyms."""
    notes: tuple[str, ...] = ()
    """What could not be done as asked (e.g. PNG charts without a browser)."""
    lists_masked: bool = True
    """User and payee ids in the remediation lists are pseudonyms."""
    warnings: tuple[str, ...] = ()
    """What a person should look at: figures of the post-mortem that changed, and the like."""
    xlsx_seconds: float | None = None
    xlsx_rows: int = 0
    """How long the XLSX workbooks took and how many rows they hold (the benchmark's rows per second)."""


@dataclass(frozen=True)
class Masking:
    rows: bool
    documents: bool
    lists: bool = True  # the remediation lists (exploiters, notify, notify_merchants)

    @classmethod
    def policy(cls, mask_pii: bool | None) -> Masking:
        """None: the default policy (documents and remediation lists masked, affected_* rows not);
        True/False: everywhere/nowhere."""
        if mask_pii is None:
            return cls(rows=False, documents=True, lists=True)
        return cls(rows=mask_pii, documents=mask_pii, lists=mask_pii)

    def describe(self) -> str:
        if self.rows and self.documents and self.lists:
            return "user and payee ids are masked everywhere (--mask-pii): stable keyed pseudonyms (anon-…)"
        if not self.rows and not self.documents and not self.lists:
            return "user and payee ids are NOT masked anywhere (--no-mask-pii)"
        return ("user and payee ids are masked in the HTML and Markdown reports and in the remediation lists "
                "(stable keyed pseudonyms, anon-…; --no-mask-pii writes the ids an SMS tool needs) and kept in "
                "the affected_* row exports (default policy)")


def require_analyzed(db: Database) -> None:
    missing = [t for t in REQUIRED_TABLES if not db.has_table(t)]
    if missing:
        raise DataError(f"{db.path}: not analyzed yet (no table {', '.join(missing)}); "
                        "run `analyzer analyze` first")
    if not db.scalar("SELECT count(*) FROM incident_summary"):
        raise DataError(f"{db.path}: incident_summary is empty; run `analyzer analyze` first")


def write_reports(db: Database, out_dir: Path, *, formats: Sequence[str] = ALL_FORMATS,
                  mask_pii: bool | None = None, generated_at: datetime | None = None,
                  raw_csv: bool = False, allow_stale: bool = False, rules: RuleSet | None = None,
                  messages_dir: Path | None = None, postmortem_path: Path | None = None) -> ReportResult:
    """Write the chosen formats into `out_dir` (created if missing), then manifest.json.

    Order: CSV, Parquet, timeline, HTML, Markdown, then the XLSX workbooks (the slowest), so the
    documents never wait for Excel; `formats` chooses which are written at all.

    CSV cells that a spreadsheet would run as formulas are neutralised unless `raw_csv`.
    `rules`: the guardrails replayed in the Guardrails section (default: the default rule set).

    `generated_at` (default: now) only goes into manifest.json: the documents depend on the
    database alone, so the same database gives the same CSV, Markdown and HTML bytes.
    `postmortem_path`: the team's post-mortem; its marked figures are refreshed in place and it
    becomes the first pages of the HTML and Markdown reports (warnings in the result).
    """
    from analyzer.report import exports, manifest, timeline
    from analyzer.report.messages import load_messages

    unknown = sorted(set(formats) - set(ALL_FORMATS))
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}; choose from {', '.join(ALL_FORMATS)}")
    require_analyzed(db)
    from analyzer.analysis.freshness import freshness

    fresh = freshness(db)
    if fresh.stale and not allow_stale:
        label = db.scalar("SELECT analysis_label FROM incident_summary") or "default"
        raise DataError(f"{db.path}: {fresh.message(db.path, label)}, or pass --allow-stale to report the "
                        "older analysis (the report then says so on its first page)")
    masking = Masking.policy(mask_pii)
    tz = db.scalar("SELECT display_tz FROM incident_summary") or "UTC"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    xlsx_seconds, xlsx_rows = None, 0
    notes: list[str] = []
    warnings: list[str] = []
    pm = None
    if postmortem_path is not None:
        from analyzer.report import postmortem

        pm = postmortem.refresh(db, Path(postmortem_path))
        warnings.extend(pm.warnings)

    messages = load_messages(messages_dir)
    params = messages.params()
    exports_masked = [(name, masking.rows) for name in exports.EXPORT_NAMES]
    exports_masked += [(name, masking.lists) for name in exports.REMEDIATION_NAMES]
    if "csv" in formats:
        for name, masked in exports_masked:
            files.append(exports.write_csv(db, name, out_dir, mask_pii=masked, tz=tz, params=params, raw=raw_csv))
    if "parquet" in formats:
        for name, masked in exports_masked:
            files.append(exports.write_parquet(db, name, out_dir, mask_pii=masked, tz=tz, params=params))
    if "timeline" in formats:
        files.extend(timeline.write_timeline(db, out_dir, tz=tz, raw_csv=raw_csv))
    if "html" in formats or "md" in formats:
        from analyzer.report import figures
        from analyzer.report.content import build_content

        content = build_content(db, masking, rules, messages)
        if pm is not None:
            content = dataclasses.replace(content, postmortem=pm)
        charts = figures.build_figures(content)
        notes.extend(charts.notes)
        if "html" in formats:
            from analyzer.report import html

            files.append(html.write_html(content, charts, out_dir))
        if "md" in formats:
            from analyzer.report import markdown

            written, md_notes = markdown.write_markdown(content, charts, out_dir)
            files.extend(written)
            notes.extend(md_notes)
    if "xlsx" in formats:  # last: the slowest format, and nobody waits for it to read the report
        from analyzer.report import xlsx

        started = time.perf_counter()
        for name, masked in exports_masked:
            path, rows = xlsx.write_xlsx(db, name, out_dir, mask_pii=masked, tz=tz, params=params)
            files.append(path)
            xlsx_rows += rows
        xlsx_seconds = time.perf_counter() - started
    when = generated_at or datetime.now(timezone.utc)
    files.append(manifest.write_manifest(db, out_dir, files, formats=tuple(f for f in ALL_FORMATS if f in formats),
                                         masking=masking, generated_at=when, notes=tuple(notes),
                                         raw_csv=raw_csv, rules=rules or load_rules(None)))
    return ReportResult(files=tuple(files), rows_masked=masking.rows, documents_masked=masking.documents,
                        notes=tuple(dict.fromkeys(notes)), lists_masked=masking.lists, warnings=tuple(warnings),
                        xlsx_seconds=xlsx_seconds, xlsx_rows=xlsx_rows)
