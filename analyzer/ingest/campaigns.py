"""Campaigns in config logs: which source object is which campaign, and where the discount model's
fields live in its raw configuration (the `[[campaigns]]` tables of the mapping file).

    [[campaigns]]
    campaign_id = "spring-instant-25"
    object = "marketing-promo/default/spring-instant-25"
    discount_type = { key = "discount.type", map = { FIXED = "fixed", PERCENT = "percent" } }
    discount_value = { key = "discount.value" }            # `scale = 100` reads 0.2 as 20 (percent)
    max_discount = { key = "discount.cap" }
    min_amount = { key = "discount.min_amount" }
    scenes = { key = "discount.scenes", split = "," }      # "a,b", or a JSON list
    enabled = { key = "enabled" }                           # true/false, "true"/"false", 1/0

`key` names an entry of a flat key -> value map exactly (Apollo namespaces, Nacos properties:
dots are part of the name); `path` is a dotted path into JSON; `const` is a value. An empty
string or a missing entry is null for the optional fields (max_discount, min_amount); a missing
required field (discount_type, discount_value) is an error naming it, and the change is
quarantined. Values are read exactly: JSON numbers as decimals, never floats.

Config logs are small (one row per change), so this runs in Python over the changes of mapped
objects only (loader.py); the payment files never pass through here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from analyzer.errors import InputError
from analyzer.ingest.mapping import CampaignSpec

MODEL_FIELDS = ("discount_type", "discount_value", "max_discount", "min_amount", "scenes", "enabled")
REQUIRED = ("discount_type", "discount_value")
FIELD_KEYS = {"key", "path", "const", "map", "split", "scale"}
TRUE = {"true", "1", "yes", "on", "enabled"}
FALSE = {"false", "0", "no", "off", "disabled"}
OFF = {"discount_type": "none", "discount_value": "0", "scenes": ["*"], "enabled": False}  # a flag that is off


class CampaignFieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def campaign_spec(entry: Any, where: str) -> CampaignSpec:
    if not isinstance(entry, dict) or "campaign_id" not in entry or "object" not in entry:
        raise InputError(f"{where}: every [[campaigns]] needs campaign_id and object")
    fields: dict[str, dict[str, Any]] = {}
    for name, spec in entry.items():
        if name in ("campaign_id", "object"):
            continue
        if name not in MODEL_FIELDS:
            raise InputError(f"{where}: [[campaigns]] {entry['campaign_id']}: unknown field {name!r} "
                             f"(expected {', '.join(MODEL_FIELDS)})")
        if isinstance(spec, str):
            spec = {"path": spec}
        if not isinstance(spec, dict) or set(spec) - FIELD_KEYS or len({"key", "path", "const"} & set(spec)) != 1:
            raise InputError(f"{where}: [[campaigns]] {entry['campaign_id']}.{name}: give one of key, path, const "
                             f"(and optionally map, split, scale)")
        fields[name] = spec
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise InputError(f"{where}: [[campaigns]] {entry['campaign_id']}: no {', '.join(missing)}")
    return CampaignSpec(str(entry["campaign_id"]), str(entry["object"]), fields)


def parse_raw(raw: str | None) -> Any:
    """A raw configuration (JSON text) with numbers as exact decimals."""
    if raw is None:
        return None
    return json.loads(raw, parse_float=Decimal, parse_int=Decimal)


def _lookup(doc: Any, spec: Mapping[str, Any]) -> Any:
    if "const" in spec:
        return spec["const"]
    if not isinstance(doc, dict):
        return None
    if "key" in spec:
        return doc.get(spec["key"])
    node = doc
    for part in str(spec["path"]).split("."):
        if isinstance(node, str):  # a JSON document stored as a string value: decode and go on
            try:
                node = parse_raw(node)
            except ValueError:
                return None
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool):
        raise CampaignFieldError(name, f"{name}: expected a number, got {value!r}")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise CampaignFieldError(name, f"{name}: not a number: {value!r}") from exc


def _value(doc: Any, name: str, spec: Mapping[str, Any]) -> Any:
    value = _lookup(doc, spec)
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            value = None
    if value is not None and spec.get("map"):
        value = spec["map"].get(str(value), value)
    return value


def model_config(spec: CampaignSpec, raw: str | None, flag_on: bool | None = None) -> dict[str, Any]:
    """The discount model (DESIGN.md) of one raw configuration, as the canonical config JSON
    document (money and percentages as decimal strings). Raises CampaignFieldError.

    `flag_on` is the flag's own on/off state in its environment, where a feature-flag log says
    it (readers/flag_log.py; None: not known). A flag that is off serves no discount whatever its
    value says: the model is disabled, and a value without the model's fields (a flag created
    empty, or deleted) is then no error."""
    if flag_on is False:
        try:
            off = model_config(spec, raw)
        except CampaignFieldError:
            return dict(OFF)
        return {**off, "enabled": False}
    try:
        doc = parse_raw(raw)
    except ValueError as exc:
        raise CampaignFieldError("config_raw", f"the raw configuration is not JSON: {exc}") from exc
    if doc is None:
        raise CampaignFieldError("config_raw", "no configuration after this change")
    out: dict[str, Any] = {}
    for name in MODEL_FIELDS:
        field_spec = spec.fields.get(name)
        value = None if field_spec is None else _value(doc, name, field_spec)
        if value is None:
            if name in REQUIRED:
                where = field_spec.get("key") or field_spec.get("path")
                raise CampaignFieldError(name, f"{name}: the raw configuration has no {where!r}")
            continue
        if name == "discount_type":
            out[name] = str(value).strip().lower()
        elif name in ("discount_value", "max_discount", "min_amount"):
            number = _decimal(value, name) * _decimal(field_spec.get("scale", 1), name)
            out[name] = format(number.normalize() if number == number.to_integral() else number, "f")
        elif name == "scenes":
            if isinstance(value, list):
                scenes = [str(s).strip() for s in value]
            elif field_spec.get("split") is not None:
                scenes = [s.strip() for s in str(value).split(field_spec["split"])]
            else:
                scenes = [str(value).strip()]
            out[name] = [s for s in scenes if s] or ["*"]
        elif name == "enabled":
            text = str(value).strip().lower()
            if isinstance(value, bool):
                out[name] = value
            elif text in TRUE or text in FALSE:
                out[name] = text in TRUE
            else:
                raise CampaignFieldError(name, f"enabled: not true or false: {value!r}")
    return out


def by_object(specs: tuple[CampaignSpec, ...]) -> dict[str, CampaignSpec]:
    found: dict[str, CampaignSpec] = {}
    for spec in specs:
        if spec.object in found:
            raise InputError(f"[[campaigns]]: object {spec.object!r} is mapped twice "
                             f"({found[spec.object].campaign_id}, {spec.campaign_id})")
        found[spec.object] = spec
    return found
