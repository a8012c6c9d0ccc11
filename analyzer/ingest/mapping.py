"""The mapping file (`--mapping FILE.toml`): how the user's columns become the canonical ones, and
which config-log objects are campaigns.

Per kind (`[transactions]`, `[config_changes]`, `[events]`), a canonical field is one of:

    txn_id = "order_no"                          a column (or a dotted path into nested JSON /
                                                 a Parquet struct: "order.id")
    ts = { path = "pay_time_ms", epoch = "ms" }  epoch seconds / ms / us (integers, exact)
    ts = { path = "pay_time", format = "%Y/%m/%d %H:%M:%S", tz = "Asia/Shanghai" }
    amount = { path = "amount_fen", unit = "cent" }   integer minor units: 12345 -> 123.45
    scene = { path = "biz", map = { TRANSFER = "transfer" } }   a value map (others pass unchanged)
    type = { const = "payment" }                 a constant
    paid = { sql = "order_amount - coupon" }     a SQL expression over the file's columns

`column` is a synonym of `path`. Top level: `tz = "Asia/Shanghai"` (the zone of naive
timestamps of every field without its own `tz`; `--tz` still wins), `currency = "CNY"`.

`[[campaigns]]` tables say which config-log object is which campaign and where the discount
model's fields are in its raw config (analyzer/ingest/campaigns.py).

Fields compile to SQL expressions over the reader's source relation (`Access` says how a path
is read: a CSV column, a JSON path, a Parquet column or struct field). Values from the file are
never spliced into SQL; the mapping's own constants and maps are the user's configuration and
go in as quoted literals.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analyzer.errors import InputError
from analyzer.ingest.kinds import KINDS
from analyzer.sql import quote_literal

EPOCH_FACTORS = {"s": 1_000_000, "ms": 1_000, "us": 1}
UNITS = {"cent": 2, "fen": 2, "yuan": 0, "unit": 0}
SPEC_KEYS = {"path", "column", "const", "map", "unit", "epoch", "format", "tz", "sql"}
ISO_UTC = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class FieldSpec:
    """How one canonical field is read from the source."""

    path: str | None = None
    const: str | None = None
    value_map: tuple[tuple[str, str], ...] = ()
    unit: str | None = None
    epoch: str | None = None
    format: str | None = None
    tz: str | None = None
    sql: str | None = None

    @property
    def plain(self) -> bool:
        """Just a renamed column: a typed source keeps its type (no text on the way)."""
        return self.path is not None and not (self.value_map or self.unit or self.epoch or self.format or self.tz)


@dataclass(frozen=True)
class CampaignSpec:
    campaign_id: str
    object: str
    fields: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Mapping_:
    fields: Mapping[str, Mapping[str, FieldSpec]] = field(default_factory=dict)  # kind -> field -> spec
    campaigns: tuple[CampaignSpec, ...] = ()
    tz: str | None = None
    currency: str | None = None
    source: str | None = None

    def for_kind(self, kind: str) -> Mapping[str, FieldSpec]:
        return self.fields.get(kind, {})


EMPTY = Mapping_()


def _zone(tz: str, where: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"{where}: {tz!r} is not a known time zone") from exc
    return tz


def _spec(kind: str, name: str, value: Any, where: str) -> FieldSpec:
    if isinstance(value, str):
        return FieldSpec(path=value)
    if not isinstance(value, dict):
        raise InputError(f"{where}: [{kind}] {name} must be a column name or a table")
    unknown = set(value) - SPEC_KEYS
    if unknown:
        raise InputError(f"{where}: [{kind}] {name}: unknown key(s) {', '.join(sorted(unknown))} "
                         f"(expected {', '.join(sorted(SPEC_KEYS))})")
    path = value.get("path", value.get("column"))
    sources = [k for k in ("const", "sql") if k in value] + (["path"] if path is not None else [])
    if len(sources) != 1:
        raise InputError(f"{where}: [{kind}] {name} needs exactly one of path/column, const, sql")
    epoch, unit = value.get("epoch"), value.get("unit")
    if epoch is not None and epoch not in EPOCH_FACTORS:
        raise InputError(f"{where}: [{kind}] {name}: epoch must be one of {', '.join(EPOCH_FACTORS)}")
    if unit is not None and unit not in UNITS:
        raise InputError(f"{where}: [{kind}] {name}: unit must be one of {', '.join(UNITS)}")
    value_map = value.get("map") or {}
    if not isinstance(value_map, dict):
        raise InputError(f"{where}: [{kind}] {name}: map must be a table of value = value")
    tz = value.get("tz")
    return FieldSpec(path=path, const=None if value.get("const") is None else str(value["const"]),
                     value_map=tuple((str(k), str(v)) for k, v in value_map.items()), unit=unit, epoch=epoch,
                     format=value.get("format"), tz=_zone(tz, where) if tz else None, sql=value.get("sql"))


def load_mapping(path: str | Path | None) -> Mapping_:
    """Read and check a mapping file (an InputError names the file and the key that is wrong)."""
    if path is None:
        return EMPTY
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise InputError("mapping file not found", path=where)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a valid TOML mapping: {exc}", path=where) from exc
    fields: dict[str, dict[str, FieldSpec]] = {}
    campaigns: list[CampaignSpec] = []
    tz = currency = source = None
    for key, table in doc.items():
        if key == "campaigns":
            from analyzer.ingest.campaigns import campaign_spec

            if not isinstance(table, list):
                raise InputError(f"{where}: campaigns must be an array of tables [[campaigns]]")
            campaigns.extend(campaign_spec(entry, where) for entry in table)
        elif key == "tz":
            tz = _zone(str(table), where)
        elif key == "currency":
            currency = str(table).upper()
        elif key == "format":
            source = str(table)
        elif key in KINDS:
            if not isinstance(table, dict):
                raise InputError(f"{where}: [{key}] must be a table")
            kind = KINDS[key]
            for canonical, value in table.items():
                if canonical not in kind.columns:
                    raise InputError(f"{where}: [{key}] has no canonical column {canonical!r} "
                                     f"(columns: {', '.join(kind.columns)})")
                fields.setdefault(key, {})[canonical] = _spec(key, canonical, value, where)
        else:
            raise InputError(f"{where}: unknown section [{key}] (expected {', '.join(KINDS)}, "
                             "[[campaigns]], tz, currency, format)")
    return Mapping_(fields=fields, campaigns=tuple(campaigns), tz=tz, currency=currency, source=source)


# --- compiling a field to SQL -----------------------------------------------------------------
Access = Callable[[str], str]  # a source path -> the SQL reading it as text (or typed, for Parquet)


def _mapped(expr: str, value_map: tuple[tuple[str, str], ...]) -> str:
    if not value_map:
        return expr
    cases = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}" for k, v in value_map)
    return f"(CASE trim(CAST({expr} AS VARCHAR)) {cases} ELSE {expr} END)"


def _as_iso(ts_expr: str) -> str:
    """A TIMESTAMPTZ as ISO text in UTC (the canonical text form of an instant), whatever the
    session's zone."""
    return f"strftime(timezone('UTC', {ts_expr}), {quote_literal(ISO_UTC)})"


