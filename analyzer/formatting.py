"""How numbers and instants are shown to people (reports, dashboard, CLI).

Money stays Decimal and is formatted, never converted to float. Instants are UTC inside
and shown in the incident's zone (or UTC), with the offset, to the millisecond.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo


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


def duration(seconds: float | None) -> str:
    """299.909 -> '4m 59.9s'; 3725 -> '1h 2m 5.0s'."""
    if seconds is None:
        return "-"
    neg = seconds < 0
    s = abs(float(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    parts = []
    if h:
        parts.append(f"{int(h)}h")
    if h or m:
        parts.append(f"{int(m)}m")
    parts.append(f"{sec:.1f}s")
    return ("-" if neg else "") + " ".join(parts)


def count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"
