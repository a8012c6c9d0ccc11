"""The mapping file on a warehouse export: nested records, integer cents, epoch milliseconds,
value maps, a currency, a per-field zone and a SQL expression. The README's worked example is
taken from the README itself, so the documentation is the mapping that is tested."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from analyzer.db import Database
from analyzer.errors import InputError
from analyzer.ingest import ingest
from analyzer.ingest.mapping import load_mapping
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
WAREHOUSE = re.search(r"```toml\n# warehouse.toml\n(.*?)```", README, re.S).group(1)

RECORDS = [
    {"order": {"id": "O1", "amount_fen": 12345}, "pay_time_ms": 1737009605465, "payer": {"uid": "U1"},
     "payee": {"mid": "M1"}, "promo": {"discount_fen": 2469, "campaign": "CMP", "config_version": "v2"},
     "biz_scene": "TRANSFER", "kind": "PAY", "refund_of": None},
    {"order": {"id": "R1", "amount_fen": 9876}, "pay_time_ms": 1737036000000, "payer": {"uid": "U1"},
     "payee": {"mid": "M1"}, "promo": {"discount_fen": 0, "campaign": None, "config_version": None},
     "biz_scene": "TRANSFER", "kind": "REFUND", "refund_of": "O1"},
    {"order": {"id": "O2", "amount_fen": "12.5"}, "pay_time_ms": 1737009606000, "payer": {"uid": "U2"},
     "payee": {"mid": "M2"}, "promo": {"discount_fen": 0, "campaign": "CMP", "config_version": "v2"},
     "biz_scene": "SHOPPING", "kind": "PAY", "refund_of": None},
    {"order": {"id": "O3", "amount_fen": 500}, "pay_time_ms": "yesterday", "payer": {"uid": "U3"},
     "payee": {"mid": "M2"}, "promo": {"discount_fen": 0, "campaign": "CMP", "config_version": "v2"},
     "biz_scene": "CC_REPAY", "kind": "PAY", "refund_of": None},
]


def test_the_readmes_warehouse_mapping(tmp_path):
    (tmp_path / "warehouse.toml").write_text(WAREHOUSE, encoding="utf-8")
    orders = tmp_path / "orders.jsonl"
    orders.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    with Database(tmp_path / "t.duckdb") as db:
        report = ingest(db, transactions=[orders], mapping=tmp_path / "warehouse.toml")
        rows = db.dicts("SELECT txn_id, strftime(ts, '%Y-%m-%dT%H:%M:%S.%g') AS ts, user_id, merchant_id, scene, "
                        "amount, discount, campaign_id, config_version, type, original_txn_id, currency "
                        "FROM transactions ORDER BY txn_id")
        rejects = db.rows("SELECT line, record_key, reason, field FROM rejects ORDER BY line")
    assert rows == [
        {"txn_id": "O1", "ts": "2025-01-16T06:40:05.465", "user_id": "U1", "merchant_id": "M1", "scene": "transfer",
         "amount": Decimal("123.45"), "discount": Decimal("24.69"), "campaign_id": "CMP", "config_version": "v2",
         "type": "payment", "original_txn_id": None, "currency": "CNY"},
        {"txn_id": "R1", "ts": "2025-01-16T14:00:00.000", "user_id": "U1", "merchant_id": "M1", "scene": "transfer",
         "amount": Decimal("98.76"), "discount": Decimal("0.00"), "campaign_id": None, "config_version": None,
         "type": "refund", "original_txn_id": "O1", "currency": "CNY"},
    ]
    # not whole cents, not an epoch: rejected with the field named, never guessed
    assert rejects == [(3, "O2", "bad_money", "amount"), (4, "O3", "bad_timestamp", "ts")]
    assert report.files[0].reconciles


def test_a_time_format_and_zone_per_field_and_sql(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[transactions]\n'
                       'ts = { path = "paid", format = "%Y/%m/%d %H:%M:%S", tz = "Asia/Shanghai" }\n'
                       'paid = { sql = "CAST(\\"amount\\" AS DECIMAL(18,2)) - CAST(\\"discount\\" AS DECIMAL(18,2))" }\n',
                       encoding="utf-8")
    f = tmp_path / "t.csv"
    f.write_text("txn_id,paid,user_id,amount,discount\nT1,2025/01/16 14:40:05,U1,10.00,0.50\n", encoding="utf-8")
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[f], mapping=mapping)
        assert db.one("SELECT strftime(ts, '%H:%M:%S'), paid FROM transactions") == ("06:40:05", Decimal("9.50"))


@pytest.mark.parametrize("text,needle", [
    ('[transactions]\namount = { path = "a", unit = "mil" }\n', "unit must be one of"),
    ('[transactions]\nts = { path = "t", epoch = "days" }\n', "epoch must be one of"),
    ('[transactions]\nts = { path = "t", tz = "Mars/Base" }\n', "'Mars/Base' is not a known time zone"),
    ('[transactions]\nnope = "x"\n', "has no canonical column 'nope'"),
    ('[transactions]\namount = { path = "a", const = "1" }\n', "exactly one of path/column, const, sql"),
    ('[[campaigns]]\ncampaign_id = "C"\n', "needs campaign_id and object"),
])
def test_a_wrong_mapping_is_named(tmp_path, text, needle):
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(needle)):
        load_mapping(path)