def field_sql(spec: FieldSpec, access: Access, *, default_tz: str | None) -> str:
    """The SQL of one mapped field. Transformed values come out as text, so that a value that
    does not transform is still present (and rejected with its reason, not taken as missing)."""
    if spec.const is not None:
        return quote_literal(spec.const)
    base = f"({spec.sql})" if spec.sql is not None else access(spec.path or "")
    if spec.plain:
        return base
    text = f"trim(CAST({base} AS VARCHAR))"
    expr = _mapped(text, spec.value_map) if spec.value_map else text
    if spec.unit is not None:
        places = UNITS[spec.unit]
        if places:
            # whole minor units only: 12345 -> '123.45'; anything else stays as it is and is rejected
            expr = (f"(CASE WHEN regexp_full_match({expr}, '[+-]?[0-9]+') THEN "
                    f"CAST(CAST(CAST({expr} AS DECIMAL(38,0)) * {10 ** -places:.{places}f} AS DECIMAL(38,{places})) "
                    f"AS VARCHAR) ELSE 'not whole {spec.unit}s: ' || {expr} END)")
    if spec.epoch is not None:
        factor = EPOCH_FACTORS[spec.epoch]
        # make_timestamp(us) is the naive UTC wall clock: formatted as it is, with its Z
        expr = (f"(CASE WHEN regexp_full_match({expr}, '[0-9]{{1,19}}') THEN "
                f"strftime(make_timestamp(CAST({expr} AS BIGINT) * {factor}), {quote_literal(ISO_UTC)}) "
                f"ELSE {expr} END)")
    elif spec.format is not None:
        parsed = f"try_strptime({expr}, {quote_literal(spec.format)})"
        zone = spec.tz or default_tz
        instant = f"timezone({quote_literal(zone)}, {parsed})" if zone else None
        if instant is None:  # a format without a zone: the text it gives is naive (needs --tz)
            expr = f"coalesce(strftime({parsed}, '%Y-%m-%dT%H:%M:%S.%f'), {expr})"
        else:
            expr = f"coalesce({_as_iso(instant)}, {expr})"
    elif spec.tz is not None:
        # a naive text read in the field's own zone; a text with an offset is taken as it is
        naive = f"NOT regexp_matches({expr}, '([zZ]|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$')"
        instant = f"timezone({quote_literal(spec.tz)}, TRY_CAST({expr} AS TIMESTAMP))"
        expr = f"(CASE WHEN {naive} THEN coalesce({_as_iso(instant)}, {expr}) ELSE {expr} END)"
    return expr
