"""The feature-flag audit-log readers (Unleash, LaunchDarkly, Flagsmith) on fixtures of the real
formats (tests/fixtures/formats/, sources in SOURCES.md), and the sample incident written in each
format, analyzed to the cent against the sample's truth."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from analyzer.analysis.pipeline import analyze
from analyzer.analysis.summary import load_summary
from analyzer.db import Database
from analyzer.errors import ExitCode
from analyzer.ingest import ingest, readers
from analyzer.ingest.kinds import CONFIG_CHANGES
from analyzer.ingest.sniff import HEAD_BYTES
from analyzer.ingest.sniff import sample as sniff_sample
from tests.conftest import FIXTURES

FORMATS = FIXTURES / "formats"
UNLEASH = FORMATS / "unleash"
LAUNCHDARKLY = FORMATS / "launchdarkly"
FLAGSMITH = FORMATS / "flagsmith"

FIXED = {"discount.type": "FIXED", "discount.value": "0.50", "discount.cap": "", "discount.min_amount": "10.00",
         "discount.scenes": "shopping,food_delivery", "enabled": "true"}
PERCENT = {"discount.type": "PERCENT", "discount.value": "20", "discount.cap": "", "discount.min_amount": "10.00",
           "discount.scenes": "*", "enabled": "true"}
FLAG_READERS = ("unleash", "launchdarkly", "flagsmith")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def mapping_file(tmp_path: Path, obj: str, *, value_key: str = "discount.value") -> Path:
    """A mapping of one object (the fixtures' flat config) onto campaign SPRING-25."""
    path = tmp_path / "mapping.toml"
    path.write_text(f"""
[[campaigns]]
campaign_id = "SPRING-25"
object = "{obj}"
discount_type = {{ key = "discount.type", map = {{ FIXED = "fixed", PERCENT = "percent" }} }}
discount_value = {{ key = "{value_key}" }}
max_discount = {{ key = "discount.cap" }}
min_amount = {{ key = "discount.min_amount" }}
scenes = {{ key = "discount.scenes", split = "," }}
enabled = {{ key = "enabled" }}
""", encoding="utf-8")
    return path


def load(tmp_path: Path, path: Path, mapping: Path | None = None, name: str = "t.duckdb"):
    """Ingest one config log; (its changes ordered by ts and line, its manifest row, its rejects)."""
    with Database(tmp_path / name) as db:
        ingest(db, config_changes=[path], mapping=mapping)
        rows = db.dicts("""SELECT change_id, ts, actor, approver, ticket, action, version, object, config_raw,
                                  previous_raw, source_format, seq, line, campaign_id, discount_type, discount_value,
                                  min_amount, scenes, enabled
                           FROM config_changes ORDER BY ts, line, change_id""")
        (manifest,) = db.dicts("SELECT * FROM load_manifest")
        rejects = db.dicts("SELECT line, record_key, reason, field, message FROM rejects ORDER BY line")
    for row in rows:
        for column in ("config_raw", "previous_raw"):
            row[column] = None if row[column] is None else json.loads(row[column])
    return rows, manifest, rejects


def accounting(m: dict) -> tuple[int, int, int, int, int]:
    assert m["rows_read"] == m["rows_loaded"] + m["rows_duplicate"] + m["rows_rejected"]
    return m["rows_read"], m["rows_loaded"], m["rows_duplicate"], m["rows_rejected"], m["rows_skipped"]


def keyed(rows: list[dict], *columns: str) -> list[tuple]:
    return [tuple(r[c] for c in columns) for r in rows]


# --- detection ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path,name", [
    (UNLEASH / "admin_events_response.json", "unleash"),
    (UNLEASH / "events_array.json", "unleash"),
    (UNLEASH / "events.jsonl", "unleash"),
    (LAUNCHDARKLY / "auditlog_list_response.json", "launchdarkly"),
    (LAUNCHDARKLY / "webhook_payload_flag_update.json", "launchdarkly"),
    (FLAGSMITH / "webhook_flag_updated.json", "flagsmith"),
    (FLAGSMITH / "webhooks_array.json", "flagsmith"),
    (FLAGSMITH / "webhooks.jsonl", "flagsmith"),
])
def test_each_format_is_detected_by_its_reader_alone(path, name):
    sample = sniff_sample(path)
    scores = {r.name: r.sniff(sample) for r in readers.READERS if r.name in FLAG_READERS}
    assert scores[name] >= 50
    assert all(score == 0 for other, score in scores.items() if other != name), scores
    assert readers.choose(sample, CONFIG_CHANGES, None).name == name


