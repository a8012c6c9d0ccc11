"""The payment-platform bill readers (Alipay 业务明细, WeChat Pay ALL) on the real-format fixtures
and their quirks, and the sample incident written as each bill analysed back to its truth.

Expected values are read off the fixtures by hand (tests/fixtures/formats/SOURCES.md, the
scenario table): Beijing 14:40:05 is 06:40:05Z, a refund is the positive money returned.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from analyzer.analysis.pipeline import analyze
from analyzer.analysis.summary import load_summary
from analyzer.db import Database
from analyzer.errors import InputError
from analyzer.ingest import ingest
from analyzer.ingest.readers import READERS, alipay_merchant, by_name, wechat_pay
from analyzer.ingest.sniff import sample as sniff_sample
from tests.conftest import FIXTURES, ROOT

FORMATS = FIXTURES / "formats"
ALIPAY = FORMATS / "alipay-merchant" / "20881234567890120156_20250116_业务明细.csv"
WECHAT = FORMATS / "wechat-pay" / "wechatpay_1612345678_20250116_ALL.csv"
WECHAT_COLONS = FORMATS / "wechat-pay" / "wechatpay_1612345678_20250116_ALL_fullwidth_colons.csv"
D = Decimal
_db_names = itertools.count()

# scenario keys -> the ids each bill gives them
ALIPAY_IDS = {"P1": "2025011622001452130501438121", "P2": "2025011622001487760501439307",
              "P3": "2025011622001419940501440052", "P4": "2025011622001433180501441176",
              "P6": "2025011622001428650501444303", "R1": "RF20250116152003000117", "R2": "RF20250116160512000224"}
WECHAT_IDS = {"P1": "4200002461202501161438120917", "P2": "4200002461202501161439302244",
              "P3": "4200002461202501161440051186", "P4": "4200002461202501161441173305",
              "P5": "4200002461202501161442404671", "R1": "50302106092025011645872301146",
              "R2": "50302106092025011645913377582"}


def load(tmp_path: Path, *files: Path, **options):
    """Ingest into a fresh database: (the file results, loaded rows by txn_id, rejects)."""
    with Database(tmp_path / f"t{next(_db_names)}.duckdb") as db:
        report = ingest(db, transactions=list(files), **options)
        rows = db.dicts("""SELECT txn_id, strftime(ts, '%Y-%m-%dT%H:%M:%SZ') AS ts, user_id, merchant_id, scene,
                                  amount, discount, paid, merchant_discount, campaign_id, type, original_txn_id,
                                  currency, line FROM transactions""")
        rejects = db.dicts("SELECT line, record_key, reason, field, message FROM rejects ORDER BY line")
    return report.files, {r["txn_id"]: r for r in rows}, rejects


def bill_lines(path: Path, encoding: str) -> list[str]:
    return path.read_bytes().decode(encoding).split("\r\n")


def write_bill(path: Path, lines: list[str], encoding: str) -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def alipay_copy(tmp_path: Path, edit) -> Path:
    """A copy of the Alipay fixture (same name, GBK) with `edit(lines)` applied."""
    lines = bill_lines(ALIPAY, "gb18030")
    edit(lines)
    return write_bill(tmp_path / ALIPAY.name, lines, "gbk")


def set_cells(line: str, header: list[str], **cells: str) -> str:
    values = line.split(",")
    for name, value in cells.items():
        values[header.index(name)] = value
    return ",".join(values)


def write_mapping(tmp_path: Path, column: str) -> Path:
    path = tmp_path / "memo.toml"
    path.write_text("[transactions]\n"
                    f"scene = {{ sql = \"regexp_extract(\\\"{column}\\\", 'scene=([^;]*)', 1)\" }}\n"
                    f"campaign_id = {{ sql = \"regexp_extract(\\\"{column}\\\", 'promo=([^;]*)', 1)\" }}\n",
                    encoding="utf-8")
    return path


# --- detection ----------------------------------------------------------------------------------
def test_each_bill_is_recognised_by_its_reader_only(tmp_path):
    canonical = tmp_path / "t.csv"
    canonical.write_text("txn_id,ts,user_id,amount,discount\nT1,2025-01-16T00:00:00Z,U1,1.00,0.00\n")
    ledger = tmp_path / "ledger.csv"  # the Alipay account ledger is another file
    ledger.write_bytes("#支付宝账务明细查询\r\n#账号：[20881234567890120156]\r\n账务流水号,业务流水号,商户订单号\r\n"
                       .encode("gbk"))
    scores = {path.name: {r.name: r.sniff(sniff_sample(path)) for r in READERS}
              for path in (ALIPAY, WECHAT, WECHAT_COLONS, canonical, ledger)}
    assert scores[ALIPAY.name]["alipay-merchant"] >= 50 and scores[ALIPAY.name]["wechat-pay"] == 0
    for name in (WECHAT.name, WECHAT_COLONS.name):
        assert scores[name]["wechat-pay"] >= 50 and scores[name]["alipay-merchant"] == 0
    for name in (canonical.name, ledger.name):
        assert scores[name]["alipay-merchant"] == 0 and scores[name]["wechat-pay"] == 0
    # the bill readers come before the canonical ones, which take any CSV
    names = [r.name for r in READERS]
    assert names.index("alipay-merchant") < names.index("canonical-csv")
    assert names.index("wechat-pay") < names.index("canonical-csv")


# --- Alipay -------------------------------------------------------------------------------------
def test_alipay_bill_loads_exact_values(tmp_path):
    (result,), rows, rejects = load(tmp_path, ALIPAY)
    assert (result.format, result.encoding) == ("alipay-merchant", "gb18030")  # GBK found without --encoding
    # 8 payments + 2 refunds; the 4 preamble and 4 trailer lines are skipped, never rows
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate, result.rows_rejected) == (10, 10, 0, 0)
    assert result.rows_skipped == 8 and rejects == []
    p1, p3, p4 = rows[ALIPAY_IDS["P1"]], rows[ALIPAY_IDS["P3"]], rows[ALIPAY_IDS["P4"]]
    # padding gone from ids and names; Beijing time read as such without --tz
    assert p1["user_id"] == "*伟(138****5521)" and p1["merchant_id"] == "SH001"
    assert p3["ts"] == "2025-01-16T06:40:05Z" and p3["line"] == 8
    # the campaign is platform-funded (支付宝优惠): discount; paid = 商家实收 - that
    assert (p3["amount"], p3["discount"], p3["merchant_discount"], p3["paid"]) == (D("120.00"), D("24.00"),
                                                                                     D("0.00"), D("96.00"))
    assert (p1["amount"], p1["discount"], p1["paid"], p1["currency"]) == (D("25.00"), D("0.50"), D("24.50"), "CNY")
    assert p4["merchant_id"] == "20881234567890120156"  # no 门店编号: the account of the preamble
    assert sum(r["discount"] for r in rows.values() if r["type"] == "payment") == D("442.50")
    r1, r2 = rows[ALIPAY_IDS["R1"]], rows[ALIPAY_IDS["R2"]]
    assert (r1["type"], r1["original_txn_id"], r1["amount"], r1["discount"], r1["paid"]) == (
        "refund", ALIPAY_IDS["P2"], D("17.50"), D("0.00"), None)
    assert (r2["original_txn_id"], r2["amount"], r2["ts"], r2["line"]) == (ALIPAY_IDS["P4"], D("1600.00"),
                                                                           "2025-01-16T08:05:12Z", 15)
    assert not any("\t" in str(v) for r in rows.values() for v in r.values())


def test_alipay_tz_overrides_beijing_time(tmp_path):
    (_result,), rows, _ = load(tmp_path, ALIPAY, tz="UTC")
    assert rows[ALIPAY_IDS["P3"]]["ts"] == "2025-01-16T14:40:05Z"


def test_alipay_merchant_funded_discounts_and_paid_check(tmp_path):
    def edit(lines):
        header = lines[4].split(",")
        p6 = next(i for i, ln in enumerate(lines) if ln.startswith(ALIPAY_IDS["P6"]))
        # 9.90 with a 1.00 merchant discount and a 0.40 coupon: the merchant receives 8.50
        lines[p6] = set_cells(lines[p6], header, **{"商家实收（元）": "8.50", "商家优惠（元）": "1.00",
                                                     "券核销金额（元）": "0.40"})
        p1 = next(i for i, ln in enumerate(lines) if ln.startswith(ALIPAY_IDS["P1"]))
        lines[p1] = set_cells(lines[p1], header, **{"商家实收（元）": "25.10"})  # contradicts the discounts

    (result,), rows, rejects = load(tmp_path, alipay_copy(tmp_path, edit))
    p6 = rows[ALIPAY_IDS["P6"]]
    assert (p6["amount"], p6["discount"], p6["merchant_discount"], p6["paid"]) == (D("9.90"), D("0.00"),
                                                                                     D("1.40"), D("8.50"))
    assert [(r["line"], r["record_key"], r["reason"], r["field"]) for r in rejects] == [
        (6, ALIPAY_IDS["P1"], "paid_mismatch", "paid")]
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (10, 9, 1)
    # an export that computes 商家实收 otherwise: the README's way to leave paid out
    no_paid = tmp_path / "no_paid.toml"
    no_paid.write_text('[transactions]\npaid = { const = "" }\n', encoding="utf-8")
    (result,), rows, rejects = load(tmp_path, tmp_path / ALIPAY.name, mapping=no_paid)
    assert rejects == [] and rows[ALIPAY_IDS["P1"]]["paid"] is None and rows[ALIPAY_IDS["P6"]]["merchant_discount"] == D("1.40")


def test_alipay_malformed_row_and_bad_money_are_rejected_with_their_line(tmp_path):
    def edit(lines):
        p3 = next(i for i, ln in enumerate(lines) if ln.startswith(ALIPAY_IDS["P3"]))
        lines[p3] = lines[p3].rsplit(",", 3)[0]  # a line cut short: three cells missing
        header = lines[4].split(",")
        p4 = next(i for i, ln in enumerate(lines) if ln.startswith(ALIPAY_IDS["P4"]))
        lines[p4] = set_cells(lines[p4], header, **{"支付宝优惠（元）": "400.001"})

    path = alipay_copy(tmp_path, edit)
    (result,), rows, rejects = load(tmp_path, path)
    assert [(r["line"], r["reason"]) for r in rejects] == [(8, "malformed_row"), (9, "bad_money")]
    assert rejects[1]["field"] == "discount" and "支付宝优惠（元） = 400.001" in rejects[1]["message"]
    assert result.path == str(path.resolve())
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate, result.rows_rejected) == (10, 8, 0, 2)
    assert result.rows_read == result.rows_loaded + result.rows_duplicate + result.rows_rejected
    assert rows[ALIPAY_IDS["R2"]]["line"] == 15  # the lines after a rejected one keep their numbers


def test_alipay_header_variant_with_extra_columns_and_ascii_parentheses(tmp_path):
    def edit(lines):
        for i, line in enumerate(lines):
            if line.startswith("#") or not line:
                continue
            cells = line.split(",")
            if cells[0] == "支付宝交易号":
                cells = [c.replace("（", "(").replace("）", ")") for c in cells]
                extra = ["交易方式", "实收净额（元）"]
            else:
                extra = ["扫码支付\t", "0.00"]
            lines[i] = ",".join(cells[:3] + extra[:1] + cells[3:12] + extra[1:] + cells[12:])

    (result,), rows, rejects = load(tmp_path, alipay_copy(tmp_path, edit))
    assert rejects == [] and result.rows_loaded == 10
    p3 = rows[ALIPAY_IDS["P3"]]
    assert (p3["amount"], p3["discount"], p3["paid"], p3["ts"]) == (D("120.00"), D("24.00"), D("96.00"),
                                                                   "2025-01-16T06:40:05Z")
    assert rows[ALIPAY_IDS["R1"]]["amount"] == D("17.50")


def test_alipay_missing_column_is_named(tmp_path):
    def edit(lines):
        lines[4] = lines[4].replace("支付宝优惠（元）", "优惠（元）")

    with Database(tmp_path / "t.duckdb") as db, pytest.raises(InputError, match="支付宝优惠（元）") as info:
        ingest(db, transactions=[alipay_copy(tmp_path, edit)])
    assert f"{ALIPAY.name}:5" in str(info.value)


def test_alipay_memo_mapping_gives_scene_and_campaign(tmp_path):
    (_result,), rows, _ = load(tmp_path, ALIPAY, mapping=write_mapping(tmp_path, "备注"))
    assert (rows[ALIPAY_IDS["P3"]]["scene"], rows[ALIPAY_IDS["P3"]]["campaign_id"]) == ("shopping",
                                                                                       "spring-instant-25")
    assert rows[ALIPAY_IDS["P4"]]["scene"] == "rent"
    assert rows[ALIPAY_IDS["P6"]]["campaign_id"] is None  # `promo=` empty: no campaign applied


SCENARIO_CHANGES = [  # the fixtures' scenario (SOURCES.md) as a canonical config log
    {"change_id": "C1", "ts": "2025-01-15T02:00:00Z", "campaign_id": "spring-instant-25", "actor": "wang.fang",
     "action": "create", "version": "v1", "config": {"discount_type": "fixed", "discount_value": "0.50",
     "max_discount": None, "min_amount": "10.00", "scenes": ["shopping", "food_delivery"], "enabled": True}},
    {"change_id": "C2", "ts": "2025-01-16T06:40:00Z", "campaign_id": "spring-instant-25", "actor": "zhang.wei",
     "action": "update", "version": "v2", "config": {"discount_type": "percent", "discount_value": "20",
     "max_discount": None, "min_amount": "10.00", "scenes": ["*"], "enabled": True}},
    {"change_id": "C3", "ts": "2025-01-16T06:45:00Z", "campaign_id": "spring-instant-25", "actor": "ops.li",
     "action": "rollback", "version": "v3", "config": {"discount_type": "fixed", "discount_value": "0.50",
     "max_discount": None, "min_amount": "10.00", "scenes": ["shopping", "food_delivery"], "enabled": True}},
]


@pytest.mark.parametrize("bill, column", [(ALIPAY, "备注"), (WECHAT, "商户数据包")], ids=["alipay", "wechat"])
def test_fixture_bill_gives_the_scenario_excess(tmp_path, bill, column):
    """The scenario of the fixtures: gross excess 439.50 (P3 23.50, P4 400.00, P5 6.50, P7 9.50),
    net 39.50 (P4 fully refunded)."""
    changes = tmp_path / "changes.jsonl"
    changes.write_text("".join(json.dumps(c) + "\n" for c in SCENARIO_CHANGES), encoding="utf-8")
    with Database(tmp_path / "s.duckdb") as db:
        ingest(db, transactions=[bill], config_changes=[changes], mapping=write_mapping(tmp_path, column))
        analyze(db)
        summary = load_summary(db)
    assert (summary["excess_total"], summary["net_excess_total"]) == ("439.50", "39.50")
    assert (summary["affected_txns"], summary["bad_change_id"], summary["fix_change_id"]) == (4, "C2", "C3")
    assert summary["first_affected_at"].startswith("2025-01-16T06:40:05")


# --- WeChat Pay ---------------------------------------------------------------------------------
def test_wechat_bill_loads_exact_values(tmp_path):
    (result,), rows, rejects = load(tmp_path, WECHAT)
    assert (result.format, result.encoding) == ("wechat-pay", "utf-8-sig")
    # 8 payments + 2 refunds; the summary header and row are skipped, never rows
    assert (result.rows_read, result.rows_loaded, result.rows_duplicate, result.rows_rejected) == (10, 10, 0, 0)
    assert result.rows_skipped == 2 and rejects == []
    p3 = rows[WECHAT_IDS["P3"]]
    assert not any("`" in str(v) for r in rows.values() for v in r.values())
    assert (p3["ts"], p3["user_id"], p3["merchant_id"], p3["line"]) == (
        "2025-01-16T06:40:05Z", "oUpF8uHd5Qe1Ws9Kp3Jv7Bn2Xr6t", "1612345678", 4)  # 特约商户号 0: the 商户号
    assert (p3["amount"], p3["discount"], p3["paid"], p3["currency"]) == (D("120.00"), D("24.00"), None, "CNY")
    r1, r2 = rows[WECHAT_IDS["R1"]], rows[WECHAT_IDS["R2"]]
    assert (r1["type"], r1["original_txn_id"], r1["amount"], r1["ts"]) == (
        "refund", WECHAT_IDS["P2"], D("17.50"), "2025-01-16T07:20:03Z")
    assert (r2["original_txn_id"], r2["amount"], r2["line"]) == (WECHAT_IDS["P4"], D("1600.00"), 11)


def test_wechat_full_width_colons_give_the_same_instants(tmp_path):
    _, plain, _ = load(tmp_path, WECHAT)
    (result,), colons, rejects = load(tmp_path, WECHAT_COLONS)
    assert rejects == [] and result.rows_loaded == 10
    assert colons[WECHAT_IDS["P3"]]["ts"] == "2025-01-16T06:40:05Z"
    assert colons[WECHAT_IDS["P5"]]["ts"] == "2025-01-16T06:42:40Z"
    assert colons[WECHAT_IDS["R2"]]["ts"] == "2025-01-16T08:05:12Z"
    assert {k: v["ts"] for k, v in colons.items()} == {k: v["ts"] for k, v in plain.items()}


def test_wechat_without_bom_reads_the_same(tmp_path):
    raw = WECHAT.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    no_bom = tmp_path / WECHAT.name
    no_bom.write_bytes(raw[len(codecs.BOM_UTF8):])
    _, with_bom, _ = load(tmp_path, WECHAT)
    (result,), without, rejects = load(tmp_path, no_bom)
    assert (result.format, result.encoding, result.rows_skipped) == ("wechat-pay", "utf-8", 2)
    assert {k: {**v, "line": None} for k, v in without.items()} == {k: {**v, "line": None} for k, v in with_bom.items()}
    assert rejects == [] and without[WECHAT_IDS["P3"]]["line"] == 4


def test_wechat_malformed_row_and_unsettled_refund_are_rejected(tmp_path):
    lines = bill_lines(WECHAT, "utf-8-sig")
    header = lines[0].split(",")
    lines[3] = lines[3].rsplit(",", 2)[0]  # P3's line (line 4) cut short
    lines[10] = set_cells(lines[10], header, 退款状态="`PROCESSING")  # R2 not refunded yet
    path = write_bill(tmp_path / WECHAT.name, lines, "utf-8")
    (result,), rows, rejects = load(tmp_path, path)
    assert [(r["line"], r["reason"]) for r in rejects] == [(4, "malformed_row"), (11, "bad_type")]
    assert "refund processing" in rejects[1]["message"]
    assert (result.rows_read, result.rows_loaded, result.rows_rejected, result.rows_skipped) == (10, 8, 2, 2)
    assert WECHAT_IDS["R2"] not in rows and WECHAT_IDS["P3"] not in rows and rows[WECHAT_IDS["P4"]]["line"] == 5


def test_wechat_older_column_set(tmp_path):
    """The 24-column bill of older accounts: 子商户号, 总金额, 代金券或立减优惠金额 (by name)."""
    header = ("交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
              "总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,"
              "商品名称,商户数据包,手续费,费率")
    rows = [
        "`2025-01-16 14:40:05,`wx1,`1900000109,`1900000201,`,`4200000001,`M1,`oU1,`JSAPI,`SUCCESS,`CFT,`CNY,"
        "`120.00,`24.00,`0,`0,`0,`0,`,`,`超市,`scene=shopping;promo=spring-instant-25,`0.58000,`0.60%",
        "`2025-01-16 16:05:12,`wx1,`1900000109,`0,`,`4200000002,`M2,`oU2,`JSAPI,`SUCCESS,`CFT,`CNY,"
        "`18,`0.5,`0,`0,`0,`0,`,`,`外卖,`scene=food_delivery;promo=,`0.11000,`0.60%",
        "`2025-01-16 17：00：00,`wx1,`1900000109,`0,`,`4200000002,`M2,`oU2,`JSAPI,`REFUND,`CFT,`CNY,"
        "`0,`0,`50300000003,`RF3,`17.50,`0.50,`ORIGINAL,`SUCCESS,`外卖,`scene=food_delivery;promo=,`-0.11000,`0.60%",
        "总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额",
        "`3,`138.00,`17.50,`0.50,`0.58000",
    ]
    path = write_bill(tmp_path / "old_ALL.csv", [header, *rows, ""], "utf-8")
    (result,), got, rejects = load(tmp_path, path)
    assert rejects == [] and (result.rows_loaded, result.rows_skipped) == (3, 2)
    assert (got["4200000001"]["amount"], got["4200000001"]["discount"], got["4200000001"]["merchant_id"]) == (
        D("120.00"), D("24.00"), "1900000201")  # the sub-merchant when there is one
    assert (got["4200000002"]["amount"], got["4200000002"]["discount"], got["4200000002"]["merchant_id"]) == (
        D("18.00"), D("0.50"), "1900000109")
    refund = got["50300000003"]
    assert (refund["type"], refund["original_txn_id"], refund["amount"], refund["ts"]) == (
        "refund", "4200000002", D("17.50"), "2025-01-16T09:00:00Z")


def test_wechat_memo_mapping_gives_scene_and_campaign(tmp_path):
    (_result,), rows, _ = load(tmp_path, WECHAT, mapping=write_mapping(tmp_path, "商户数据包"))
    assert (rows[WECHAT_IDS["P4"]]["scene"], rows[WECHAT_IDS["P4"]]["campaign_id"]) == ("rent", "spring-instant-25")


def test_wechat_error_reply_is_named(tmp_path, cli):
    reply = tmp_path / "bill.csv"
    reply.write_text("<xml><return_code><![CDATA[FAIL]]></return_code>"
                     "<return_msg><![CDATA[No Bill Exist]]></return_msg><error_code>20002</error_code></xml>")
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", reply)
    assert res.code == 3
    assert "WeChat Pay's error reply, not a bill" in res.stderr and "No Bill Exist" in res.stderr


# --- the CLI ------------------------------------------------------------------------------------
def test_cli_ingests_a_bill_and_prints_its_format(tmp_path, cli):
    db_path = tmp_path / "t.duckdb"
    res = cli("ingest", "--db", db_path, "--transactions", ALIPAY, WECHAT_COLONS)
    assert res.code == 0, res.stderr
    assert "alipay-merchant" in res.stdout and "wechat-pay" in res.stdout
    with Database(db_path, read_only=True) as db:
        manifest = db.rows("SELECT format, rows_read, rows_loaded, rows_skipped FROM load_manifest ORDER BY file_id")
        p3 = db.one("SELECT strftime(ts, '%H:%M:%S'), amount, discount FROM transactions WHERE txn_id = ?",
                    [ALIPAY_IDS["P3"]])
    assert manifest == [("alipay-merchant", 10, 10, 8), ("wechat-pay", 10, 10, 2)]
    assert p3 == ("06:40:05", D("120.00"), D("24.00"))
    listed = cli("formats")
    assert listed.code == 0 and "alipay-merchant" in listed.stdout and "wechat-pay" in listed.stdout
    assert by_name("alipay-merchant") is alipay_merchant.READER and by_name("wechat-pay") is wechat_pay.READER


def test_mapping_sql_over_a_missing_column_is_an_input_error(tmp_path, cli):
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", WECHAT,
              "--mapping", write_mapping(tmp_path, "备注"))  # 备注 is Alipay's, not WeChat's
    assert res.code == 3, res.stderr
    assert f"{WECHAT.name}:1: a `sql` field of the mapping does not fit this bill" in res.stderr
    assert "备注" in res.stderr


@pytest.mark.parametrize("name, bill, p3", [("alipay", ALIPAY, ALIPAY_IDS["P3"]), ("wechat", WECHAT, WECHAT_IDS["P3"])])
def test_readme_mapping_example_works(tmp_path, name, bill, p3):
    """The README's mapping for each bill ("Your data") extracts scene and campaign as it says."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"```toml\n(# {name}\.toml\n.*?)```", readme, re.S)
    assert block, f"README has no {name}.toml example"
    mapping = tmp_path / f"{name}.toml"
    mapping.write_text(block.group(1), encoding="utf-8")
    (_result,), rows, _ = load(tmp_path, bill, mapping=mapping)
    assert (rows[p3]["scene"], rows[p3]["campaign_id"]) == ("shopping", "spring-instant-25")


