"""What each kind of input is: canonical columns, the required ones, the key, the target table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    columns: tuple[str, ...]      # canonical input columns, in table order
    required: tuple[str, ...]     # a file without one of these columns is an input error
    key: str                      # one row per key; same key + other content = conflict
    stage_sql: str                # analyzer/sql/<stage_sql>.sql parses and validates a file
    content: tuple[str, ...]      # the columns compared to tell a duplicate from a conflict


TRANSACTIONS = Kind(
    name="transactions",
    table="transactions",
    columns=("txn_id", "ts", "user_id", "merchant_id", "scene", "amount", "discount", "paid",
             "campaign_id", "config_version", "type", "original_txn_id"),
    required=("txn_id", "ts", "user_id", "amount", "discount"),
    key="txn_id",
    stage_sql="stage_transactions",
    content=("ts", "user_id", "merchant_id", "scene", "amount", "discount", "paid",
             "campaign_id", "config_version", "type", "original_txn_id"),
)

CONFIG_CHANGES = Kind(
    name="config_changes",
    table="config_changes",
    columns=("change_id", "ts", "campaign_id", "actor", "approver", "ticket", "action",
             "version", "config"),
    required=("change_id", "ts", "campaign_id", "version", "config"),
    key="change_id",
    stage_sql="stage_config_changes",
    content=("ts", "campaign_id", "actor", "approver", "ticket", "action", "version",
             "discount_type", "discount_value", "max_discount", "min_amount", "scenes", "enabled"),
)

EVENTS = Kind(
    name="events",
    table="events",
    columns=("ts", "source", "kind", "title", "detail", "severity"),
    required=("ts",),
    key="event_id",
    stage_sql="stage_events",
    content=("ts", "source", "kind", "title", "detail", "severity"),
)

KINDS = {k.name: k for k in (TRANSACTIONS, CONFIG_CHANGES, EVENTS)}