def test_flag_readers_leave_other_files_alone(sample_dir):
    others = [sample_dir / "config_changes.jsonl", sample_dir / "transactions.csv",
              sample_dir / "transactions_replay.jsonl", FORMATS / "k8s-audit" / "kube-apiserver-audit.log",
              FORMATS / "apollo" / "ReleaseHistory.csv"]
    for path in others:
        sample = sniff_sample(path)
        assert {r.name: r.sniff(sample) for r in readers.READERS if r.name in FLAG_READERS} == \
            dict.fromkeys(FLAG_READERS, 0), path.name


# --- Unleash ---------------------------------------------------------------------------------------
UNLEASH_ROWS = [  # change_id, ts, actor, action, object, config_raw, previous_raw, line
    ("1013", utc(2025, 1, 15, 2, 1, 10, 552000), "wang.fang@example.com", "create",
     "default/spring-instant-25/production", FIXED, None, 2),
    # an environment toggle carries no data: the configuration the strategy left, unchanged
    ("1015", utc(2025, 1, 15, 2, 2, 0, 91000), "wang.fang@example.com", "enable",
     "default/spring-instant-25/production", FIXED, FIXED, 4),
    ("1187", utc(2025, 1, 16, 3, 20, 0, 633000), "chen.jie@example.com", "disable",
     "default/new-checkout-ui/production", None, None, 5),
    ("1203", utc(2025, 1, 16, 6, 40, 0, 317000), "zhang.wei@example.com", "update",
     "default/spring-instant-25/production", PERCENT, FIXED, 6),
    ("1206", utc(2025, 1, 16, 6, 45, 0, 902000), "ops.li@example.com", "update",
     "default/spring-instant-25/production", FIXED, PERCENT, 7),
]
UNLEASH_COLUMNS = ("change_id", "ts", "actor", "action", "object", "config_raw", "previous_raw")


def test_unleash_events_as_changes(tmp_path):
    rows, m, rejects = load(tmp_path, UNLEASH / "events.jsonl")
    assert keyed(rows, *UNLEASH_COLUMNS, "line") == UNLEASH_ROWS
    # events carry no version: the id is the version and orders changes at one instant
    assert all(r["version"] == r["change_id"] and r["seq"] == int(r["change_id"]) for r in rows)
    assert {r["source_format"] for r in rows} == {"unleash"} and {r["campaign_id"] for r in rows} == {None}
    assert rejects == []
    # feature-created and feature-tagged are not changes: skipped, never rows
    assert accounting(m) == (5, 5, 0, 0, 2) and m["format"] == "unleash"


def test_unleash_response_array_and_lines_give_the_same_rows(tmp_path):
    got = {}
    for path in (UNLEASH / "admin_events_response.json", UNLEASH / "events_array.json", UNLEASH / "events.jsonl"):
        rows, m, _rejects = load(tmp_path, path, name=path.stem + ".duckdb")
        got[path.name] = (keyed(rows, *UNLEASH_COLUMNS, "version", "seq"), accounting(m))
    assert len(set(map(repr, got.values()))) == 1
    assert got["events.jsonl"][0] == [(*r[:-1], r[0], int(r[0])) for r in UNLEASH_ROWS]


def test_unleash_lines_keep_their_numbers_through_crlf_blank_lines_and_gzip(tmp_path):
    lines = (UNLEASH / "events.jsonl").read_text(encoding="utf-8").splitlines()
    text = "\r\n".join([*lines[:2], "", "not json", *lines[2:]]) + "\r\n"
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    rows, m, rejects = load(tmp_path, path)
    assert keyed(rows, "change_id", "line") == [("1013", 2), ("1015", 6), ("1187", 7), ("1203", 8), ("1206", 9)]
    assert keyed(rejects, "line", "reason") == [(4, "malformed_row")]
    assert accounting(m) == (6, 5, 0, 1, 3)  # skipped: the two other event types and the blank line


