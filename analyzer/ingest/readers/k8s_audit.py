"""Kubernetes audit logs: the changes of ConfigMaps, from kube-apiserver's JSON audit log.

The file is the log backend's JSON lines (`--audit-log-format=json`, gzipped when rotated), or
a webhook batch (`{"kind":"EventList","items":[...]}`), or a JSON array of events. Such a log
holds every request to the cluster; a ConfigMap change is one ResponseComplete event of a
successful create / update / patch / delete (analyzer/sql/ingest/readers/k8s_audit_events.sql
says which; every other event is skipped, not a row). change_id = auditID, ts = stageTimestamp
(UTC), actor = the impersonated user if any, else user.username, object = namespace/name,
version = responseObject.metadata.resourceVersion (the auditID for a delete), config_raw =
responseObject.data (the whole ConfigMap after the change, never the patch body). The log has
no before-state: it is the previous change's state of the same ConfigMap, also across the other
audit logs of the same --config-changes list (rotated files), in k8s_audit_changes.sql.

Audit logs are big and their ConfigMap changes few: the lines are read and classified by DuckDB
in parallel, and only the kept ones (changes, and lines to quarantine) are numbered with their
line in the file.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from analyzer.db import first_line
from analyzer.errors import InputError
from analyzer.ingest.readers.base import (Lines, ReadContext, Reader, Staged, count_lines, json_text, jsonl_lines,
                                          open_text, prepare_text)
from analyzer.ingest.readers.change_logs import (changes_relation, companions, jsonl_line_numbers, registered,
                                                 reader_rejects, skipped)
from analyzer.ingest.sniff import Sample

SIGNATURE = {"auditID", "stage", "verb", "requestURI"}


def sniff(sample: Sample) -> int:
    shape = sample.json
    return 60 if shape is not None and SIGNATURE <= shape.keys else 0


def _lines_file(ctx: ReadContext) -> Path:
    """The file as JSON lines: itself (UTF-8), transcoded, or an event list written out one event
    per line (a record's line is then its number in the list)."""
    shape = ctx.sample.json
    assert shape is not None
    if shape.layout == "lines":
        return prepare_text(ctx).path
    try:
        with open_text(ctx.src.path, ctx.sample.encoding) as fh:
            doc = json.load(fh)
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", path=ctx.where) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read: {first_line(exc)}", path=ctx.where) from exc
    events = doc.get("items") if isinstance(doc, dict) and isinstance(doc.get("items"), list) else (
        doc if isinstance(doc, list) else [doc])
    out = ctx.workdir / (ctx.src.path.name.removesuffix(".gz") + ".jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
    return out


def _nonblank(path: Path) -> str:
    return f"(SELECT j FROM {jsonl_lines(path)} WHERE j IS NOT NULL AND trim(j) <> '')"


def stage(ctx: ReadContext) -> Staged:
    db = ctx.db
    path = _lines_file(ctx)
    rows = int(db.scalar(f"SELECT count(*) FROM {_nonblank(path)}"))
    mine = f"SELECT row_number() OVER () AS _pos, j FROM {_nonblank(path)}"
    # the other audit logs: only lines that can be ConfigMap events are parsed
    others = [f"SELECT j FROM {_nonblank(_lines_file(other))} WHERE j LIKE '%configmaps%'"
              for other in companions(ctx, lambda s: sniff(s) > 0)]
    db.run_file("ingest/readers/k8s_audit_events", lines=mine,
                others=" UNION ALL ".join(others) or "SELECT CAST(NULL AS VARCHAR) AS j WHERE false")
    positions = [int(p) for (p,) in db.rows("SELECT _pos FROM _k8s_events WHERE _mine ORDER BY _pos")]
    line_of = jsonl_line_numbers(path, positions, rows)
    with registered(ctx, "_k8s_line_rows", {"_pos": positions, "_line": [line_of[p] for p in positions]}):
        db.execute("CREATE OR REPLACE TEMP TABLE _k8s_line_of AS SELECT * FROM _k8s_line_rows").fetchall()
    db.run_file("ingest/readers/k8s_audit_changes")
    rejects = reader_rejects(ctx, "_k8s_records")
    kept_skips = skipped(ctx, "_k8s_records")  # no-op updates, found only once paired
    relation = changes_relation(ctx, "_k8s_records", (), access=lambda p: json_text("j", p, exact_number=False),
                                malformed="_kind = 'malformed'", kinds=("change", "malformed"))
    blank = max(0, count_lines(path) - rows)  # blank lines (none in a list written out above)
    return Staged(relation, raw_sql="_raw", skipped=rows - len(positions) + kept_skips,
                  finish=lambda _rows: Lines(reader_rejects=rejects, blank=blank))


READER = Reader(
    name="k8s-audit",
    kinds=("config_changes",),
    recognises="Kubernetes audit logs (kube-apiserver --audit-log-format=json: JSON lines, gzipped or not; a webhook "
               "EventList): create / update / patch / delete of ConfigMaps that succeeded, at ResponseComplete; "
               "the state after from responseObject.data",
    example="analyzer ingest --db incident.duckdb --config-changes kube-apiserver-audit.log --mapping k8s.toml",
    sniff=sniff,
    stage=stage,
    mapping="[[campaigns]] object = \"namespace/name\", fields by data key (discount.type = { key = \"discount.type\" }); "
            "[config_changes] fields by dotted path into the event (README, Your data)",
)
