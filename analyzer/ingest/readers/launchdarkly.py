"""LaunchDarkly audit log: the `GET /api/v2/auditlog` list (`{"items": [...]}`), an entry as a
webhook POSTs it (or `GET /api/v2/auditlog/{id}` returns it), an array of entries, or JSON lines.

One change per entry and flag environment among its accesses (`proj/P:env/E:flag/F`) whose
action changes what the flag serves (created, variations, targeting, rules, on/off, archived,
deleted); other entries and actions are skipped and counted. The object is `P/E/F`, the change
id `<_id>/<E>` (a global change, such as a new variation value, lists one access per
environment). The configuration is the value the environment's fallthrough serves in
`currentVersion` (after) and `previousVersion` (before), and whether the flag is on there:
entries of the list API carry neither (fetch each entry, or keep the webhooks, to price them).
The author's `comment` and the entry's `title` are the ticket, shown on the timeline, with the
entry's `description` when it has no versions (the list's entries: it is then the only account
of what changed); analyzer/sql/ingest/readers/launchdarkly.sql says exactly what is read.
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.ingest.readers import flag_log
from analyzer.ingest.readers.base import ReadContext, Reader, Staged
from analyzer.ingest.sniff import Sample

ENTRY_KEYS = frozenset({"_id", "date", "accesses"})
ENTRY_RE = re.compile(r'"accesses"\s*:\s*\[')


def sniff(sample: Sample) -> int:
    shape = sample.json
    if shape is None:
        return 0
    if ENTRY_KEYS <= shape.keys:
        return 60
    # one entry as a document: the sample names its first list of objects (accesses) as the wrapper
    if shape.wrapper == "accesses" and {"action", "resource"} <= shape.keys and '"_id"' in sample.text:
        return 60
    if {"items"} <= shape.keys and ENTRY_RE.search(sample.text) and '"_id"' in sample.text:  # the list on one line
        return 60
    if not shape.keys and '"items"' in sample.text and ENTRY_RE.search(sample.text) and '"_id"' in sample.text:
        return 55
    return 0


def _is_entry(doc: dict[str, Any]) -> bool:
    return "_id" in doc and "accesses" in doc


def pick(doc: Any) -> list[Any] | None:
    return flag_log.records_of(doc, "items", _is_entry)


def stage(ctx: ReadContext) -> Staged:
    return flag_log.stage(ctx, "launchdarkly", pick, "items")


READER = Reader(
    name="launchdarkly",
    kinds=("config_changes",),
    recognises="LaunchDarkly audit log: the /api/v2/auditlog list ({\"items\": [...]}), webhook payloads (one "
               "entry, an array or JSON lines) with currentVersion / previousVersion",
    example="analyzer ingest --db incident.duckdb --config-changes launchdarkly_webhooks.jsonl "
            "--mapping launchdarkly.toml ...",
    sniff=sniff,
    stage=stage,
    mapping="[[campaigns]] object = \"project/environment/flag\", fields by path into the served variation's "
            "JSON value (README, Your data)",
)