def test_unleash_mapped_flag_becomes_the_campaign_and_others_stay_context(tmp_path):
    mapping = mapping_file(tmp_path, "default/spring-instant-25/production")
    rows, m, rejects = load(tmp_path, UNLEASH / "admin_events_response.json", mapping)
    assert keyed(rows, "change_id", "campaign_id", "discount_type", "discount_value", "min_amount", "scenes",
                 "enabled") == [
        ("1013", "SPRING-25", "fixed", Decimal("0.5"), Decimal("10.00"), ["shopping", "food_delivery"], True),
        ("1015", "SPRING-25", "fixed", Decimal("0.5"), Decimal("10.00"), ["shopping", "food_delivery"], True),
        ("1187", None, None, None, None, None, None),  # another flag: loaded as context, never priced
        ("1203", "SPRING-25", "percent", Decimal("20"), Decimal("10.00"), ["*"], True),
        ("1206", "SPRING-25", "fixed", Decimal("0.5"), Decimal("10.00"), ["shopping", "food_delivery"], True),
    ]
    assert rejects == [] and accounting(m) == (5, 5, 0, 0, 2)


def test_unleash_environment_disabled_disables_the_campaign_with_its_last_config(tmp_path):
    lines = (UNLEASH / "events.jsonl").read_text(encoding="utf-8").splitlines()
    off = json.loads(next(line for line in lines if '"feature-environment-disabled"' in line))
    off.update(id=1210, featureName="spring-instant-25", createdAt="2025-01-16T06:50:00.000Z")
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([*lines, json.dumps(off)]) + "\n", encoding="utf-8")
    rows, _m, rejects = load(tmp_path, path, mapping_file(tmp_path, "default/spring-instant-25/production"))
    last = rows[-1]
    assert (last["change_id"], last["action"], last["config_raw"], last["previous_raw"]) == ("1210", "disable", FIXED, FIXED)
    assert (last["discount_type"], last["discount_value"], last["enabled"]) == ("fixed", Decimal("0.5"), False)
    assert rejects == []


def test_unleash_mapped_change_without_a_model_field_is_quarantined_naming_it(tmp_path):
    mapping = mapping_file(tmp_path, "default/spring-instant-25/production", value_key="discount.amount")
    rows, m, rejects = load(tmp_path, UNLEASH / "events.jsonl", mapping)
    assert keyed(rows, "change_id", "campaign_id") == [("1187", None)]
    assert keyed(rejects, "record_key", "reason", "field") == [
        ("1013", "bad_config", "discount_value"), ("1015", "bad_config", "discount_value"),
        ("1203", "bad_config", "discount_value"), ("1206", "bad_config", "discount_value")]
    assert all("'discount.amount'" in r["message"] for r in rejects)
    assert accounting(m) == (5, 1, 0, 4, 2)


def test_a_mapping_may_read_any_field_of_the_record(tmp_path):
    mapping = tmp_path / "ticket.toml"
    mapping.write_text('[config_changes]\nticket = "data.title"\n', encoding="utf-8")
    rows, _m, _rejects = load(tmp_path, UNLEASH / "events.jsonl", mapping)
    assert keyed(rows, "change_id", "ticket") == [
        ("1013", "spring-instant-25 campaign config"), ("1015", None), ("1187", None),
        ("1203", "spring-instant-25 campaign config"), ("1206", "spring-instant-25 campaign config")]


# --- LaunchDarkly ----------------------------------------------------------------------------------
TO_PERCENT = ("* Changed the value of variation `campaign-config` from ~~`" + json.dumps(FIXED, separators=(",", ":"))
              + "`~~ to `" + json.dumps(PERCENT, separators=(",", ":")) + "`")
TO_FIXED = ("* Changed the value of variation `campaign-config` from ~~`" + json.dumps(PERCENT, separators=(",", ":"))
            + "`~~ to `" + json.dumps(FIXED, separators=(",", ":")) + "`")


