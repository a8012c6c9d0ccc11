"""Two analyses of one database side by side (`analyzer compare --db FILE A B`): what each named
as bad and fix change, their windows and totals, and the users affected in one and not the other.
Compute here; the CLI prints `lines()` or `as_json()`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzer.analysis import labels
from analyzer.analysis.summary import to_json_value
from analyzer.db import Database
from analyzer.formatting import count, money
from analyzer.sql import quote_ident

FIELDS = ("bad_change_id", "fix_change_id", "campaigns", "currency", "config_window_start", "config_window_end",
          "first_affected_at", "last_affected_at", "affected_txns", "affected_users", "affected_merchants",
          "excess_total", "net_excess_total", "exploiters", "lagged_payments", "unexplained_payments",
          "lag_tolerance_ms", "analyzed_at")
SAMPLE_USERS = 10


@dataclass(frozen=True)
class Comparison:
    first: str
    second: str
    rows: tuple[tuple[str, Any, Any], ...]        # (field, first, second), every field
    only_first: int
    only_second: int
    sample_first: tuple[str, ...]                  # pseudonyms of users only in the first
    sample_second: tuple[str, ...]

    @property
    def differences(self) -> tuple[tuple[str, Any, Any], ...]:
        return tuple(r for r in self.rows if r[1] != r[2])

    def lines(self) -> list[str]:
        width = max(len(f) for f, *_ in self.rows)
        out = [f"{'':<{width}}  {self.first}  |  {self.second}"]
        for field, a, b in self.rows:
            mark = " " if a == b else "*"
            out.append(f"{mark}{field:<{width}}  {_shown(field, a)}  |  {_shown(field, b)}")
        out.append(f"users affected only in {self.first}: {count(self.only_first)}"
                   + (f" (e.g. {', '.join(self.sample_first)})" if self.sample_first else ""))
        out.append(f"users affected only in {self.second}: {count(self.only_second)}"
                   + (f" (e.g. {', '.join(self.sample_second)})" if self.sample_second else ""))
        out.append(f"{len(self.differences)} of {len(self.rows)} figures differ (marked *); user ids are pseudonyms")
        return out

    def as_json(self) -> dict[str, Any]:
        return {"first": self.first, "second": self.second,
                "figures": {f: {"first": to_json_value(a), "second": to_json_value(b), "same": a == b}
                            for f, a, b in self.rows},
                "users_only_in_first": self.only_first, "users_only_in_second": self.only_second}


def _shown(field: str, value: Any) -> str:
    if field.endswith("_total"):
        return money(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return count(value)
    return "-" if value is None else str(to_json_value(value))


def compare(db: Database, first: str, second: str) -> Comparison:
    a, b = labels.schema(first), labels.schema(second)
    for label in (first, second):
        labels.use(db, label)  # an unknown label: an error listing the known ones
    labels.use(db, first)
    cols = ", ".join(FIELDS)
    row_a = db.dicts(f"SELECT {cols} FROM {quote_ident(a)}.incident_summary")[0]
    row_b = db.dicts(f"SELECT {cols} FROM {quote_ident(b)}.incident_summary")[0]
    only = {}
    for name, this, other in (("first", a, b), ("second", b, a)):
        query = (f"SELECT user_id FROM {quote_ident(this)}.affected_users EXCEPT "
                 f"SELECT user_id FROM {quote_ident(other)}.affected_users")
        n = db.scalar(f"SELECT count(*) FROM ({query})")
        sample = [r[0] for r in db.rows(f"SELECT pseudonym(user_id) AS u FROM ({query}) ORDER BY u LIMIT {SAMPLE_USERS}")]
        only[name] = (n, tuple(sample))
    return Comparison(first, second, tuple((f, row_a[f], row_b[f]) for f in FIELDS),
                      only["first"][0], only["second"][0], only["first"][1], only["second"][1])
