"""The sample's config changes as Unleash events: the `GET /api/admin/events` response
(`admin_events.json`, newest first), with the mapping that goes with it.

Each campaign is a flag (`cmp-ny-instant` in project `default`) whose production strategy holds
the discount config as the JSON payload of a variant named `config` (flat dotted keys, as in
tests/fixtures/formats/unleash/). A campaign's creation is three events (feature-created, which
the reader skips; feature-strategy-add, the change; feature-environment-enabled 30 s later);
every later change is a feature-strategy-update with the config before it in preData. Events
are numbered from 2001 in time order; `change_ids` says which event is which sample change.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from analyzer.sample_formats.flag_configs import (FLAT_FIELDS, Change, FlagLog, flat_config, iso_utc,
                                                  previous_configs)

PROJECT = "default"
ENVIRONMENT = "production"
FIRST_ID = 2001
CREATED_BEFORE_MS = 60_000   # the flag is created a minute before its strategy is added
ENABLED_AFTER_MS = 30_000    # and enabled in production half a minute after


def _events(changes: list[Change]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The events, oldest first, and canonical change_id -> event id."""
    before = previous_configs(changes)
    drafts: list[tuple[int, int, dict[str, Any], str | None]] = []  # (ts, order, event, canonical id)
    for n, change in enumerate(changes):
        base = {"createdBy": change.actor, "featureName": change.flag_key, "project": PROJECT, "tags": []}
        strategy = _strategy(change)
        if change.action == "create":
            drafts.append((change.ts_ms - CREATED_BEFORE_MS, n, {
                **base, "type": "feature-created", "environment": None, "preData": None,
                "data": {"name": change.flag_key, "description": f"Campaign {change.campaign_id}",
                         "type": "operational", "project": PROJECT, "stale": False,
                         "createdAt": iso_utc(change.ts_ms - CREATED_BEFORE_MS), "lastSeenAt": None,
                         "impressionData": False}}, None))
            drafts.append((change.ts_ms, n, {**base, "type": "feature-strategy-add", "environment": ENVIRONMENT,
                                             "data": strategy(change.config), "preData": None}, change.change_id))
            drafts.append((change.ts_ms + ENABLED_AFTER_MS, n, {
                **base, "type": "feature-environment-enabled", "environment": ENVIRONMENT, "data": None,
                "preData": None}, None))
        else:
            drafts.append((change.ts_ms, n, {
                **base, "type": "feature-strategy-update", "environment": ENVIRONMENT,
                "data": strategy(change.config), "preData": strategy(before[change.change_id] or {})}, change.change_id))
    users = {actor: n for n, actor in enumerate(sorted({c.actor for c in changes}), 3)}  # Unleash's user ids
    events, ids = [], {}
    for event_id, (ts, _n, event, canonical) in enumerate(sorted(drafts, key=lambda d: (d[0], d[1])), FIRST_ID):
        events.append({"id": event_id, "type": event["type"], "createdBy": event["createdBy"],
                       "createdByUserId": users[event["createdBy"]], "createdAt": iso_utc(ts), "data": event["data"],
                       "preData": event["preData"], "tags": event["tags"], "featureName": event["featureName"],
                       "project": event["project"], "environment": event["environment"]})
        if canonical is not None:
            ids[canonical] = str(event_id)
    return events, ids


def _strategy(change: Change):
    """The production strategy of the campaign's flag holding `config` (Unleash's strategy shape)."""
    def strategy(config: dict[str, Any]) -> dict[str, Any]:
        payload = json.dumps(flat_config(config), separators=(",", ":")) if config else None
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"unleash:{change.flag_key}:{ENVIRONMENT}")),
            "name": "flexibleRollout",
            "title": f"{change.campaign_id} campaign config",
            "disabled": False,
            "constraints": [],
            "parameters": {"groupId": change.flag_key, "rollout": "100", "stickiness": "default"},
            "variants": [{"name": "config", "weight": 1000, "weightType": "variable", "stickiness": "default",
                          "payload": {"type": "json", "value": payload}}] if payload else [],
            "sortOrder": 0,
            "segments": [],
        }
    return strategy


LOG = FlagLog(
    name="unleash", file_name="admin_events.json", records=_events,
    dump=lambda events: json.dumps({"version": 1, "events": events[::-1], "totalEvents": len(events)},
                                   ensure_ascii=False, separators=(",", ":")),
    header="# The sample's campaigns in its Unleash events (admin_events.json): each campaign is a flag whose\n"
           "# production strategy keeps the discount config in the JSON payload of its variant `config`.",
    object_of=lambda c: f"{PROJECT}/{c.flag_key}/{ENVIRONMENT}", fields=FLAT_FIELDS)
change_ids = LOG.change_ids
WRITER = LOG.register()