def test_launchdarkly_list_entries_one_change_per_flag_environment(tmp_path):
    rows, m, rejects = load(tmp_path, LAUNCHDARKLY / "auditlog_list_response.json")
    flag = "Spring instant discount 25"
    # the ticket: the comment, the title without its link, and (no versions here) the description
    assert keyed(rows, "change_id", "ts", "actor", "action", "object", "ticket") == [
        ("678716a0c1d2e3f4a5b6c701/production", utc(2025, 1, 15, 2, 0, 0, 184000), "wang.fang@example.com", "create",
         "default/production/spring-instant-25", f"Fang created the flag {flag}"),
        ("678716a0c1d2e3f4a5b6c701/test", utc(2025, 1, 15, 2, 0, 0, 184000), "wang.fang@example.com", "create",
         "default/test/spring-instant-25", f"Fang created the flag {flag}"),
        ("67871718c1d2e3f4a5b6c702/production", utc(2025, 1, 15, 2, 2, 0, 91000), "wang.fang@example.com", "enable",
         "default/production/spring-instant-25", f"Fang updated the flag {flag} in `Production`; * Turned the flag on"),
        ("67887ae0c1d2e3f4a5b6c7a3/production", utc(2025, 1, 16, 3, 20, 0, 633000), "chen.jie@example.com", "disable",
         "default/production/new-checkout-ui",
         "rollback of UI experiment; Jie updated the flag New checkout UI in `Production`; * Turned the flag off"),
        ("6788a9c0c1d2e3f4a5b6c7b1/production", utc(2025, 1, 16, 6, 40, 0, 317000), "zhang.wei@example.com", "update",
         "default/production/spring-instant-25", f"Wei updated the flag {flag}; {TO_PERCENT}"),
        ("6788a9c0c1d2e3f4a5b6c7b1/test", utc(2025, 1, 16, 6, 40, 0, 317000), "zhang.wei@example.com", "update",
         "default/test/spring-instant-25", f"Wei updated the flag {flag}; {TO_PERCENT}"),
        ("6788aaecc1d2e3f4a5b6c7b9/production", utc(2025, 1, 16, 6, 45, 0, 902000), "ops.li@example.com", "update",
         "default/production/spring-instant-25", f"rollback: restore FIXED 0.50; Li updated the flag {flag}; {TO_FIXED}"),
        ("6788aaecc1d2e3f4a5b6c7b9/test", utc(2025, 1, 16, 6, 45, 0, 902000), "ops.li@example.com", "update",
         "default/test/spring-instant-25", f"rollback: restore FIXED 0.50; Li updated the flag {flag}; {TO_FIXED}"),
    ]
    # list entries carry no flag versions: no configuration, and the entry's id as the version
    assert all(r["config_raw"] is None and r["previous_raw"] is None for r in rows)
    assert [r["version"] for r in rows] == [r["change_id"].split("/")[0] for r in rows]
    assert {r["line"] for r in rows} == {1, 2, 3, 4, 5} and rejects == []
    assert accounting(m) == (8, 8, 0, 0, 0) and m["format"] == "launchdarkly"


def test_launchdarkly_webhook_keeps_its_ticket_without_the_description(tmp_path):
    rows, _m, _rejects = load(tmp_path, LAUNCHDARKLY / "webhook_payload_flag_update.json")
    assert {r["ticket"] for r in rows} == {"Wei updated the flag Spring instant discount 25"}


def test_launchdarkly_webhook_has_the_served_config_before_and_after(tmp_path):
    rows, m, _rejects = load(tmp_path, LAUNCHDARKLY / "webhook_payload_flag_update.json")
    assert keyed(rows, "change_id", "ts", "version", "config_raw", "previous_raw") == [
        ("6788a9c0c1d2e3f4a5b6c7b1/production", utc(2025, 1, 16, 6, 40, 0, 317000), "3", PERCENT, FIXED),
        ("6788a9c0c1d2e3f4a5b6c7b1/test", utc(2025, 1, 16, 6, 40, 0, 317000), "2", PERCENT, FIXED),
    ]
    assert accounting(m) == (2, 2, 0, 0, 0)


def test_launchdarkly_flag_off_in_an_environment_disables_its_campaign(tmp_path):
    mapping = mapping_file(tmp_path, "default/production/spring-instant-25")
    with mapping.open("a", encoding="utf-8") as fh:  # the same flag in test, where it is off
        fh.write(mapping.read_text(encoding="utf-8").split("\n", 1)[1]
                 .replace("SPRING-25", "SPRING-25-TEST").replace("/production/", "/test/"))
    rows, _m, rejects = load(tmp_path, LAUNCHDARKLY / "webhook_payload_flag_update.json", mapping)
    assert keyed(rows, "campaign_id", "discount_type", "discount_value", "enabled") == [
        ("SPRING-25", "percent", Decimal("20"), True), ("SPRING-25-TEST", "percent", Decimal("20"), False)]
    assert rejects == []


