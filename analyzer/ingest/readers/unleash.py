"""Unleash event log: the `GET /api/admin/events` response (`{"version": 1, "events": [...]}`),
the same events as a JSON array (an export), or JSON lines (a webhook receiver's log).

One change per event that changes what a flag serves in an environment (a strategy added,
updated or removed, the environment enabled or disabled, variants updated, the flag archived
or deleted); other events (feature-created, feature-tagged, ...) are skipped and counted. The
object is `project/featureName/environment`; the configuration is the JSON payload of the
variant named `config` (analyzer/sql/ingest/readers/unleash.sql says exactly what is read).
Events carry no version: the event id is the change id, the version and the order of changes at
one instant.
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.ingest.readers import flag_log
from analyzer.ingest.readers.base import ReadContext, Reader, Staged
from analyzer.ingest.sniff import Sample

EVENT_KEYS = frozenset({"id", "type", "createdBy", "createdAt"})
# the head of a response too long for the sample to hold whole
RESPONSE_RE = re.compile(r'^\s*\{\s*"version"\s*:\s*1\s*,\s*"events"\s*:\s*\[')


def sniff(sample: Sample) -> int:
    shape = sample.json
    if shape is None:
        return 0
    if EVENT_KEYS <= shape.keys:
        return 60
    if {"version", "events"} <= shape.keys and '"createdBy"' in sample.text:  # the response on one line
        return 60
    if not shape.keys and RESPONSE_RE.match(sample.text) and '"createdBy"' in sample.text:
        return 55
    return 0


def _is_event(doc: dict[str, Any]) -> bool:
    return EVENT_KEYS <= set(doc)


def pick(doc: Any) -> list[Any] | None:
    return flag_log.records_of(doc, "events", _is_event)


def stage(ctx: ReadContext) -> Staged:
    return flag_log.stage(ctx, "unleash", pick, "events")


READER = Reader(
    name="unleash",
    kinds=("config_changes",),
    recognises="Unleash events: the GET /api/admin/events response, a JSON array of events, or JSON lines "
               "(id, type, createdBy, createdAt, featureName, project, environment, data, preData)",
    example="analyzer ingest --db incident.duckdb --config-changes unleash_events.json --mapping unleash.toml ...",
    sniff=sniff,
    stage=stage,
    mapping="[[campaigns]] object = \"project/feature/environment\", fields by key into the `config` variant's "
            "JSON payload (README, Your data)",
)
