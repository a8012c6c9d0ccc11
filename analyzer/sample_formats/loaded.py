"""The canonical sample's transactions as a bill writer needs them: only the rows that load.

The canonical files hold malformed, duplicated and conflicting rows on purpose; a platform's
bill holds each transaction once. Rather than re-deciding validity here, the canonical files are
ingested into a scratch database and what loaded is read back (analyzer/sql/sample_formats/
bill_rows.sql), so a bill carries exactly the transactions the analysis of the canonical sample
counts. Called by the bill writers of this package.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from analyzer import sql
from analyzer.db import Database
from analyzer.ingest import ingest

SAMPLE_TZ = "Asia/Shanghai"
CENT = Decimal("0.01")
BATCH = 10_000


def loaded_transactions(sample_dir: Path, tz: str = SAMPLE_TZ) -> Iterator[dict[str, Any]]:
    """Every transaction the canonical sample loads, in time order, with the payment a refund
    refunds (bill_rows.sql). Streams: a benchmark sample has millions."""
    with tempfile.TemporaryDirectory(prefix="analyzer-bill-") as tmp:
        with Database(Path(tmp) / "scratch.duckdb") as db:
            ingest(db, transactions=[sample_dir / "transactions.csv", sample_dir / "transactions_replay.jsonl"],
                   tz=tz)
            cur = db.execute(sql.statement("sample_formats/bill_rows"), {"tz": tz})
            names = [d[0] for d in cur.description]
            while batch := cur.fetchmany(BATCH):
                for row in batch:
                    yield dict(zip(names, row))


def refunded_discount(row: dict[str, Any]) -> Decimal:
    """The part of a payment's discount that a refund gives back: all of it for a full refund,
    in proportion (to the cent, half up) for a partial one, none when the payment is unknown."""
    amount, discount = row["original_amount"], row["original_discount"]
    if amount is None or not discount:
        return Decimal("0.00")
    paid = amount - discount - (row["original_merchant_discount"] or 0)
    if paid <= 0 or row["amount"] >= paid:
        return discount
    return (discount * row["amount"] / paid).quantize(CENT, rounding=ROUND_HALF_UP)


GOODS = {"shopping": "超市购物", "food_delivery": "外卖订单", "groceries": "生鲜果蔬", "rent": "房租缴纳",
         "utility": "生活缴费", "transfer": "转账", "credit_card_repayment": "信用卡还款", "ticket": "票务",
         "game_topup": "游戏充值"}


def goods(scene: str | None) -> str:
    """A product name (商品名称) for the scene, in Chinese as merchants write them."""
    return GOODS.get(scene or "", "消费")


def memo(row: dict[str, Any]) -> str:
    """scene / campaign / version as merchant-defined text (备注, 商户数据包): a convention of
    the sample (and the fixtures), which the mapping file written beside the bill extracts."""
    return f"scene={row['scene'] or ''};promo={row['campaign_id'] or ''};version={row['config_version'] or ''}"


def memo_mapping(column: str) -> str:
    """The mapping file that extracts scene / campaign_id / config_version from `column`."""
    def field(key: str) -> str:
        return f"{{ sql = \"regexp_extract(\\\"{column}\\\", '{key}=([^;]*)', 1)\" }}"

    return ("# scene, campaign and config version are written into " + column + " as\n"
            "# scene=<s>;promo=<campaign>;version=<v> (a convention of the sample); the rest is the reader's.\n"
            f'tz = "{SAMPLE_TZ}"\n\n'
            "[transactions]\n"
            f"scene = {field('scene')}\n"
            f"campaign_id = {field('promo')}\n"
            f"config_version = {field('version')}\n")


def money(value: Decimal) -> str:
    """An amount as bills write it: two decimals, no negative zero."""
    return f"{(value if value else abs(value)).quantize(CENT):f}"
