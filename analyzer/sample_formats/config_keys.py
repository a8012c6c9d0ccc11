"""The canonical sample's config changes as config centres hold them: each campaign's discount
model as flat string keys (`discount.type = PERCENT`, `discount.scenes = a,b`, ...), the shape the
Apollo, Nacos and Kubernetes writers store, and the mapping file that reads it back.

The pricing service of the sample logs the version of the config it priced with in every
payment (transactions' config_version); in these formats the config carries it as its own
`version` key, and the mapping tells the reader so. The writers use only this module and the
sample's files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SAMPLE_TZ = "Asia/Shanghai"
KEYS = ("discount.type", "discount.value", "discount.cap", "discount.min_amount", "discount.scenes", "enabled",
        "version")


@dataclass(frozen=True)
class Change:
    """One change of the canonical sample, its config as flat keys."""

    change_id: str
    ts: datetime          # UTC
    campaign_id: str
    actor: str
    approver: str | None
    ticket: str | None
    action: str
    version: str
    keys: dict[str, str]  # the config after the change

    def local(self, tz: str = SAMPLE_TZ) -> datetime:
        return self.ts.astimezone(ZoneInfo(tz))


def _text(value: object) -> str:
    """A model value as the text a config centre stores ('' for none); numbers keep the text the
    canonical log wrote them with (read with parse_float=str)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flat_keys(config: dict, version: str) -> dict[str, str]:
    scenes = config.get("scenes") or ["*"]
    return {
        "discount.type": _text(config.get("discount_type") or "none").upper(),
        "discount.value": _text(config.get("discount_value") if config.get("discount_value") is not None else "0"),
        "discount.cap": _text(config.get("max_discount")),
        "discount.min_amount": _text(config.get("min_amount")),
        "discount.scenes": ",".join(scenes if isinstance(scenes, list) else [str(scenes)]),
        "enabled": _text(config.get("enabled", True)),
        "version": version,
    }


def read_changes(sample_dir: Path) -> list[Change]:
    """The canonical config_changes.jsonl of a sample, in time order."""
    changes = []
    with open(Path(sample_dir) / "config_changes.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            doc = json.loads(line, parse_float=str, parse_int=str)
            ts = datetime.fromisoformat(doc["ts"].replace("Z", "+00:00"))
            changes.append(Change(doc["change_id"], ts, doc["campaign_id"], doc["actor"], doc.get("approver"),
                                  doc.get("ticket"), doc.get("action") or "update", doc["version"],
                                  flat_keys(doc["config"], doc["version"])))
    return sorted(changes, key=lambda c: (c.ts, c.change_id))


def naive_local(ts: datetime, tz: str = SAMPLE_TZ) -> str:
    """`2025-01-16 14:40:00` (and the fraction when there is one): a database's DATETIME in the
    server's local time, without a zone."""
    local = ts.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    return text + (f".{local.microsecond:06d}".rstrip("0") if local.microsecond else "")


def utc_micros(ts: datetime, shift_ms: int = 0) -> str:
    """`2025-01-16T06:40:00.000000Z` (Kubernetes MicroTime)."""
    return (ts + timedelta(milliseconds=shift_ms)).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def mapping_toml(title: str, objects: dict[str, str]) -> str:
    """The mapping file: the version key, and one [[campaigns]] per campaign (id -> object)."""
    lines = [f"# The sample incident's campaigns in {title}: which object is which campaign, and where the",
             "# discount model is in its configuration (README, \"Your data\").", "",
             "[config_changes]",
             "# the pricing service logs the config's own `version` key as each payment's config_version",
             "version = { sql = \"json_extract_string(config_raw, '$.version')\" }", ""]
    for campaign_id, obj in objects.items():
        lines += ["[[campaigns]]",
                  f"campaign_id = {json.dumps(campaign_id)}",
                  f"object = {json.dumps(obj)}",
                  'discount_type = { key = "discount.type", map = { FIXED = "fixed", PERCENT = "percent", NONE = "none" } }',
                  'discount_value = { key = "discount.value" }',
                  'max_discount = { key = "discount.cap" }',
                  'min_amount = { key = "discount.min_amount" }',
                  'scenes = { key = "discount.scenes", split = "," }',
                  'enabled = { key = "enabled" }', ""]
    return "\n".join(lines)
