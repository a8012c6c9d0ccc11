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
import re
import zlib
from pathlib import Path

from analyzer.db import first_line
from analyzer.errors import InputError
from analyzer.ingest.readers.base import (Lines, ReadContext, Reader, Staged, count_lines, json_text, jsonl_lines,
                                          open_text, prepare_text)
from analyzer.ingest.readers.change_logs import (changes_relation, companions, jsonl_line_numbers, reader_rejects,
                                                 skipped, small_table)
from analyzer.ingest.sniff import Sample

SIGNATURE = {"auditID", "stage", "verb", "requestURI"}
EVENT_LIST = re.compile(r'^\s*\{.*?"kind"\s*:\s*"EventList"', re.S)
AUDIT_API = re.compile(r'"apiVersion"\s*:\s*"audit\.k8s\.io/')


def _event_list(sample: Sample) -> bool:
    """A webhook batch: {"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[...]}."""
    head = sample.text[:4096]
    return bool(EVENT_LIST.match(head) and AUDIT_API.search(head))


def sniff(sample: Sample) -> int:
    shape = sample.json
    if shape is None:
        return 0
    return 60 if SIGNATURE <= shape.keys or ("items" in shape.keys and _event_list(sample)) else 0


def _lines_file(ctx: ReadContext) -> Path:
    """The file as JSON lines of events: itself (UTF-8), transcoded, or its events written out one
    per line (an event list, on one line or pretty-printed, or an array: a record's line is then
    its number among the events)."""
    shape = ctx.sample.json
    if shape is None:
        raise InputError("not a Kubernetes audit log (JSON lines of audit.k8s.io events, or an EventList)",
                         path=ctx.where)
    if shape.layout == "lines" and not _event_list(ctx.sample):
        return prepare_text(ctx).path
    out = ctx.workdir / (ctx.src.path.name.removesuffix(".gz") + ".jsonl")
    try:
        with open_text(ctx.src.path, ctx.sample.encoding) as fh, open(out, "w", encoding="utf-8") as dst:
            docs = (json.loads(line) for line in fh if line.strip()) if shape.layout == "lines" else [json.load(fh)]
            for doc in docs:
                events = doc.get("items") if isinstance(doc, dict) and isinstance(doc.get("items"), list) else (
                    doc if isinstance(doc, list) else [doc])
                for event in events:
                    dst.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", path=ctx.where) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read: {first_line(exc)}", path=ctx.where) from exc
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
    small_table(ctx, "_k8s_line_of", {"_pos": ("BIGINT", positions), "_line": ("BIGINT", [line_of[p] for p in positions])})
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
    recognises="Kubernetes audit logs (JSON lines, gzipped or not, or a webhook EventList): the successful "
               "create / update / patch / delete of ConfigMaps",
    example="analyzer ingest --db incident.duckdb --config-changes kube-apiserver-audit.log --mapping k8s.toml",
    sniff=sniff,
    stage=stage,
    mapping="[[campaigns]] object = \"namespace/name\", fields by data key (discount.type = { key = \"discount.type\" }); "
            "[config_changes] fields by dotted path into the event (README, Your data)",
)
