"""The canonical sample's config changes as feature-flag tools hold them, for the flag-log writers
(unleash.py, launchdarkly.py, flagsmith.py).

A team that keeps a campaign's discount config on a flag stores it as the flag's value: here a
flat map of text values under dotted keys (`discount.type = "FIXED"`, `discount.scenes =
"shopping,food_delivery"`, as the fixtures under tests/fixtures/formats/ do), or a nested JSON
document (`{"discount": {"type": "fixed", ...}}`). The mapping file each writer writes says where
the discount model's fields are (README, "Your data").
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from analyzer.sample_formats import Writer, Written, register


@dataclass(frozen=True)
class Change:
    """One change of the canonical sample (config_changes.jsonl)."""

    change_id: str
    ts_ms: int
    campaign_id: str
    actor: str
    approver: str | None
    ticket: str
    action: str
    version: str
    config: dict[str, Any]

    @property
    def flag_key(self) -> str:
        """The flag a team would name after the campaign: CMP-NY-INSTANT -> cmp-ny-instant."""
        return self.campaign_id.lower()


def canonical_changes(sample_dir: Path) -> list[Change]:
    """The sample's config changes, oldest first."""
    changes = []
    for line in (Path(sample_dir) / "config_changes.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        changes.append(Change(doc["change_id"], _epoch_ms(doc["ts"]), doc["campaign_id"], doc["actor"],
                              doc.get("approver"), doc.get("ticket") or "", doc["action"], doc["version"],
                              doc["config"]))
    return sorted(changes, key=lambda c: (c.ts_ms, c.change_id))


def previous_configs(changes: list[Change]) -> dict[str, dict[str, Any] | None]:
    """change_id -> the config of the same campaign just before it (None for its first)."""
    last: dict[str, dict[str, Any]] = {}
    out: dict[str, dict[str, Any] | None] = {}
    for change in changes:
        out[change.change_id] = last.get(change.campaign_id)
        last[change.campaign_id] = change.config
    return out


def _epoch_ms(text: str) -> int:
    """`2025-01-16T06:40:00.000Z` -> epoch milliseconds (the sample writes UTC with milliseconds)."""
    head, _, frac = text.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S")) * 1000 + int((frac or "0")[:3].ljust(3, "0"))


def iso_utc(ms: int, digits: int = 3) -> str:
    """Epoch milliseconds as `2025-01-16T06:40:00.000Z` (`digits` = 6: microseconds)."""
    sec, milli = divmod(ms, 1000)
    frac = f"{milli:03d}" + "0" * (digits - 3)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{frac}Z"


def _text(value: Any) -> str:
    """A canonical number or decimal string as the text a console keeps ("" for none)."""
    if value is None:
        return ""
    return format(Decimal(str(value)), "f")


def flat_config(config: dict[str, Any]) -> dict[str, str]:
    """The config as a flat map of text values under dotted keys (the fixtures' layout)."""
    return {
        "discount.type": str(config["discount_type"]).upper(),
        "discount.value": _text(config.get("discount_value")),
        "discount.cap": _text(config.get("max_discount")),
        "discount.min_amount": _text(config.get("min_amount")),
        "discount.scenes": ",".join(config.get("scenes") or ["*"]),
        "enabled": "true" if config.get("enabled", True) else "false",
    }


def nested_config(config: dict[str, Any]) -> dict[str, Any]:
    """The config as a nested JSON document, money as the sample wrote it (numbers or strings)."""
    return {
        "discount": {
            "type": config["discount_type"],
            "value": config.get("discount_value"),
            "cap": config.get("max_discount"),
            "min_amount": config.get("min_amount"),
            "scenes": list(config.get("scenes") or ["*"]),
        },
        "enabled": bool(config.get("enabled", True)),
    }


FLAT_FIELDS = """discount_type = { key = "discount.type", map = { NONE = "none", FIXED = "fixed", PERCENT = "percent" } }
discount_value = { key = "discount.value" }
max_discount = { key = "discount.cap" }
min_amount = { key = "discount.min_amount" }
scenes = { key = "discount.scenes", split = "," }
enabled = { key = "enabled" }
"""

NESTED_FIELDS = """discount_type = { path = "discount.type" }
discount_value = { path = "discount.value" }
max_discount = { path = "discount.cap" }
min_amount = { path = "discount.min_amount" }
scenes = { path = "discount.scenes" }
enabled = { path = "enabled" }
"""


def write_mapping(path: Path, header: str, objects: dict[str, str], fields: str) -> Path:
    """A mapping file with one [[campaigns]] per campaign (campaign_id -> its object)."""
    parts = [header.rstrip() + "\n"]
    for campaign_id, obj in sorted(objects.items()):
        parts.append(f'\n[[campaigns]]\ncampaign_id = "{campaign_id}"\nobject = "{obj}"\n{fields}')
    path.write_text("".join(parts), encoding="utf-8")
    return path



Records = tuple[list[Any], dict[str, str]]  # the tool's records, and canonical change_id -> the id the reader gives


@dataclass(frozen=True)
class FlagLog:
    """One flag tool's writer: how it turns the sample's changes into its records, how it writes
    them to one file, and where each campaign sits in it (the mapping's `object`)."""

    name: str
    file_name: str
    records: Callable[[list[Change]], Records]
    dump: Callable[[list[Any]], str]
    header: str                          # the mapping file's comment
    object_of: Callable[[Change], str]
    fields: str                          # FLAT_FIELDS or NESTED_FIELDS

    def change_ids(self, sample_dir: Path) -> dict[str, str]:
        """Canonical change_id -> the change id the reader gives the record that makes it."""
        return self.records(canonical_changes(sample_dir))[1]

    def write(self, sample_dir: Path, out_dir: Path) -> Written:
        changes = canonical_changes(sample_dir)
        path = out_dir / self.file_name
        path.write_text(self.dump(self.records(changes)[0]), encoding="utf-8")
        mapping = write_mapping(out_dir / "mapping.toml", self.header,
                                {c.campaign_id: self.object_of(c) for c in changes}, self.fields)
        return Written(format=self.name, kind="config_changes", files=(path,), mapping=mapping)

    def register(self) -> Writer:
        return register(Writer(self.name, "config_changes", self.write))


def json_lines(records: list[Any], **how: Any) -> str:
    return "".join(json.dumps(r, **how) + "\n" for r in records)
