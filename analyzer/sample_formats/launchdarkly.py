"""The sample's config changes as LaunchDarkly audit-log entries, one webhook payload per line
(`auditlog_webhooks.jsonl`, what a webhook receiver keeps: entries with previousVersion and
currentVersion), with the mapping that goes with it.

Each campaign is a multivariate JSON flag (`cmp-ny-instant` in project `default`, environments
`production` and `test`) whose variation 0 `campaign-config` holds the discount config as a
nested JSON document (`{"discount": {"type": ..., "value": ...}, "enabled": ...}`) and which
production's fallthrough serves. A creation is a createFlag entry (the flag starts off in
every environment, as LaunchDarkly creates flags) and an updateOn entry turning production on
30 s later; every later change is an updateFlagVariations entry (a global change: one access per
environment) with the sample's ticket as the author's comment. `change_ids` says which entry is
which sample change (`<_id>/production`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from analyzer.sample_formats.flag_configs import (NESTED_FIELDS, Change, FlagLog, json_lines, nested_config)

PROJECT = "default"
ENVIRONMENTS = ("production", "test")
LIVE = "production"
TURNED_ON_AFTER_MS = 30_000
OFF_VALUE = {"discount": {"type": "none", "value": "0"}, "enabled": False}


def _object_id(seconds: int, seed: str) -> str:
    """A Mongo ObjectId as LaunchDarkly's _id: 4 bytes of seconds, then 8 stable bytes."""
    return f"{seconds:08x}" + hashlib.sha256(seed.encode()).hexdigest()[:16]


def _flag(change: Change, version: int, value: dict[str, Any], on: dict[str, bool],
          env_versions: dict[str, int], modified_ms: int) -> dict[str, Any]:
    """The flag representation (currentVersion / previousVersion of an entry)."""
    return {
        "name": change.campaign_id, "kind": "multivariate", "description": f"Campaign {change.campaign_id}",
        "key": change.flag_key, "_version": version, "temporary": False, "tags": ["campaign"],
        "variations": [
            {"_id": _object_id(0, change.flag_key + ":0"), "value": value, "name": "campaign-config"},
            {"_id": _object_id(0, change.flag_key + ":1"), "value": OFF_VALUE, "name": "campaign-off"},
        ],
        "defaults": {"onVariation": 0, "offVariation": 1},
        "archived": False, "deprecated": False,
        "environments": {env: {
            "on": on[env], "archived": False, "lastModified": modified_ms, "version": env_versions[env],
            "targets": [], "contextTargets": [], "rules": [], "fallthrough": {"variation": 0}, "offVariation": 1,
            "prerequisites": [], "_environmentName": env.capitalize(),
        } for env in ENVIRONMENTS},
    }


def _entries(changes: list[Change]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The entries, oldest first, and canonical change_id -> change id (`<_id>/production`)."""
    state: dict[str, dict[str, Any]] = {}   # flag key -> its current representation's parts
    drafts: list[tuple[int, int, dict[str, Any]]] = []
    ids: dict[str, str] = {}
    for n, change in enumerate(changes):
        key = change.flag_key
        value = nested_config(change.config)
        email = f"{change.actor}@example.com"
        first = change.actor.split(".")[0].capitalize()
        link = f"[{change.campaign_id}](https://app.launchdarkly.com/{PROJECT}/~/features/{key})"
        if change.action == "create":
            on = {env: False for env in ENVIRONMENTS}
            versions = {env: 1 for env in ENVIRONMENTS}
            created = _flag(change, 1, value, on, versions, change.ts_ms)
            entry_id = _object_id(change.ts_ms // 1000, change.change_id)
            drafts.append((change.ts_ms, n, _entry(entry_id, change.ts_ms, "createFlag", ENVIRONMENTS, key, email,
                                                   change.ticket, f"{first} created the flag {link}", None, created)))
            ids[change.change_id] = f"{entry_id}/{LIVE}"
            on_ms = change.ts_ms + TURNED_ON_AFTER_MS
            turned_on = _flag(change, 2, value, {**on, LIVE: True}, {**versions, LIVE: 2}, on_ms)
            drafts.append((on_ms, n, _entry(_object_id(on_ms // 1000, change.change_id + ":on"), on_ms, "updateOn",
                                            (LIVE,), key, email, "", f"{first} turned on the flag {link} in "
                                            f"`{LIVE.capitalize()}`", created, turned_on)))
            state[key] = {"version": 2, "on": {**on, LIVE: True}, "versions": {**versions, LIVE: 2}, "flag": turned_on}
            continue
        flag = state[key]
        version, versions = flag["version"] + 1, {env: v + 1 for env, v in flag["versions"].items()}
        current = _flag(change, version, value, flag["on"], versions, change.ts_ms)
        entry_id = _object_id(change.ts_ms // 1000, change.change_id)
        drafts.append((change.ts_ms, n, _entry(entry_id, change.ts_ms, "updateFlagVariations", ENVIRONMENTS, key,
                                               email, change.ticket, f"{first} updated the flag {link}",
                                               flag["flag"], current)))
        ids[change.change_id] = f"{entry_id}/{LIVE}"
        state[key] = {"version": version, "on": flag["on"], "versions": versions, "flag": current}
    return [entry for _ts, _n, entry in sorted(drafts, key=lambda d: (d[0], d[1]))], ids


def _entry(entry_id: str, ts_ms: int, action: str, environments: tuple[str, ...], key: str, email: str,
           comment: str, title: str, previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    """An audit-log entry as a webhook POSTs it."""
    entry: dict[str, Any] = {
        "_links": {"self": {"href": f"/api/v2/auditlog/{entry_id}", "type": "application/json"}},
        "_id": entry_id,
        "_accountId": "5f1c3a9e2b7d4c0012ab34cd",
        "date": ts_ms,
        "accesses": [{"action": action, "resource": f"proj/{PROJECT}:env/{env}:flag/{key}"}
                     for env in sorted(environments, reverse=True)],
        "kind": "flag",
        "name": current["name"],
        "description": "",
        "shortDescription": "",
        "comment": comment,
        "member": {"_id": hashlib.sha256(email.encode()).hexdigest()[:24], "email": email},
        "titleVerb": title.split(" ", 1)[1].split(" [", 1)[0],
        "title": title,
        "target": {"name": current["name"],
                   "resources": [f"proj/{PROJECT}:env/{env}:flag/{key}" for env in sorted(environments)]},
        "currentVersion": current,
    }
    if previous is not None:
        entry["previousVersion"] = previous
    return entry


LOG = FlagLog(
    name="launchdarkly", file_name="auditlog_webhooks.jsonl", records=_entries,
    dump=lambda entries: json_lines(entries, ensure_ascii=False, separators=(",", ":")),
    header="# The sample's campaigns in its LaunchDarkly audit log (auditlog_webhooks.jsonl): each campaign is a JSON\n"
           "# flag whose production fallthrough serves the discount config as a nested JSON document.",
    object_of=lambda c: f"{PROJECT}/{LIVE}/{c.flag_key}", fields=NESTED_FIELDS)
change_ids = LOG.change_ids
WRITER = LOG.register()
