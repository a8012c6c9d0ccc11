"""Flagsmith environment webhooks (FLAG_UPDATED, FLAG_DELETED): one body as POSTed, an array of
bodies, or JSON lines (a webhook receiver's log).

One change per body that changes an environment's default state of a feature; identity
overrides and segment overrides (also sent as FLAG_UPDATED) and the other event types are
skipped and counted. The object is `environment/feature` (names); the configuration is the
state's `feature_state_value` (a JSON string holding a document is that document), and
`enabled` says whether the flag is on. Flagsmith sends no change id and no version: both are
`<environment.id>/<feature.id>/<timestamp>`, stable across retried deliveries of one change
(analyzer/sql/ingest/readers/flagsmith.sql says exactly what is read).
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.ingest.readers import flag_log
from analyzer.ingest.readers.base import ReadContext, Reader, Staged
from analyzer.ingest.sniff import Sample

EVENT_TYPES = ("FLAG_UPDATED", "FLAG_DELETED", "AUDIT_LOG_CREATED", "NEW_VERSION_PUBLISHED")
EVENT_RE = re.compile(r'"event_type"\s*:\s*"(' + "|".join(EVENT_TYPES) + ')"')


def sniff(sample: Sample) -> int:
    shape = sample.json
    if shape is None or not EVENT_RE.search(sample.text):
        return 0
    if {"data", "event_type"} <= shape.keys:
        return 60
    return 55 if not shape.keys else 0


def _is_body(doc: dict[str, Any]) -> bool:
    return "event_type" in doc and "data" in doc


def pick(doc: Any) -> list[Any] | None:
    return flag_log.records_of(doc, "results", _is_body)


def stage(ctx: ReadContext) -> Staged:
    return flag_log.stage(ctx, "flagsmith", pick, "results")


READER = Reader(
    name="flagsmith",
    kinds=("config_changes",),
    recognises="Flagsmith webhooks: {\"data\": {changed_by, new_state, previous_state, timestamp}, "
               "\"event_type\": \"FLAG_UPDATED\"}, one body, an array or JSON lines",
    example="analyzer ingest --db incident.duckdb --config-changes flagsmith_webhooks.jsonl --mapping flagsmith.toml ...",
    sniff=sniff,
    stage=stage,
    mapping="[[campaigns]] object = \"environment/feature\", fields by key into the feature_state_value JSON "
            "(README, Your data)",
)
