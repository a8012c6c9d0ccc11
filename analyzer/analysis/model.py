"""The discount model of DESIGN.md, in Python.

`apply()` is the reference for what a campaign config gives a payment. The SQL
pipeline implements the same rule (the apply_discount macro, analyzer/sql/analysis/macros.sql); the sample
generator and the property tests use this one, so the two are checked against
each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
ALL_SCENES = "*"
DISCOUNT_TYPES = ("none", "fixed", "percent")


class ConfigError(ValueError):
    """A config document that cannot be read exactly."""


def round_cents(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero (ROUND_HALF_UP in `decimal` is away from zero)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{field}: expected a number, got {value!r}")
    try:
        # str() first: a float from a careless producer is read as its shortest repr,
        # never as its binary expansion.
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ConfigError(f"{field}: not a number: {value!r}") from exc


@dataclass(frozen=True)
class DiscountConfig:
    """One version of a campaign's config (the fields of DESIGN.md)."""

    discount_type: str = "none"
    discount_value: Decimal = Decimal(0)
    max_discount: Decimal | None = None
    min_amount: Decimal | None = None
    scenes: tuple[str, ...] = (ALL_SCENES,)
    enabled: bool = True

    @classmethod
    def from_json(cls, doc: str | dict[str, Any]) -> DiscountConfig:
        """Read a config exactly: JSON numbers and decimal strings both become Decimal."""
        if isinstance(doc, str):
            try:
                doc = json.loads(doc, parse_float=Decimal, parse_int=Decimal)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"config is not valid JSON: {exc.msg}") from exc
        if not isinstance(doc, dict):
            raise ConfigError("config must be a JSON object")
        dtype = str(doc.get("discount_type") or "none").lower()
        if dtype not in DISCOUNT_TYPES:
            raise ConfigError(f"discount_type: unknown type {dtype!r}")
        scenes = doc.get("scenes")
        if scenes is None:
            scenes = [ALL_SCENES]
        if isinstance(scenes, str):
            scenes = [scenes]
        enabled = doc.get("enabled", True)
        if isinstance(enabled, str):
            enabled = enabled.strip().lower() in ("true", "1", "yes")
        return cls(
            discount_type=dtype,
            discount_value=_decimal(doc.get("discount_value"), "discount_value") or Decimal(0),
            max_discount=_decimal(doc.get("max_discount"), "max_discount"),
            min_amount=_decimal(doc.get("min_amount"), "min_amount"),
            scenes=tuple(str(s) for s in scenes),
            enabled=bool(enabled),
        )

    def to_json(self) -> str:
        """Canonical JSON with money as decimal strings (what the sample writes)."""
        return json.dumps(
            {
                "discount_type": self.discount_type,
                "discount_value": str(self.discount_value),
                "max_discount": None if self.max_discount is None else str(self.max_discount),
                "min_amount": None if self.min_amount is None else str(self.min_amount),
                "scenes": list(self.scenes),
                "enabled": self.enabled,
            },
            sort_keys=True,
        )

    def eligible(self, scene: str | None) -> bool:
        return ALL_SCENES in self.scenes or (scene is not None and scene in self.scenes)


def apply(config: DiscountConfig, amount: Decimal, scene: str | None) -> Decimal:
    """The discount `config` gives a payment of `amount` in `scene` (DESIGN.md, the model).

    0 when disabled, the scene is not eligible or amount < min_amount; fixed: min(value,
    amount); percent: round(amount * value / 100) half away from zero, capped by
    max_discount; never more than amount.
    """
    if not config.enabled or config.discount_type == "none" or not config.eligible(scene):
        return Decimal("0.00")
    if config.min_amount is not None and amount < config.min_amount:
        return Decimal("0.00")
    if config.discount_type == "fixed":
        discount = config.discount_value
    else:
        discount = round_cents(amount * config.discount_value / 100)
        if config.max_discount is not None:
            discount = min(discount, config.max_discount)
    return round_cents(max(Decimal(0), min(discount, amount)))
