"""The remediation lists of `analyzer report`: exploiters (risk review, with evidence), notify
(every other affected user, with the official message) and notify_merchants; masked by default;
exploiters + notify = the affected users exactly, no user in both; evidence and money equal to
the sample's truth; the message templates are files the team can override."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from analyzer.db import Database
from analyzer.errors import InputError
from analyzer.formatting import money

EXPLOIT_SCENES = {"transfer", "credit_card_repayment"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write(db_path, out, **kwargs):
    from analyzer.report import write_reports

    with Database(db_path, read_only=True) as db:
        return write_reports(db, out, **kwargs)


@pytest.fixture(scope="module")
def lists(sample_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("remediation")
    result = write(sample_db, out, formats=("csv",))
    return out, result


@pytest.fixture(scope="module")
def revealed(sample_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("remediation_revealed")
    write(sample_db, out, formats=("csv", "parquet", "xlsx"), mask_pii=False)
    return out


def test_exploiters_and_notify_are_the_affected_users_exactly_and_masked(lists, sample_db, truth):
    out, result = lists
    assert result.lists_masked and not result.rows_masked
    exploiters = [r["user_id"] for r in read_csv(out / "exploiters.csv")]
    notify = [r["user_id"] for r in read_csv(out / "notify.csv")]
    assert all(u.startswith("anon-") for u in exploiters + notify)  # masked by default
    assert not set(exploiters) & set(notify)
    assert len(set(exploiters)) == len(exploiters) and len(set(notify)) == len(notify)
    with Database(sample_db, read_only=True) as db:
        flagged = {r[0] for r in db.rows("SELECT pseudonym(user_id) FROM affected_users WHERE exploit_flag")}
        everyone = {r[0] for r in db.rows("SELECT pseudonym(user_id) FROM affected_users")}
    assert set(exploiters) == flagged and set(exploiters) | set(notify) == everyone
    assert len(everyone) == truth["affected_users"] and len(flagged) == len(truth["exploiters"])
    # the affected_* export keeps the ids (the default policy), the lists do not
    assert not read_csv(out / "affected_users.csv")[0]["user_id"].startswith("anon-")


def test_exploiter_evidence_equals_the_truth(revealed, truth, sample_dir):
    rows = {r["user_id"]: r for r in read_csv(revealed / "exploiters.csv")}
    assert set(rows) == set(truth["exploiters"])
    per_user: dict[str, dict] = defaultdict(lambda: {"n": 0, "amount": Decimal(0), "excess": Decimal(0)})
    for t in read_csv(sample_dir / "truth" / "affected_transactions.csv"):
        if t["user_id"] in rows and t["scene"] in EXPLOIT_SCENES:
            u = per_user[t["user_id"]]
            u["n"] += 1
            u["amount"] += Decimal(t["amount"])
            u["excess"] += Decimal(t["excess"])
    users = {u["user_id"]: u for u in read_csv(sample_dir / "truth" / "affected_users.csv")}
    for user, r in rows.items():
        assert int(r["exploit_scene_txns"]) == per_user[user]["n"]
        assert Decimal(r["exploit_scene_amount"]) == per_user[user]["amount"]
        assert Decimal(r["exploit_scene_excess"]) == per_user[user]["excess"]
        assert r["excess_total"] == users[user]["excess_total"]
        assert Decimal(r["exploit_span_s"]) >= 0 and int(r["exploit_payees"]) >= 1
        assert set(r["exploit_scenes"].split(";")) <= EXPLOIT_SCENES


def test_notify_holds_the_official_message_with_exact_money(revealed, truth):
    rows = read_csv(revealed / "notify.csv")
    assert len(rows) == truth["affected_users"] - len(truth["exploiters"])
    refs = [r["reference"] for r in rows]
    assert len(set(refs)) == len(refs) and all(len(ref) == len("REF-0000-0000-0000-0000") for ref in refs)
    for r in rows:
        assert r["user_id"] not in truth["exploiters"] and not r["user_id"].startswith("anon-")
        assert r["reference"] in r["message_zh"] and r["reference"] in r["message_en"]
        if r["case"] == "over_discounted":
            kept = money(r["excess_kept"])
            assert f"共 {kept} 元" in r["message_zh"] and f"{kept} in total" in r["message_en"]
            assert "不会向您追回" in r["message_zh"]
        else:
            assert r["case"] == "refunded" and r["excess_kept"] == "0.00"
            assert money(r["excess_total"]) in r["message_zh"] and "refunded in full" in r["message_en"]
        # the anti-scam wording, in both languages
        assert "撤销优惠" in r["message_zh"] and "官方客服" in r["message_zh"]
        assert "will never send you a link" in r["message_en"] and "official customer service" in r["message_en"]
        assert f"{r['affected_txns']} 笔支付" in r["message_zh"]
        assert "{" not in r["message_zh"] + r["message_en"]  # every placeholder filled
    assert sum(Decimal(r["excess_total"]) for r in rows) == (
        Decimal(truth["excess_total"]) - sum(Decimal(r["excess_total"]) for r in read_csv(revealed / "exploiters.csv")))
    scam = {r["user_id"] for r in rows if r["reported_scam"] == "true"}
    assert scam == set(truth["scam_reporters_affected_ids"]) - set(truth["exploiters"])


def test_notify_merchants_leaves_out_people_paid_by_transfer(revealed, sample_db):
    rows = read_csv(revealed / "notify_merchants.csv")
    with Database(sample_db, read_only=True) as db:
        expected = {r[0] for r in db.rows("SELECT merchant_id FROM affected_merchants WHERE merchant_id IS NOT NULL "
                                           "AND NOT list_has_all(['transfer'], scenes)")}
        people = db.scalar("SELECT count(*) FROM affected_merchants WHERE scenes = ['transfer']")
    assert people > 0  # the sample's exploiters transfer to people: they are not merchants
    assert {r["merchant_id"] for r in rows} == expected
    assert all(r["merchant_id"].startswith("M") for r in rows)  # the sample's merchants; people are P...
    for r in rows[:20]:
        assert f"共 {money(r['excess_total'])} 元" in r["message_zh"] and r["reference"] in r["message_en"]


def test_the_other_row_formats_have_the_same_rows(revealed):
    import openpyxl
    import pyarrow.parquet as pq

    for name in ("exploiters", "notify", "notify_merchants"):
        csv_rows = read_csv(revealed / f"{name}.csv")
        table = pq.read_table(revealed / f"{name}.parquet")
        assert table.num_rows == len(csv_rows)
        assert table.column(table.column_names[0]).to_pylist() == [r[table.column_names[0]] for r in csv_rows]
        sheet = openpyxl.load_workbook(revealed / f"{name}.xlsx", read_only=True).worksheets[0]
        assert sheet.max_row - 1 == len(csv_rows)
    assert str(pq.read_schema(revealed / "notify.parquet").field("excess_kept").type) == "decimal128(18, 2)"


def test_message_templates_can_be_overridden_and_are_checked(sample_db, tmp_path):
    from analyzer.report.messages import load_messages

    own = tmp_path / "messages"
    own.mkdir()
    (own / "notify.en.txt").write_text("Hello, you keep {kept}. Ref {ref}.\n", "utf-8")
    write(sample_db, tmp_path / "out", formats=("csv",), mask_pii=False, messages_dir=own)
    rows = read_csv(tmp_path / "out" / "notify.csv")
    over = next(r for r in rows if r["case"] == "over_discounted")
    assert over["message_en"] == f"Hello, you keep {money(over['excess_kept'])}. Ref {over['reference']}."
    assert "不会向您追回" in over["message_zh"]  # the packaged one where the directory has none
    (own / "notify.zh.txt").write_text("你好\n退还 {amount} 元\n", "utf-8")
    with pytest.raises(InputError, match=r"notify\.zh\.txt:2: unknown placeholder \{amount\}"):
        load_messages(own)