def test_launchdarkly_list_entries_of_a_mapped_flag_are_quarantined_for_their_missing_config(tmp_path):
    mapping = mapping_file(tmp_path, "default/production/spring-instant-25")
    rows, m, rejects = load(tmp_path, LAUNCHDARKLY / "auditlog_list_response.json", mapping)
    assert keyed(rejects, "record_key", "reason", "field") == [
        (f"{i}/production", "bad_config", "config_raw") for i in
        ("6788aaecc1d2e3f4a5b6c7b9", "6788a9c0c1d2e3f4a5b6c7b1", "67871718c1d2e3f4a5b6c702", "678716a0c1d2e3f4a5b6c701")]
    assert all("no configuration after this change" in r["message"] for r in rejects)
    assert {r["campaign_id"] for r in rows} == {None} and accounting(m) == (8, 4, 0, 4, 0)


def test_launchdarkly_retried_delivery_collapses_and_other_entries_are_skipped(tmp_path):
    entry = json.loads((LAUNCHDARKLY / "webhook_payload_flag_update.json").read_text(encoding="utf-8"))
    renamed = {**entry, "_id": "6788a9d0c1d2e3f4a5b6c7b2", "accesses": [
        {"action": "updateName", "resource": "proj/default:env/production:flag/spring-instant-25"}]}
    segment = {**entry, "_id": "6788a9e0c1d2e3f4a5b6c7b3", "kind": "segment", "accesses": [
        {"action": "updateIncluded", "resource": "proj/default:env/production:segment/vip"}]}
    path = tmp_path / "webhooks.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in (entry, renamed, entry, segment)), encoding="utf-8")
    rows, m, rejects = load(tmp_path, path)
    assert keyed(rows, "change_id", "line") == [("6788a9c0c1d2e3f4a5b6c7b1/production", 1),
                                                ("6788a9c0c1d2e3f4a5b6c7b1/test", 1)]
    assert rejects == [] and accounting(m) == (4, 2, 2, 0, 2)


# --- Flagsmith -------------------------------------------------------------------------------------
FLAGSMITH_ROWS = [  # change_id, ts, actor, action, object, config_raw, previous_raw
    ("41/7168/2025-01-15T02:00:00.184312Z", utc(2025, 1, 15, 2, 0, 0, 184312), "wang.fang@example.com", "create",
     "Production/spring-instant-25", None, None),
    ("41/7168/2025-01-15T02:01:10.552907Z", utc(2025, 1, 15, 2, 1, 10, 552907), "wang.fang@example.com", "update",
     "Production/spring-instant-25", FIXED, None),
    ("41/7168/2025-01-15T02:02:00.091466Z", utc(2025, 1, 15, 2, 2, 0, 91466), "wang.fang@example.com", "enable",
     "Production/spring-instant-25", FIXED, FIXED),
    ("41/6903/2025-01-16T03:20:00.633018Z", utc(2025, 1, 16, 3, 20, 0, 633018), "chen.jie@example.com", "disable",
     "Production/new_checkout_ui", None, None),
    ("41/7168/2025-01-16T06:40:00.412345Z", utc(2025, 1, 16, 6, 40, 0, 412345), "zhang.wei@example.com", "update",
     "Production/spring-instant-25", PERCENT, FIXED),
    ("41/7168/2025-01-16T06:45:00.208811Z", utc(2025, 1, 16, 6, 45, 0, 208811), "ops.li@example.com", "update",
     "Production/spring-instant-25", FIXED, PERCENT),
]


def test_flagsmith_webhooks_as_changes(tmp_path):
    rows, m, rejects = load(tmp_path, FLAGSMITH / "webhooks.jsonl")
    assert keyed(rows, "change_id", "ts", "actor", "action", "object", "config_raw", "previous_raw") == FLAGSMITH_ROWS
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 6, 7]  # line 5: an identity override, skipped
    assert all(r["version"] == r["change_id"] and r["source_format"] == "flagsmith" for r in rows)
    assert rejects == [] and accounting(m) == (6, 6, 0, 0, 1)


def test_flagsmith_one_body_an_array_and_lines_give_the_same_rows(tmp_path):
    columns = ("change_id", "ts", "actor", "action", "object", "config_raw", "previous_raw")
    single, _m, _r = load(tmp_path, FLAGSMITH / "webhook_flag_updated.json", name="one.duckdb")
    array, _m, _r = load(tmp_path, FLAGSMITH / "webhooks_array.json", name="array.duckdb")
    assert keyed(single, *columns) == [FLAGSMITH_ROWS[4]]
    assert keyed(array, *columns) == FLAGSMITH_ROWS


