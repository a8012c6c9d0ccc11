"""What each kind of input is: canonical columns, the required ones, the key, the target table,
and which columns hold money and instants (validated the same way whatever the reader)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    columns: tuple[str, ...]      # canonical input columns, in table order
    required: tuple[str, ...]     # a file without one of these columns is an input error
    key: str                      # one row per key; same key + other content = conflict
    stage_sql: str                # analyzer/sql/ingest/<stage_sql>.sql parses and validates a file
    content: tuple[str, ...]      # the columns compared to tell a duplicate from a conflict
    money: tuple[str, ...] = ()   # exact cent amounts: text, DECIMAL or integers, never floats
    instants: tuple[str, ...] = ("ts",)
    signature: tuple[str, ...] = ()  # columns that, present together, say a file is of this kind


TRANSACTIONS = Kind(
    name="transactions",
    table="transactions",
    columns=("txn_id", "ts", "user_id", "merchant_id", "scene", "amount", "discount", "paid",
             "campaign_id", "config_version", "type", "original_txn_id", "merchant_discount", "currency"),
    required=("txn_id", "ts", "user_id", "amount", "discount"),
    key="txn_id",
    stage_sql="stage_transactions",
    content=("ts", "user_id", "merchant_id", "scene", "amount", "discount", "paid",
             "campaign_id", "config_version", "type", "original_txn_id", "merchant_discount", "currency"),
    money=("amount", "discount", "paid", "merchant_discount"),
    signature=("txn_id", "amount", "discount"),
)

CONFIG_CHANGES = Kind(
    name="config_changes",
    table="config_changes",
    columns=("change_id", "ts", "campaign_id", "actor", "approver", "ticket", "action",
             "version", "config", "object", "config_raw", "previous_raw", "source_format", "seq"),
    required=("change_id", "ts", "version"),
    key="change_id",
    stage_sql="stage_config_changes",
    content=("ts", "campaign_id", "actor", "approver", "ticket", "action", "version",
             "discount_type", "discount_value", "max_discount", "min_amount", "scenes", "enabled",
             "object", "config_raw", "previous_raw"),
    signature=("change_id", "version"),
)

EVENTS = Kind(
    name="events",
    table="events",
    columns=("ts", "source", "kind", "title", "detail", "severity", "user_id", "ref"),
    required=("ts",),
    key="event_id",
    stage_sql="stage_events",
    content=("ts", "source", "kind", "title", "detail", "severity", "user_id", "ref"),
    signature=("ts", "kind", "title"),
)

KINDS = {k.name: k for k in (TRANSACTIONS, CONFIG_CHANGES, EVENTS)}
