"""Tests of the sample incident generator (analyzer/sample.py).

The checks here read the files the generator wrote (not its internals), and re-derive what an
ingest must see: rejects per reason, duplicates, conflicts, and the truth against
analyzer.analysis.model.apply.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from analyzer.analysis.model import DiscountConfig, apply
from analyzer.sample import (
    BAD_CHANGE_ID,
    FIX_CHANGE_ID,
    SCENE_CODE,
    SCENES,
    TRANSACTION_COLUMNS,
    apply_cents,
    config_changes,
    generate,
)

PAYMENTS = 20_000
SEED = 7
CST = timezone(timedelta(hours=8))
BAD_AT = datetime(2025, 1, 16, 14, 40, tzinfo=CST)
FIX_AT = datetime(2025, 1, 16, 14, 45, tzinfo=CST)
MONEY = re.compile(r"^\d+\.\d{2}$")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _all_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _cents(s: str) -> int:
    return int(Decimal(s) * 100)


# ----------------------------------------------------------------------------------------------
# A small independent "ingest" of the two transaction files, as DESIGN.md describes it
# ----------------------------------------------------------------------------------------------


def _classify(row: dict[str, str]) -> str | None:
    """The reject reason of one parsed row (all values strings, "" for empty), or None."""
    for f in ("txn_id", "ts", "user_id", "amount", "discount"):
        if row[f] == "":
            return "missing_field"
    try:
        ts = datetime.fromisoformat(row["ts"])
    except ValueError:
        return "bad_timestamp"
    if ts.tzinfo is None:
        return "bad_timestamp"
    for f in ("amount", "discount", "paid"):
        v = row[f]
        if v == "":
            continue
        if v.startswith("-") and re.fullmatch(r"\d+(\.\d{1,2})?", v[1:]):
            return "negative_amount"
        if not re.fullmatch(r"\d+(\.\d{1,2})?", v):
            return "bad_money"
    if row["type"] not in ("payment", "refund"):
        return "bad_type"
    if row["type"] == "refund" and row["original_txn_id"] == "":
        return "refund_without_original"
    amount, discount = Decimal(row["amount"]), Decimal(row["discount"])
    if discount > amount:
        return "discount_out_of_range"
    if row["paid"] != "" and Decimal(row["paid"]) != amount - discount:
        return "paid_mismatch"
    return None


def _ingest(out: Path) -> dict:
    files: dict[str, dict] = {}
    loaded: dict[str, dict[str, str]] = {}

    # transactions.csv: every data line; conflicts inside the file reject all their rows
    with open(out / "transactions.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        assert tuple(header) == TRANSACTION_COLUMNS
        raw = list(reader)
    rejects: Counter[str] = Counter()
    valid: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for fields in raw:
        if len(fields) != len(TRANSACTION_COLUMNS):
            rejects["malformed_row"] += 1
            continue
        row = dict(zip(TRANSACTION_COLUMNS, fields, strict=True))
        reason = _classify(row)
        if reason:
            rejects[reason] += 1
        else:
            valid[row["txn_id"]].append(tuple(fields))
    dup = 0
    for txn_id, versions in valid.items():
        if len(set(versions)) > 1:
            rejects["conflicting_duplicate"] += len(versions)
        else:
            dup += len(versions) - 1
            loaded[txn_id] = dict(zip(TRANSACTION_COLUMNS, versions[0], strict=True))
    files["transactions.csv"] = {
        "rows_read": len(raw), "rows_duplicate": dup, "rejects": rejects, "loaded": len(loaded),
    }

    # transactions_replay.jsonl: later file; same id + same content = duplicate, else conflict
    lines = [ln for ln in (out / "transactions_replay.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    rejects = Counter()
    dup = n_loaded = 0
    for ln in lines:
        try:
            doc = json.loads(ln)
        except json.JSONDecodeError:
            rejects["malformed_row"] += 1
            continue
        assert set(doc) == set(TRANSACTION_COLUMNS)
        for f in ("amount", "discount", "paid"):
            assert doc[f] is None or isinstance(doc[f], str)  # money as JSON strings
        row = {c: "" if doc[c] is None else doc[c] for c in TRANSACTION_COLUMNS}
        reason = _classify(row)
        if reason:
            rejects[reason] += 1
        elif row["txn_id"] in loaded:
            if loaded[row["txn_id"]] == row:
                dup += 1
            else:
                rejects["conflicting_duplicate"] += 1
        else:
            loaded[row["txn_id"]] = row
            n_loaded += 1
    files["transactions_replay.jsonl"] = {
        "rows_read": len(lines), "rows_duplicate": dup, "rejects": rejects, "loaded": n_loaded,
    }
    return {"files": files, "loaded": loaded}


# ----------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(sample_result):
    result = sample_result
    out = result.out_dir
    summary = json.loads(result.truth_summary.read_text(encoding="utf-8"))
    with open(result.truth_affected_transactions, newline="", encoding="utf-8") as fh:
        affected = list(csv.DictReader(fh))
    with open(result.truth_affected_users, newline="", encoding="utf-8") as fh:
        users = list(csv.DictReader(fh))
    changes = [json.loads(ln) for ln in result.config_changes.read_text(encoding="utf-8").splitlines()]
    ingested = _ingest(out)
    return {
        "out": out, "result": result, "summary": summary, "affected": affected, "users": users,
        "changes": changes, "ingest": ingested,
    }


def _configs(sample) -> dict[str, DiscountConfig]:
    return {c["version"]: DiscountConfig.from_json(c["config"]) for c in sample["changes"]}


def _pre_bad_config(sample) -> DiscountConfig:
    bad = next(c for c in sample["changes"] if c["change_id"] == BAD_CHANGE_ID)
    before = [
        c for c in sample["changes"]
        if c["campaign_id"] == bad["campaign_id"] and c["ts"] < bad["ts"]
    ]
    return DiscountConfig.from_json(max(before, key=lambda c: c["ts"])["config"])


def _bad_config(sample) -> DiscountConfig:
    bad = next(c for c in sample["changes"] if c["change_id"] == BAD_CHANGE_ID)
    return DiscountConfig.from_json(bad["config"])


# ----------------------------------------------------------------------------------------------
# Determinism
# ----------------------------------------------------------------------------------------------


def test_same_seed_is_byte_identical(sample, tmp_path):
    again = generate(tmp_path / "again", seed=SEED, payments=PAYMENTS)
    first = _all_files(sample["out"])
    assert first == _all_files(again.out_dir)
    assert set(first) >= {
        "transactions.csv", "transactions_replay.jsonl", "config_changes.jsonl", "events.csv",
        "README.md", "truth/summary.json", "truth/affected_transactions.csv", "truth/affected_users.csv",
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.seed = 8  # type: ignore[misc]


def test_different_seed_differs(sample, tmp_path):
    other = generate(tmp_path / "other", seed=SEED + 1, payments=PAYMENTS)
    assert _sha(other.transactions_csv) != _sha(sample["result"].transactions_csv)
    assert _sha(other.truth_affected_transactions) != _sha(sample["result"].truth_affected_transactions)
    assert other.excess_total != sample["result"].excess_total


def test_too_few_payments_is_an_error(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, payments=10)


# ----------------------------------------------------------------------------------------------
# The discount arithmetic
# ----------------------------------------------------------------------------------------------


def test_apply_cents_agrees_with_the_reference_model():
    rng = np.random.default_rng(0)
    amounts = np.concatenate(
        [
            np.arange(0, 3_000, dtype=np.int64),  # every small amount: rounding edges, min_amount edges
            rng.integers(0, 10_000_000, 3_000),
            np.array([49_99, 50_00, 100_00, 300_00, 300_01, 400_00, 5_000_000]),
        ]
    )
    scenes = rng.integers(0, len(SCENES), len(amounts)).astype(np.int8)
    extra = [
        DiscountConfig("percent", Decimal("2.5"), Decimal("3.00"), None, ("*",)),
        DiscountConfig("percent", Decimal("12.345"), None, Decimal("1.00"), ("shopping", "rent")),
        DiscountConfig("fixed", Decimal("5"), None, None, ("*",), enabled=False),
        DiscountConfig("none", Decimal("0"), None, None, ("*",)),
    ]
    for cfg in [c.config for c in config_changes()] + extra:
        got = apply_cents(cfg, amounts, scenes)
        for a, s, g in zip(amounts.tolist(), scenes.tolist(), got.tolist(), strict=True):
            want = apply(cfg, Decimal(a) / 100, SCENES[s])
            assert Decimal(g) / 100 == want, (cfg, a, SCENES[s])


# ----------------------------------------------------------------------------------------------
# Truth: internal consistency and agreement with the data and the reference model
# ----------------------------------------------------------------------------------------------


def test_truth_totals_are_consistent(sample):
    s, txns, users = sample["summary"], sample["affected"], sample["users"]
    total = sum(Decimal(t["excess"]) for t in txns)
    net = sum(Decimal(t["excess"]) for t in txns if t["fully_refunded"] == "false")
    assert Decimal(s["excess_total"]) == total
    assert Decimal(s["net_excess_total"]) == net
    assert sum(Decimal(u["excess_total"]) for u in users) == total
    assert sum(Decimal(u["net_excess_total"]) for u in users) == net
    assert 0 < net < total  # some affected payments were fully refunded, most were not
    assert all(MONEY.match(t[f]) for t in txns for f in ("amount", "discount", "expected", "excess"))
    assert MONEY.match(s["excess_total"]) and MONEY.match(s["net_excess_total"])

    assert s["affected_txns"] == len(txns) == len({t["txn_id"] for t in txns})
    assert s["affected_users"] == len(users) == len({t["user_id"] for t in txns})
    assert s["affected_merchants"] == len({t["merchant_id"] for t in txns})
    assert [t["txn_id"] for t in txns] == sorted(t["txn_id"] for t in txns)
    assert [u["user_id"] for u in users] == sorted(u["user_id"] for u in users)
    per_user: dict[str, list[dict]] = defaultdict(list)
    for t in txns:
        per_user[t["user_id"]].append(t)
    for u in users:
        mine = per_user[u["user_id"]]
        assert int(u["affected_txns"]) == len(mine)
        assert Decimal(u["excess_total"]) == sum(Decimal(t["excess"]) for t in mine)
        assert u["first_affected_at"] == min(t["ts"] for t in mine)
        assert u["last_affected_at"] == max(t["ts"] for t in mine)
    assert {s["campaign_id"], s["bad_change_id"], s["fix_change_id"]} == {
        "CMP-NY-INSTANT", BAD_CHANGE_ID, FIX_CHANGE_ID
    }
    assert s["tz"] == "Asia/Shanghai" and s["seed"] == SEED and s["payments"] == PAYMENTS


def test_truth_windows(sample):
    s = sample["summary"]
    utc = lambda v: datetime.fromisoformat(v)  # noqa: E731
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s["first_affected_at"])
    assert utc(s["config_window_start"]) == BAD_AT and s["config_window_start"] == "2025-01-16T06:40:00.000Z"
    assert utc(s["config_window_end"]) == FIX_AT and s["config_window_end"] == "2025-01-16T06:45:00.000Z"
    first, last = utc(s["first_affected_at"]), utc(s["last_affected_at"])
    assert BAD_AT <= first < BAD_AT + timedelta(seconds=30)
    assert FIX_AT < last < FIX_AT + timedelta(seconds=30)
    for t in sample["affected"]:
        assert BAD_AT <= utc(t["ts"]) < FIX_AT + timedelta(seconds=30)
    scenes = Counter(t["scene"] for t in sample["affected"])
    assert scenes["transfer"] > 0 and scenes["credit_card_repayment"] > 0 and scenes["rent"] > 0
    assert not {"ticket", "travel", "utility"} & set(scenes)  # other campaigns are not affected


def test_truth_excess_matches_reference_model_and_data(sample):
    pre_bad, bad = _pre_bad_config(sample), _bad_config(sample)
    loaded = sample["ingest"]["loaded"]
    for t in sample["affected"]:
        amount, discount = Decimal(t["amount"]), Decimal(t["discount"])
        expected = apply(pre_bad, amount, t["scene"])
        assert Decimal(t["expected"]) == expected
        assert Decimal(t["excess"]) == discount - expected != 0
        assert discount == apply(bad, amount, t["scene"])  # every affected payment was priced by v3
        row = loaded[t["txn_id"]]  # the affected payment is loaded, with the same content
        assert row["type"] == "payment" and row["campaign_id"] == "CMP-NY-INSTANT"
        assert (row["user_id"], row["merchant_id"], row["scene"], row["amount"], row["discount"]) == (
            t["user_id"], t["merchant_id"], t["scene"], t["amount"], t["discount"]
        )
        assert datetime.fromisoformat(row["ts"]) == datetime.fromisoformat(t["ts"])


def test_logged_versions_explain_the_discounts(sample):
    """Rows carrying config_version: discount == apply(that version); v3 rows are exactly the truth."""
    configs = _configs(sample)
    bad_version = sample["summary"]["bad_version"]
    bad = _bad_config(sample)
    affected = {t["txn_id"] for t in sample["affected"]}
    seen_bad = seen_logged = seen_unlogged = 0
    for row in sample["ingest"]["loaded"].values():
        if row["type"] != "payment":
            continue
        if row["campaign_id"] == "":
            assert row["discount"] == "0.00" and row["config_version"] == ""
            continue
        assert Decimal(row["discount"]) > 0
        if row["config_version"] == "":
            seen_unlogged += 1
            continue
        seen_logged += 1
        cfg = configs[row["config_version"]]
        assert row["config_version"].startswith(row["campaign_id"] + "@")
        assert Decimal(row["discount"]) == apply(cfg, Decimal(row["amount"]), row["scene"])
        if row["config_version"] == bad_version:
            seen_bad += 1
            assert cfg == bad and cfg.discount_type == "percent"
            assert row["txn_id"] in affected
        else:
            assert row["txn_id"] not in affected
    assert seen_bad > 100 and seen_logged > seen_unlogged > 0


def test_lag_shows_in_the_data(sample):
    """After a change, lagging nodes keep pricing with the previous version for up to 30 s."""
    loaded = sample["ingest"]["loaded"].values()
    travel_old_after = [
        r for r in loaded
        if r["config_version"] == "CMP-TRAVEL-5@v1"
        and datetime.fromisoformat(r["ts"]) >= datetime(2025, 1, 16, 14, 33, tzinfo=CST)
    ]
    for r in travel_old_after:
        assert datetime.fromisoformat(r["ts"]) < datetime(2025, 1, 16, 14, 33, 30, tzinfo=CST)
    bad_after_fix = [
        r for r in loaded
        if r["config_version"] == sample["summary"]["bad_version"] and datetime.fromisoformat(r["ts"]) >= FIX_AT
    ]
    assert bad_after_fix
    assert all(datetime.fromisoformat(r["ts"]) < FIX_AT + timedelta(seconds=30) for r in bad_after_fix)


def test_refunds_and_net(sample):
    loaded = sample["ingest"]["loaded"]
    refunds: dict[str, list[int]] = defaultdict(list)
    for row in loaded.values():
        if row["type"] == "refund":
            orig = loaded[row["original_txn_id"]]  # every refund's payment is loaded
            assert orig["type"] == "payment"
            assert (row["user_id"], row["merchant_id"], row["scene"]) == (
                orig["user_id"], orig["merchant_id"], orig["scene"]
            )
            assert row["discount"] == "0.00" and row["paid"] == "" and row["campaign_id"] == ""
            ts = datetime.fromisoformat(row["ts"])
            assert datetime(2025, 1, 16, 19, tzinfo=CST) <= ts < datetime(2025, 1, 16, 22, 30, tzinfo=CST)
            refunds[row["original_txn_id"]].append(_cents(row["amount"]))
    for orig_id, parts in refunds.items():
        orig = loaded[orig_id]
        assert 0 < sum(parts) <= _cents(orig["amount"]) - _cents(orig["discount"])
    affected = {t["txn_id"]: t for t in sample["affected"]}
    kinds = Counter()
    for txn_id, t in affected.items():
        paid = _cents(t["amount"]) - _cents(t["discount"])
        parts = refunds.get(txn_id, [])
        fully = sum(parts) == paid
        assert t["fully_refunded"] == ("true" if fully else "false")
        if fully:
            kinds["full_two" if len(parts) == 2 else "full_one"] += 1
        elif parts:
            kinds["partial"] += 1
    assert kinds["full_one"] and kinds["full_two"] and kinds["partial"]
    assert sample["summary"]["fully_refunded_affected_txns"] == kinds["full_one"] + kinds["full_two"]
    assert any(orig_id not in affected for orig_id in refunds)  # ordinary refunds too


def test_exploiters(sample):
    s = sample["summary"]
    exploiters = set(s["exploiters"])
    assert len(exploiters) == 40
    window = defaultdict(int)
    for row in sample["ingest"]["loaded"].values():
        if row["type"] == "payment" and row["scene"] in ("transfer", "credit_card_repayment"):
            ts = datetime.fromisoformat(row["ts"])
            if BAD_AT <= ts < FIX_AT + timedelta(seconds=30):
                window[row["user_id"]] += 1
    for user in exploiters:
        assert window[user] >= 10
    assert all(n < 10 for user, n in window.items() if user not in exploiters)  # they stand out
    flagged = {u["user_id"] for u in sample["users"] if u["exploiter"] == "true"}
    assert flagged == exploiters
    big = [
        t for t in sample["affected"]
        if t["user_id"] in exploiters
        and t["scene"] in ("transfer", "credit_card_repayment")
        and Decimal("1000") <= Decimal(t["amount"]) <= Decimal("50000")
    ]
    per_exploiter = Counter(t["user_id"] for t in big)
    assert all(per_exploiter[u] >= 10 for u in exploiters)
    exploit_total = sum(Decimal(t["excess"]) for t in big)
    assert exploit_total > Decimal(s["excess_total"]) / 4  # a large share of the money
    tail = [t for t in big if datetime.fromisoformat(t["ts"]) >= FIX_AT]
    assert tail  # some of their payments landed in the lag tail


def test_traffic_spike(sample):
    per_minute = Counter()
    for row in sample["ingest"]["loaded"].values():
        if row["type"] == "payment":
            ts = datetime.fromisoformat(row["ts"]).astimezone(CST)
            per_minute[(ts.hour, ts.minute)] += 1
    calm = sum(per_minute[(14, m)] for m in range(0, 30)) / 30
    assert per_minute[(14, 44)] > 2.5 * calm
    assert per_minute[(14, 30)] < 1.5 * calm
    assert min(per_minute) == (13, 0) and max(per_minute) == (16, 59)


# ----------------------------------------------------------------------------------------------
# Files: row accounting, formats
# ----------------------------------------------------------------------------------------------


def test_row_accounting(sample):
    out, acct = sample["out"], sample["summary"]["row_accounting"]
    files = acct["files"]
    assert set(files) == {"transactions.csv", "transactions_replay.jsonl", "config_changes.jsonl", "events.csv"}
    lines = {
        "transactions.csv": len((out / "transactions.csv").read_bytes().splitlines()) - 1,
        "events.csv": len(list(csv.reader(io.StringIO((out / "events.csv").read_text(encoding="utf-8"))))) - 1,
        "transactions_replay.jsonl": sum(
            1 for ln in (out / "transactions_replay.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()
        ),
        "config_changes.jsonl": sum(
            1 for ln in (out / "config_changes.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()
        ),
    }
    for name, entry in files.items():
        assert entry["rows_read"] == lines[name], name
        assert entry["rows_read"] == entry["rows_loaded"] + entry["rows_duplicate"] + entry["rows_rejected"]
        assert entry["rows_rejected"] == sum(entry["rejects_by_reason"].values())
    for name in ("config_changes.jsonl", "events.csv"):
        assert files[name]["rows_loaded"] == files[name]["rows_read"]
    for key in ("rows_read", "rows_loaded", "rows_duplicate", "rows_rejected"):
        assert acct["transactions"][key] == files["transactions.csv"][key] + files["transactions_replay.jsonl"][key]

    # the independent ingest agrees reason by reason
    for name, got in sample["ingest"]["files"].items():
        entry = files[name]
        assert got["rows_read"] == entry["rows_read"], name
        assert got["rows_duplicate"] == entry["rows_duplicate"], name
        assert dict(got["rejects"]) == entry["rejects_by_reason"], name
        assert got["loaded"] == entry["rows_loaded"], name
    csv_reasons = files["transactions.csv"]["rejects_by_reason"]
    assert csv_reasons == {
        "malformed_row": 1, "missing_field": 2, "bad_timestamp": 1, "bad_money": 2, "negative_amount": 1,
        "discount_out_of_range": 1, "paid_mismatch": 1, "bad_type": 1, "refund_without_original": 1,
        "conflicting_duplicate": 4,
    }
    assert files["transactions.csv"]["rows_duplicate"] == 30
    assert files["transactions_replay.jsonl"]["rejects_by_reason"] == {"malformed_row": 1, "conflicting_duplicate": 1}
    assert files["transactions_replay.jsonl"]["rows_duplicate"] == 20
    result = sample["result"]
    assert result.transaction_rows_read == acct["transactions"]["rows_read"]
    assert result.transaction_rows_loaded == acct["transactions"]["rows_loaded"] == len(sample["ingest"]["loaded"])


def test_bad_rows_stay_out_of_everything_else(sample):
    """Rejected and conflicting ids are referenced by no refund and appear in no truth."""
    out = sample["out"]
    loaded = sample["ingest"]["loaded"]
    with open(out / "transactions.csv", newline="", encoding="utf-8") as fh:
        ids = Counter(r[0] for r in csv.reader(fh))
    not_loaded = {i for i in ids if i != "txn_id" and i not in loaded}
    assert len(not_loaded) == 11 + 2  # 11 injected bad rows (distinct ids) + 2 conflicting ids
    referenced = {r["original_txn_id"] for r in loaded.values() if r["type"] == "refund"}
    assert not (not_loaded & referenced)
    assert not (not_loaded & {t["txn_id"] for t in sample["affected"]})
    # the cross-file conflict: one replay row disagrees with a loaded CSV row, which stays loaded
    disputed = []
    for ln in (out / "transactions_replay.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            doc = json.loads(ln)
        except json.JSONDecodeError:
            continue
        row = {c: "" if doc[c] is None else doc[c] for c in TRANSACTION_COLUMNS}
        if ids[row["txn_id"]] and loaded[row["txn_id"]] != row:
            disputed.append(row["txn_id"])
    assert len(disputed) == 1 and disputed[0] in loaded
    assert disputed[0] not in referenced and disputed[0] not in {t["txn_id"] for t in sample["affected"]}


def test_transaction_formats(sample):
    out = sample["out"]
    head = (out / "transactions.csv").read_text(encoding="utf-8").splitlines()[:2]
    assert head[0] == ",".join(TRANSACTION_COLUMNS)
    ts_re = re.compile(r"^2025-01-16T\d\d:\d\d:\d\d\.\d{3}\+08:00$")
    for row in sample["ingest"]["loaded"].values():
        assert ts_re.match(row["ts"])
        assert MONEY.match(row["amount"]) and MONEY.match(row["discount"])
        assert re.fullmatch(r"[TR]\d{12}", row["txn_id"])
        assert re.fullmatch(r"U\d{8}", row["user_id"])
        assert re.fullmatch(r"M\d{6}|P\d{8}", row["merchant_id"])
        assert row["scene"] in SCENE_CODE
        if row["type"] == "payment":
            assert _cents(row["paid"]) == _cents(row["amount"]) - _cents(row["discount"])
            assert row["original_txn_id"] == "" and row["txn_id"].startswith("T")
            if row["scene"] == "transfer":
                assert row["merchant_id"].startswith("P")
        else:
            assert row["txn_id"].startswith("R") and row["paid"] == ""
    n_users = len({r["user_id"] for r in sample["ingest"]["loaded"].values()})
    assert PAYMENTS / 12 < n_users < PAYMENTS / 6


def test_config_changes_file(sample):
    changes = sample["changes"]
    assert len({c["change_id"] for c in changes}) == len(changes) == 7
    assert len({c["version"] for c in changes}) == len(changes)
    assert [c["ts"] for c in changes] == sorted(c["ts"] for c in changes)
    for c in changes:
        assert set(c) == {"change_id", "ts", "campaign_id", "actor", "approver", "ticket", "action", "version", "config"}
        assert re.fullmatch(r"2025-01-1\dT\d\d:\d\d:\d\d\.\d{3}Z", c["ts"])
        assert isinstance(c["config"], dict)
    by_id = {c["change_id"]: c for c in changes}
    bad, fix = by_id[BAD_CHANGE_ID], by_id[FIX_CHANGE_ID]
    assert (bad["actor"], bad["approver"], bad["ticket"], bad["action"]) == ("zhang.wei", None, "MKT-2291", "update")
    assert (fix["actor"], fix["approver"], fix["ticket"], fix["action"]) == (
        "oncall.li", "sre.lead.wang", "INC-3317", "rollback"
    )
    assert bad["ts"] == "2025-01-16T06:40:00.000Z" and fix["ts"] == "2025-01-16T06:45:00.000Z"
    assert DiscountConfig.from_json(fix["config"]) == _pre_bad_config(sample)
    assert fix["config"] != next(c for c in changes if c["version"] == "CMP-NY-INSTANT@v2")["config"]  # other spelling
    assert _bad_config(sample) == DiscountConfig("percent", Decimal(20), None, None, ("*",), True)
    travel = [c for c in changes if c["campaign_id"] == "CMP-TRAVEL-5"]
    assert [c["action"] for c in travel] == ["create", "update"] and travel[1]["approver"]
    kinds = {type(c["config"][f]) for c in changes for f in ("discount_value", "min_amount", "max_discount")}
    assert {str, int, float} <= kinds  # numbers and decimal strings both appear
    versions = {c["version"] for c in changes}
    logged = {r["config_version"] for r in sample["ingest"]["loaded"].values()} - {""}
    assert logged <= versions and len(logged) >= 5


def test_events_file(sample):
    with open(sample["out"] / "events.csv", newline="", encoding="utf-8") as fh:
        events = list(csv.DictReader(fh))
    assert list(events[0]) == ["ts", "source", "kind", "title", "detail", "severity", "user_id", "ref"]
    for e in events:
        assert datetime.fromisoformat(e["ts"]).tzinfo is None  # naive local time: ingest needs --tz
    kinds = Counter(e["kind"] for e in events)
    assert {"alert", "ack", "mitigation", "scam_report", "statement"} <= set(kinds)
    assert kinds["scam_report"] >= 3
    alert = next(e for e in events if e["title"] == "Discount rate anomaly on CMP-NY-INSTANT")
    assert alert["source"] == "monitoring" and alert["ts"].startswith("2025-01-16 14:42")
    assert any(e["kind"] == "mitigation" and e["ts"] == "2025-01-16 14:45:00" for e in events)
    assert any(e["kind"] == "statement" and e["ts"].startswith("2025-01-17 09:30") for e in events)
    assert any("优惠撤销" in e["detail"] for e in events)
    assert any(e["kind"] == "incident" and e["ts"] == "2025-01-16 15:10:00" for e in events)  # declared
    assert any(e["kind"] == "resolved" for e in events)
    console = [e for e in events if e["source"] == "config_console"]
    assert {e["ref"] for e in console} == {"CHG-20250116-0039", BAD_CHANGE_ID}


def test_scam_reports_and_their_truth(sample):
    """The reporters: affected users (two report twice), unaffected users, an anonymous call and
    one that gives the account only in the text; the truth counts them from the generator."""
    with open(sample["out"] / "events.csv", newline="", encoding="utf-8") as fh:
        reports = [e for e in csv.DictReader(fh) if e["kind"] == "scam_report"]
    truth = sample["summary"]
    affected = {u["user_id"] for u in sample["users"]}
    assert len(reports) == truth["scam_reports"] == 19
    with_id = [r for r in reports if r["user_id"]]
    assert len(with_id) == 17 and len({r["ref"] for r in reports}) == len(reports)
    linked_ids = set(truth["scam_reporters_affected_ids"])
    assert truth["scam_reporters_affected"] == len(linked_ids) == 13
    by_id = [r for r in with_id if r["user_id"] in linked_ids]
    assert len(by_id) == truth["scam_reports_linked"] - truth["scam_reports_by_text"] == 14
    assert len({r["user_id"] for r in by_id}) == 12  # two users reported twice
    text_only = [r for r in reports if not r["user_id"] and any(u in r["detail"] for u in linked_ids)]
    assert len(text_only) == truth["scam_reports_by_text"] == 1
    first = min(datetime.fromisoformat(r["ts"]).replace(tzinfo=CST) for r in reports)
    assert first.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z") == truth["first_scam_report_at"]
    assert sum(truth["scam_domains"].values()) == sum(any(d in r["detail"] for d in truth["scam_domains"])
                                                      for r in reports)
    assert linked_ids <= affected
    assert all(r["user_id"] not in affected for r in with_id if r["user_id"] not in linked_ids)  # 3 unaffected


def test_readme(sample):
    text = sample["result"].readme.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 12
    assert (
        "analyzer ingest --db incident.duckdb --transactions transactions.csv transactions_replay.jsonl "
        "--config-changes config_changes.jsonl --events events.csv --tz Asia/Shanghai"
    ) in text