def test_flagsmith_off_flag_disables_the_campaign_and_overrides_are_skipped(tmp_path):
    bodies = [json.loads(line) for line in (FLAGSMITH / "webhooks.jsonl").read_text(encoding="utf-8").splitlines()]
    segment = json.loads(json.dumps(bodies[5]))
    segment["data"]["new_state"]["feature_segment"] = {"segment": {"id": 3, "name": "staff"}, "priority": 0}
    segment["data"]["timestamp"] = "2025-01-16T06:41:00.000000Z"
    deleted = {"data": {"changed_by": "ops.li@example.com", "new_state": None,
                        "previous_state": bodies[6]["data"]["new_state"], "timestamp": "2025-01-16T08:00:00.000000Z"},
               "event_type": "FLAG_DELETED"}
    audit = {"data": {"created_date": "2025-01-16T08:00:00Z", "log": "Flag state updated"}, "event_type": "AUDIT_LOG_CREATED"}
    path = tmp_path / "webhooks.jsonl"
    path.write_text("".join(json.dumps(b, sort_keys=True) + "\n" for b in [*bodies, segment, deleted, audit]),
                    encoding="utf-8")
    rows, m, rejects = load(tmp_path, path, mapping_file(tmp_path, "Production/spring-instant-25"))
    assert keyed(rows, "action", "campaign_id", "discount_type", "discount_value", "enabled") == [
        ("create", "SPRING-25", "none", Decimal("0"), False),       # created empty and off: no discount, no error
        ("update", "SPRING-25", "fixed", Decimal("0.5"), False),    # a value, but the flag is still off
        ("enable", "SPRING-25", "fixed", Decimal("0.5"), True),
        ("disable", None, None, None, None),                        # another feature: context
        ("update", "SPRING-25", "percent", Decimal("20"), True),
        ("update", "SPRING-25", "fixed", Decimal("0.5"), True),
        ("delete", "SPRING-25", "none", Decimal("0"), False),       # deleted: nothing served any more
    ]
    assert rows[-1]["config_raw"] is None and rows[-1]["previous_raw"] == FIXED
    assert rejects == [] and accounting(m) == (7, 7, 0, 0, 3)  # skipped: identity, segment, audit log


# --- the CLI ---------------------------------------------------------------------------------------
def test_cli_ingests_a_flag_log_and_names_its_format(tmp_path, cli):
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--config-changes", LAUNCHDARKLY / "webhook_payload_flag_update.json")
    assert res.code == 0, res.stderr
    row = next(line for line in res.stdout.splitlines() if "webhook_payload" in line)
    assert "launchdarkly" in row and "config_changes" in row


def test_cli_refuses_a_flag_log_given_as_transactions(tmp_path, cli):
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--transactions", UNLEASH / "events.jsonl")
    assert res.code == ExitCode.INPUT_ERROR
    assert "this is unleash (a config-change log), not transactions; pass it with --config-changes" in res.stderr


