"""How numbers and instants are shown to people (reports, dashboard, CLI).

Money stays Decimal and is formatted, never converted to float. Instants are UTC inside
and shown in the incident's zone (or UTC), with the offset, to the millisecond.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl


def money(value: Decimal | str | None, *, sign: bool = False) -> str:
    """4761914.07 -> '4,761,914.07' (exact; '-' for None)."""
    if value is None:
        return "-"
    d = Decimal(value)
    return f"{d:+,.2f}" if sign else f"{d:,.2f}"


def instant(value: datetime | str | None, tz: str = "UTC", *, millis: bool = True) -> str:
    """An instant in `tz`, e.g. '2025-01-16 14:40:00.091 +08:00'."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("naive datetime: instants must carry their zone")
    local = value.astimezone(ZoneInfo(tz))
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    if millis:
        text += f".{local.microsecond // 1000:03d}"
    offset = local.strftime("%z")
    return f"{text} {offset[:3]}:{offset[3:]}"


def _tenths(seconds: float) -> int:
    """Seconds (millisecond precision) as whole tenths, half away from zero, in integers, so the
    Python text and the polars expression below agree on every value."""
    ms = abs(round(float(seconds) * 1000))
    return (ms + 50) // 100


def duration(seconds: float | None) -> str:
    """299.909 -> '4m 59.9s'; 3725 -> '1h 2m 5.0s'."""
    if seconds is None:
        return "-"
    tenths = _tenths(seconds)
    h, rem = divmod(tenths, 36_000)
    m, t = divmod(rem, 600)
    parts = []
    if h:
        parts.append(f"{h}h")
    if h or m:
        parts.append(f"{m}m")
    parts.append(f"{t // 10}.{t % 10}s")
    return ("-" if seconds < 0 and tenths else "") + " ".join(parts)


def count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


# --- the same as polars expressions (the dashboard's tables) --------------------------------------
# Native expressions only: a Python callback inside an expression (map_elements) holds polars
# worker threads on the GIL, and with two sessions drawing tables at once that deadlocked the
# dashboard.
def _thousands(digits: pl.Expr) -> pl.Expr:
    """'4761914' -> '4,761,914': groups of three from the right, by reversing the digits."""
    return digits.str.reverse().str.replace_all(r"(\d{3})", "${1},").str.strip_chars_end(",").str.reverse()


def money_expr(column: str) -> pl.Expr:
    """A DECIMAL(18,2) column as `money()` shows it ('4,761,914.07'; null stays null)."""
    text = pl.col(column).cast(pl.String)
    negative = text.str.starts_with("-")
    digits = text.str.strip_prefix("-")
    whole = digits.str.split_exact(".", 1).struct.field("field_0")
    cents = digits.str.split_exact(".", 1).struct.field("field_1")
    return (pl.when(negative).then(pl.lit("-")).otherwise(pl.lit(""))
            + _thousands(whole) + pl.lit(".") + cents).alias(column)


def duration_expr(column: str) -> pl.Expr:
    """A column of seconds as `duration()` shows it ('4m 59.9s'; null stays null)."""
    seconds = pl.col(column).cast(pl.Float64)
    tenths = ((seconds * 1000).round(0).abs().cast(pl.Int64) + 50) // 100
    h, m, t = tenths // 36_000, (tenths % 36_000) // 600, tenths % 600
    sign = pl.when((seconds < 0) & (tenths > 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    hours = pl.when(h > 0).then(h.cast(pl.String) + pl.lit("h ")).otherwise(pl.lit(""))
    minutes = pl.when((h > 0) | (m > 0)).then(m.cast(pl.String) + pl.lit("m ")).otherwise(pl.lit(""))
    secs = (t // 10).cast(pl.String) + pl.lit(".") + (t % 10).cast(pl.String) + pl.lit("s")
    return pl.when(seconds.is_null()).then(None).otherwise(sign + hours + minutes + secs).alias(column)


def compact_money(value: Decimal | str | None) -> str:
    """A headline amount short enough for a metric card: 4761914.07 -> '4.76M', 24178.50 ->
    '24.2K'; below 10,000 exact ('9,345.67'). The exact figure goes beside it (hover, tables)."""
    if value is None:
        return "-"
    d = Decimal(value)
    for limit, suffix, places in ((Decimal(10) ** 9, "B", "0.01"), (Decimal(10) ** 6, "M", "0.01"),
                                  (Decimal(10) ** 4, "K", "0.1")):
        if abs(d) >= limit:
            scale = Decimal(1000) if suffix == "K" else limit
            return f"{(d / scale).quantize(Decimal(places), rounding='ROUND_HALF_UP')}{suffix}"
    return money(d)


def compact_duration(seconds: float | None) -> str:
    """A duration short enough for a metric card (a 1024 px screen fits about five characters):
    '27.2s' below a minute, then minutes to a tenth ('5.4m'), then hours ('1.1h'). The exact
    duration goes beside it."""
    if seconds is None:
        return "-"
    tenths = _tenths(seconds)
    sign = "-" if seconds < 0 and tenths else ""
    if tenths < 600:
        return f"{sign}{tenths // 10}.{tenths % 10}s"
    unit, size = ("h", 36_000) if tenths >= 36_000 else ("m", 600)
    scaled = (tenths * 10 + size // 2) // size  # tenths of the unit, half up, in integers
    return f"{sign}{scaled // 10}.{scaled % 10}{unit}"