# --- the sample incident in each bill -----------------------------------------------------------
def floor_second(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(microsecond=0)


@pytest.mark.parametrize("name", ["alipay-merchant", "wechat-pay"])
def test_sample_as_a_bill_gives_the_truth(tmp_path, sample_dir, truth, sample_db, name):
    from analyzer import sample_formats

    written = sample_formats.write(name, sample_dir, tmp_path)
    db_path = tmp_path / "bill.duckdb"
    with Database(db_path) as db:
        report = ingest(db, transactions=written.files, config_changes=[sample_dir / "config_changes.jsonl"],
                        events=[sample_dir / "events.csv"], mapping=written.mapping, tz=written.tz)
        analyze(db)
        summary = load_summary(db)
        bill_rows = db.rows("""SELECT txn_id, type, strftime(ts, '%Y-%m-%d %H:%M:%S'), user_id, merchant_id, scene,
                                      amount, discount, campaign_id, config_version, original_txn_id
                               FROM transactions ORDER BY txn_id""")
    (bill,) = [f for f in report.files if f.kind == "transactions"]
    assert bill.format == name and bill.rows_read == bill.rows_loaded and bill.rows_rejected == 0
    for key in ("excess_total", "net_excess_total", "affected_txns", "affected_users", "affected_merchants",
                "bad_change_id", "fix_change_id"):
        assert summary[key] == truth[key], key
    # a bill writes times to the second: the instants are the truth's, without the fraction
    for key in ("first_affected_at", "last_affected_at"):
        assert datetime.fromisoformat(summary[key]) == floor_second(truth[key]), key
    # row by row: what the bill loads is what the canonical sample loads
    with Database(sample_db, read_only=True) as db:
        canonical = db.rows("""SELECT txn_id, type, strftime(ts, '%Y-%m-%d %H:%M:%S'), user_id, merchant_id, scene,
                                      amount, discount, campaign_id, config_version, original_txn_id
                               FROM transactions ORDER BY txn_id""")
    assert bill_rows == canonical


def test_written_alipay_totals_add_up(tmp_path, sample_dir):
    from analyzer import sample_formats

    (bill,) = sample_formats.write("alipay-merchant", sample_dir, tmp_path).files
    lines = bill_lines(bill, "gbk")
    header = lines[4].split(",")
    data = [ln.split(",") for ln in lines[5:] if ln and not ln.startswith("#")]
    got = {kind: (sum(1 for c in data if c[2] == kind + "\t"),
                  sum(D(c[header.index("商家实收（元）")]) for c in data if c[2] == kind + "\t"))
           for kind in ("交易", "退款")}
    trade = next(ln for ln in lines if ln.startswith("#交易合计"))
    refund = next(ln for ln in lines if ln.startswith("#退款合计"))
    assert trade == f"#交易合计：{got['交易'][0]}笔，商家实收共{got['交易'][1]}元，商家优惠共0.00元"
    assert refund == f"#退款合计：{got['退款'][0]}笔，商家实收退款共{got['退款'][1]}元，商家优惠退款共0.00元"
    assert lines[0] == "#支付宝业务明细查询" and lines[1].startswith("#账号：[")


def test_written_wechat_summary_adds_up(tmp_path, sample_dir):
    from analyzer import sample_formats

    (bill,) = sample_formats.write("wechat-pay", sample_dir, tmp_path).files
    assert bill.read_bytes().startswith(codecs.BOM_UTF8)
    lines = [ln for ln in bill_lines(bill, "utf-8-sig") if ln]
    header = lines[0].split(",")
    data = [[c[1:] for c in ln.split(",")] for ln in lines[1:-2]]
    assert all(ln.split(",")[0].startswith("`") for ln in lines[1:-2])
    assert lines[-2].startswith("总交易单数,")
    col = {h: i for i, h in enumerate(header)}
    totals = [c[1:] for c in lines[-1].split(",")]
    assert int(totals[0]) == len(data)
    assert D(totals[1]) == sum(D(c[col["应结订单金额"]]) for c in data)
    assert D(totals[2]) == sum(D(c[col["退款金额"]]) for c in data)
    assert D(totals[5]) == sum(D(c[col["订单金额"]]) for c in data)


@pytest.mark.slow
def test_cli_sample_writes_the_bills(tmp_path, cli):
    """`analyzer sample --format` writes each bill and its mapping, and prints how to ingest them."""
    res = cli("sample", "--out", tmp_path / "s", "--payments", "1000", "--format", "alipay-merchant",
              "--format", "wechat-pay")
    assert res.code == 0, res.stderr
    for name in ("alipay-merchant", "wechat-pay"):
        folder = tmp_path / "s" / "formats" / name
        (bill,) = folder.glob("*.csv")
        assert (folder / "mapping.toml").exists()
        assert f"{name}: analyzer ingest --db {name}.duckdb --transactions {bill}" in res.stdout
        assert f"--mapping {folder / 'mapping.toml'}" in res.stdout