def test_cli_a_log_of_only_skipped_events_loads_nothing_and_says_so(tmp_path, cli):
    lines = (UNLEASH / "events.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "tags.jsonl"
    path.write_text("\n".join(ln for ln in lines if '"feature-created"' in ln or '"feature-tagged"' in ln) + "\n",
                    encoding="utf-8")
    res = cli("ingest", "--db", tmp_path / "t.duckdb", "--config-changes", path)
    assert res.code == ExitCode.DATA_ERROR
    assert "tags.jsonl (unleash): nothing loaded, no row recognised (2 lines skipped as not rows)" in res.stderr


def test_cli_sample_writes_each_flag_format(tmp_path, cli):
    res = cli("sample", "--out", tmp_path, "--payments", "1000", "--format", "unleash", "--format", "launchdarkly",
              "--format", "flagsmith")
    assert res.code == 0, res.stderr
    for name, log in (("unleash", "admin_events.json"), ("launchdarkly", "auditlog_webhooks.jsonl"),
                      ("flagsmith", "webhooks.jsonl")):
        folder = tmp_path / "formats" / name
        assert f"--config-changes {folder / log}" in res.stdout and f"--mapping {folder / 'mapping.toml'}" in res.stdout
        assert readers.choose(sniff_sample(folder / log), CONFIG_CHANGES, None).name == name


# --- the sample incident in each format, against its truth ---------------------------------------
SKIPPED = {"unleash": 3, "launchdarkly": 0, "flagsmith": 1}  # feature-created events; one identity override


@pytest.fixture(scope="module")
def formats_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("formats")


@pytest.mark.parametrize("name", FLAG_READERS)
def test_sample_in_flag_format_gives_the_truth(name, sample_dir, truth, formats_dir, tmp_path):
    import importlib

    from analyzer import sample_formats

    written = sample_formats.write(name, sample_dir, formats_dir)
    ids = importlib.import_module(f"analyzer.sample_formats.{name}").change_ids(sample_dir)
    with Database(tmp_path / "t.duckdb") as db:
        ingest(db, transactions=[sample_dir / "transactions.csv", sample_dir / "transactions_replay.jsonl"],
               config_changes=list(written.files), events=[sample_dir / "events.csv"], mapping=written.mapping,
               tz="Asia/Shanghai")
        (log,) = db.dicts("SELECT * FROM load_manifest WHERE kind = 'config_changes'")
        analyze(db)
        summary = load_summary(db)
        timeline = db.dicts("SELECT role, ref_id, title, detail FROM timeline WHERE role IN ('bad_change', 'fix_change') "
                            "ORDER BY ts")
    assert log["format"] == name and log["rows_rejected"] == 0 and log["rows_skipped"] == SKIPPED[name]
    assert log["rows_read"] == log["rows_loaded"] + log["rows_duplicate"]
    for key in ("campaign_id", "affected_txns", "affected_users", "affected_merchants", "excess_total",
                "net_excess_total"):
        assert summary[key] == truth[key], key
    for key in ("first_affected_at", "last_affected_at", "config_window_start", "config_window_end"):
        assert datetime.fromisoformat(summary[key]) == datetime.fromisoformat(truth[key].replace("Z", "+00:00")), key
    assert summary["bad_change_inferred"] is True
    assert (summary["bad_change_id"], summary["fix_change_id"]) == (ids[truth["bad_change_id"]],
                                                                      ids[truth["fix_change_id"]])
    # the timeline names them, their actor and (LaunchDarkly: the author's comment) their ticket
    assert [(t["role"], t["ref_id"]) for t in timeline] == [("bad_change", ids[truth["bad_change_id"]]),
                                                            ("fix_change", ids[truth["fix_change_id"]])]
    assert "zhang.wei" in timeline[0]["title"] and "oncall.li" in timeline[1]["title"]
    if name == "launchdarkly":
        assert "ticket: MKT-2291" in timeline[0]["detail"] and "ticket: INC-3317" in timeline[1]["detail"]


def test_responses_longer_than_the_sampled_head_are_still_recognised(tmp_path):
    events = json.loads((UNLEASH / "admin_events_response.json").read_text(encoding="utf-8"))["events"]
    many = [{**e, "id": 10_000 + n, "createdAt": f"2025-01-{10 + n // 1000:02d}T00:00:{n % 60:02d}.{n % 1000:03d}Z"}
            for n, e in enumerate(events * 150)]
    unleash = tmp_path / "events.json"  # one line, as the API returns it
    unleash.write_text(json.dumps({"version": 1, "events": many, "totalEvents": len(many)}), encoding="utf-8")
    items = json.loads((LAUNCHDARKLY / "auditlog_list_response.json").read_text(encoding="utf-8"))["items"]
    ld = tmp_path / "auditlog.json"  # pretty-printed
    ld.write_text(json.dumps({"items": [{**e, "_id": f"{n:024x}", "date": 1736900000000 + n}
                                        for n, e in enumerate(items * 150)], "_links": {}}, indent=2), encoding="utf-8")
    for path, name, rows_read, skipped in ((unleash, "unleash", 750, 300), (ld, "launchdarkly", 1200, 0)):
        assert path.stat().st_size > 2 * HEAD_BYTES and not sniff_sample(path).json.keys  # the head holds no record
        rows, m, rejects = load(tmp_path, path, name=f"{name}.duckdb")
        assert m["format"] == name and rejects == []
        assert accounting(m) == (rows_read, rows_read, 0, 0, skipped)
