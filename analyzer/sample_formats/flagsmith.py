"""The sample's config changes as Flagsmith environment webhooks, one body per line as the server
POSTs them (`json.dumps(..., sort_keys=True)`) and a receiver appends them (`webhooks.jsonl`),
with the mapping that goes with it.

Each campaign is a feature (named after the campaign id, in project "Payments Platform") whose
`feature_state_value` in the environment "Production" is the discount config as a JSON string
(flat dotted keys, as in tests/fixtures/formats/flagsmith/). A creation is two bodies: the
feature created (no previous_state, no value, off) a minute before, then its value set and the
flag enabled (the change). Every later change is one FLAG_UPDATED with the state before it. One
identity override (a QA tester given the bad config an hour early) is there too: the reader
skips it. `change_ids` says which body is which sample change.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from analyzer.sample import BAD_CHANGE_ID
from analyzer.sample_formats.flag_configs import (FLAT_FIELDS, Change, FlagLog, flat_config, iso_utc,
                                                  json_lines)

ENVIRONMENT = {"id": 41, "name": "Production"}
PROJECT = {"id": 12, "name": "Payments Platform"}
CREATED_BEFORE_MS = 60_000
OVERRIDE_BEFORE_MS = 3_600_000


def _feature(change: Change, created_ms: int) -> dict[str, Any]:
    return {"created_date": iso_utc(created_ms, 6), "default_enabled": False,
            "description": f"Campaign {change.campaign_id} pricing config",
            "id": 7000 + zlib.crc32(change.campaign_id.encode()) % 1000, "initial_value": None,
            "name": change.campaign_id, "project": PROJECT, "type": "STANDARD"}


def _state(feature: dict[str, Any], enabled: bool, config: dict[str, Any] | None,
           identity: tuple[int, str] | None = None) -> dict[str, Any]:
    return {"enabled": enabled, "environment": ENVIRONMENT, "feature": feature, "feature_segment": None,
            "feature_state_value": json.dumps(flat_config(config), separators=(",", ":")) if config else None,
            "identity": identity[0] if identity else None, "identity_identifier": identity[1] if identity else None,
            "multivariate_feature_state_values": []}


def _body(actor: str, ts_ms: int, new: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    data: dict[str, Any] = {"changed_by": f"{actor}@example.com", "new_state": new, "timestamp": iso_utc(ts_ms, 6)}
    if previous is not None:
        data["previous_state"] = previous
    return {"data": data, "event_type": "FLAG_UPDATED"}


def _change_id(state: dict[str, Any], ts_ms: int) -> str:
    """The reader's change id of a body: environment id / feature id / timestamp."""
    return f"{state['environment']['id']}/{state['feature']['id']}/{iso_utc(ts_ms, 6)}"


def _bodies(changes: list[Change], bad_change_id: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The bodies, oldest first, and canonical change_id -> the reader's change id."""
    features: dict[str, dict[str, Any]] = {}
    states: dict[str, dict[str, Any]] = {}
    drafts: list[tuple[int, int, dict[str, Any]]] = []
    ids: dict[str, str] = {}
    for n, change in enumerate(changes):
        if change.action == "create":
            created_ms = change.ts_ms - CREATED_BEFORE_MS
            features[change.campaign_id] = _feature(change, created_ms)
            empty = _state(features[change.campaign_id], False, None)
            drafts.append((created_ms, n, _body(change.actor, created_ms, empty, None)))
            states[change.campaign_id] = empty
        feature = features[change.campaign_id]
        if change.change_id == bad_change_id:  # tried on one tester first: an identity override
            override_ms = change.ts_ms - OVERRIDE_BEFORE_MS
            drafts.append((override_ms, n, _body(change.actor, override_ms,
                                                 _state(feature, True, change.config, (88231, "qa-tester-01")), None)))
        new = _state(feature, bool(change.config.get("enabled", True)), change.config)
        drafts.append((change.ts_ms, n, _body(change.actor, change.ts_ms, new, states[change.campaign_id])))
        ids[change.change_id] = _change_id(new, change.ts_ms)
        states[change.campaign_id] = new
    return [body for _ts, _n, body in sorted(drafts, key=lambda d: (d[0], d[1]))], ids


LOG = FlagLog(
    name="flagsmith", file_name="webhooks.jsonl", records=lambda changes: _bodies(changes, BAD_CHANGE_ID),
    dump=lambda bodies: json_lines(bodies, sort_keys=True),
    header="# The sample's campaigns in its Flagsmith webhooks (webhooks.jsonl): each campaign is a feature whose\n"
           "# value in the environment Production is the discount config as a JSON string.",
    object_of=lambda c: f"{ENVIRONMENT['name']}/{c.campaign_id}", fields=FLAT_FIELDS)
change_ids = LOG.change_ids
WRITER = LOG.register()
