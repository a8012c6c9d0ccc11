"""The config-centre and cluster readers: Apollo (ApolloConfigDB), Nacos (his_config_info +
config_info) and Kubernetes audit logs (ConfigMaps).

Every value asserted here is read off the fixtures by hand (tests/fixtures/formats/SOURCES.md
tells their scenario): UTC instants of naive database times at +08:00, objects, actions,
the raw configuration after and before each change. The last tests write the sample incident
in each format and check that its analysis gives the sample's truth to the cent.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analyzer.analysis.pipeline import analyze
from analyzer.analysis.summary import load_summary
from analyzer.db import Database
from analyzer.errors import InputError
from analyzer.ingest import ingest
from analyzer.ingest.readers import by_name
from analyzer.ingest.readers.config_text import parse_properties, to_json
from tests.conftest import FIXTURES, run_cli

FORMATS = FIXTURES / "formats"
APOLLO, NACOS, K8S = FORMATS / "apollo", FORMATS / "nacos", FORMATS / "k8s-audit"
K8S_LOG = K8S / "kube-apiserver-audit.log"
TZ = "Asia/Shanghai"

SPRING_GOOD = {"discount.type": "FIXED", "discount.value": "0.50", "discount.cap": "", "discount.min_amount": "10.00",
               "discount.scenes": "shopping,food_delivery", "enabled": "true"}
SPRING_BAD = {**SPRING_GOOD, "discount.type": "PERCENT", "discount.value": "20", "discount.scenes": "*"}
CAMPAIGN_FIELDS = """discount_type = { key = "discount.type", map = { FIXED = "fixed", PERCENT = "percent" } }
discount_value = { key = "discount.value" }
max_discount = { key = "discount.cap" }
min_amount = { key = "discount.min_amount" }
scenes = { key = "discount.scenes", split = "," }
enabled = { key = "enabled" }
"""


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def load(tmp_path: Path, *files: Path, **options):
    db_path = tmp_path / "cfg.duckdb"
    with Database(db_path) as db:
        report = ingest(db, config_changes=list(files), **options)
        rows = db.dicts("SELECT c.*, m.path AS file FROM config_changes c JOIN load_manifest m USING (file_id) "
                        "ORDER BY c.ts, c.change_id")
        rejects = db.dicts("SELECT * FROM rejects ORDER BY file_id, line")
    for f in report.files:
        assert f.reconciles, f
    by_id = {r["change_id"]: r for r in rows}
    assert len(by_id) == len(rows)
    return report, by_id, rejects


def raw(text: str | None):
    return None if text is None else json.loads(text)


def counts(report) -> list[tuple[str, int, int, int, int, int]]:
    return [(Path(f.path).name, f.rows_read, f.rows_loaded, f.rows_duplicate, f.rows_rejected, f.rows_skipped)
            for f in report.files]


# --- Apollo ----------------------------------------------------------------------------------------
def test_apollo_two_tables_give_every_main_line_change(tmp_path):
    report, got, rejects = load(tmp_path, APOLLO / "ReleaseHistory.csv", APOLLO / "Release.csv", tz=TZ)
    assert not rejects
    # history: 6 rows, the gray publish (205, Operation 2) skipped; Release: releases 98, 101-103 give
    # again the changes that published them (duplicates), the gray release 104 is skipped
    assert counts(report) == [("ReleaseHistory.csv", 5, 5, 0, 0, 1), ("Release.csv", 4, 0, 4, 0, 1)]
    assert list(got) == ["190", "201", "202", "203", "204"]
    assert {k: (r["ts"], r["actor"], r["action"], r["object"], r["line"]) for k, r in got.items()} == {
        "190": (utc(2025, 1, 10, 1, 30, 12), "chen.jie", "create", "marketing-promo/default/application", 2),
        "201": (utc(2025, 1, 15, 2, 0), "wang.fang", "create", "marketing-promo/default/spring-instant-25", 3),
        "202": (utc(2025, 1, 16, 3, 20), "chen.jie", "update", "marketing-promo/default/application", 4),
        "203": (utc(2025, 1, 16, 6, 40), "zhang.wei", "update", "marketing-promo/default/spring-instant-25", 5),
        "204": (utc(2025, 1, 16, 6, 45), "ops.li", "rollback", "marketing-promo/default/spring-instant-25", 6),
    }
    assert raw(got["201"]["config_raw"]) == SPRING_GOOD and got["201"]["previous_raw"] is None
    assert raw(got["203"]["config_raw"]) == SPRING_BAD and raw(got["203"]["previous_raw"]) == SPRING_GOOD
    assert got["203"]["version"] == "20250116144000-7b1e4d51a6c20f33"
    assert got["201"]["ticket"] == "spring campaign launch" and got["203"]["ticket"] is None
    assert {r["source_format"] for r in got.values()} == {"apollo"}
    assert all(r["campaign_id"] is None and r["config"] is None for r in got.values())  # unmapped: context
    assert [r["seq"] for r in got.values()] == [190, 201, 202, 203, 204]


def test_apollo_rollback_points_at_the_restored_release(tmp_path):
    _report, got, _rejects = load(tmp_path, APOLLO / "ReleaseHistory.csv", APOLLO / "Release.csv", tz=TZ)
    rollback = got["204"]
    # ReleaseId 101 is restored (its key, its configuration), PreviousReleaseId 103 abandoned
    assert rollback["version"] == "20250115100000-7b1e0a2c4d3f9e81" == got["201"]["version"]
    assert raw(rollback["config_raw"]) == SPRING_GOOD and raw(rollback["previous_raw"]) == SPRING_BAD
    assert rollback["ticket"] is None  # the restored release's comment is not the rollback's


def test_apollo_joined_export_gives_the_same_changes(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    report, joined, _ = load(tmp_path / "a", APOLLO / "release_history_with_release.csv", tz=TZ)
    _, tables, _ = load(tmp_path / "b", APOLLO / "ReleaseHistory.csv", APOLLO / "Release.csv", tz=TZ)
    assert counts(report) == [("release_history_with_release.csv", 5, 5, 0, 0, 1)]
    keys = ("ts", "actor", "action", "version", "ticket", "object", "config_raw", "previous_raw", "seq", "line")
    assert {k: [r[c] for c in keys] for k, r in joined.items()} == {k: [r[c] for c in keys] for k, r in tables.items()}


def test_apollo_release_table_first_loads_the_same_changes(tmp_path):
    report, got, _ = load(tmp_path, APOLLO / "Release.csv", APOLLO / "ReleaseHistory.csv", tz=TZ)
    assert counts(report) == [("Release.csv", 4, 4, 0, 0, 1), ("ReleaseHistory.csv", 5, 1, 4, 0, 1)]
    assert {k: Path(r["file"]).name for k, r in got.items()}["204"] == "ReleaseHistory.csv"  # no release of its own
    assert raw(got["203"]["previous_raw"]) == SPRING_GOOD and got["203"]["line"] == 5  # Release.csv line of 103


def test_apollo_naive_times_need_a_zone(tmp_path):
    with pytest.raises(InputError) as err, Database(tmp_path / "x.duckdb") as db:
        ingest(db, config_changes=[APOLLO / "ReleaseHistory.csv", APOLLO / "Release.csv"])
    assert err.value.path.endswith("ReleaseHistory.csv") and err.value.line == 2 and err.value.field == "ts"
    # the mapping's tz serves as well as --tz
    mapping = tmp_path / "m.toml"
    mapping.write_text('tz = "Asia/Shanghai"\n', encoding="utf-8")
    _report, got, _ = load(tmp_path, APOLLO / "ReleaseHistory.csv", mapping=mapping)
    assert got["203"]["ts"] == utc(2025, 1, 16, 6, 40)


def test_apollo_release_table_alone_is_refused(tmp_path):
    with pytest.raises(InputError, match="ReleaseHistory.csv with it"), Database(tmp_path / "x.duckdb") as db:
        ingest(db, config_changes=[APOLLO / "Release.csv"], tz=TZ)


def test_apollo_history_alone_keeps_changes_without_configurations(tmp_path):
    report, got, _ = load(tmp_path, APOLLO / "ReleaseHistory.csv", tz=TZ)
    assert counts(report) == [("ReleaseHistory.csv", 5, 5, 0, 0, 1)]
    assert got["203"]["config_raw"] is None and got["203"]["version"] == "103"  # no key exported: the release id


def test_apollo_unknown_operation_is_quarantined(tmp_path):
    text = (APOLLO / "ReleaseHistory.csv").read_text(encoding="utf-8")
    path = tmp_path / "ReleaseHistory.csv"
    path.write_text(text.replace(",102,98,0,", ",102,98,9,"), encoding="utf-8")  # history 202, line 4
    report, got, rejects = load(tmp_path, path, APOLLO / "Release.csv", tz=TZ)
    assert counts(report)[0] == ("ReleaseHistory.csv", 5, 4, 0, 1, 1)
    assert "202" not in got
    assert [(r["line"], r["reason"]) for r in rejects] == [(4, "malformed_row")]
    assert "Operation '9' is not an Apollo ReleaseOperation" in rejects[0]["message"]
    assert json.loads(rejects[0]["raw"])["Id"] == "202"
    # its release is then no change's: Release.csv skips it
    assert counts(report)[1] == ("Release.csv", 3, 0, 3, 0, 2)


def test_apollo_passed_as_transactions_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"this is apollo \(a config-change log\), not transactions; pass it with "
                                         r"--config-changes"), Database(tmp_path / "x.duckdb") as db:
        ingest(db, transactions=[APOLLO / "ReleaseHistory.csv"], tz=TZ)


def test_mapped_change_missing_a_model_field_is_quarantined(tmp_path):
    mapping = tmp_path / "apollo.toml"
    mapping.write_text(f"""
[[campaigns]]
campaign_id = "spring-instant-25"
object = "marketing-promo/default/spring-instant-25"
{CAMPAIGN_FIELDS}
[[campaigns]]
campaign_id = "banner"
object = "marketing-promo/default/application"
{CAMPAIGN_FIELDS}""", encoding="utf-8")
    report, got, rejects = load(tmp_path, APOLLO / "ReleaseHistory.csv", APOLLO / "Release.csv", tz=TZ, mapping=mapping)
    # the banner namespace has no discount.type: both its changes are quarantined, in both files
    assert counts(report) == [("ReleaseHistory.csv", 5, 3, 0, 2, 1), ("Release.csv", 4, 0, 2, 2, 1)]
    assert sorted(got) == ["201", "203", "204"]
    assert {(r["line"], r["reason"], r["field"]) for r in rejects if r["file_id"] == 1} == {
        (2, "bad_config", "discount_type"), (4, "bad_config", "discount_type")}
    assert all("campaign banner: discount_type: the raw configuration has no 'discount.type'" in r["message"]
               for r in rejects)
    spring = [got[k] for k in ("201", "203", "204")]
    assert [(r["campaign_id"], r["discount_type"], str(r["discount_value"]), r["scenes"]) for r in spring] == [
        ("spring-instant-25", "fixed", "0.5000", ["shopping", "food_delivery"]),
        ("spring-instant-25", "percent", "20.0000", ["*"]),
        ("spring-instant-25", "fixed", "0.5000", ["shopping", "food_delivery"])]
    assert all(r["max_discount"] is None and str(r["min_amount"]) == "10.00" for r in spring)


# --- Nacos ----------------------------------------------------------------------------------------
def test_nacos_pairs_each_change_with_the_value_after_it(tmp_path):
    report, got, rejects = load(tmp_path, NACOS / "his_config_info.csv", NACOS / "config_info.csv", tz=TZ)
    assert not rejects
    # config_info's two rows are the results of the last changes 340 and 347: the same changes again
    assert counts(report) == [("his_config_info.csv", 7, 7, 0, 0, 0), ("config_info.csv", 2, 0, 2, 0, 0)]
    assert {k: (r["ts"], r["actor"], r["action"], r["object"], r["line"]) for k, r in got.items()} == {
        "301": (utc(2025, 1, 10, 10, 0), "chen.jie", "create", "MARKETING/vip-weekend.json", 2),
        "315": (utc(2025, 1, 14, 1, 30), "wang.fang", "create", "MARKETING/new-user-gift.yaml", 15),
        "322": (utc(2025, 1, 15, 2, 0), "wang.fang", "create", "MARKETING/spring-instant-25.properties", 23),
        "340": (utc(2025, 1, 16, 3, 20), "chen.jie", "update", "MARKETING/new-user-gift.yaml", 29),
        "346": (utc(2025, 1, 16, 6, 40), "zhang.wei", "update", "MARKETING/spring-instant-25.properties", 37),
        "347": (utc(2025, 1, 16, 6, 45), "ops.li", "update", "MARKETING/spring-instant-25.properties", 43),
        "351": (utc(2025, 1, 16, 7, 10), "chen.jie", "delete", "MARKETING/vip-weekend.json", 49),
    }
    # a U row holds the value before: the bad change 346 is after = 347's content, before = its own
    assert raw(got["346"]["previous_raw"]) == SPRING_GOOD and raw(got["346"]["config_raw"]) == SPRING_BAD
    # the last change's value after is config_info's
    assert raw(got["347"]["previous_raw"]) == SPRING_BAD and raw(got["347"]["config_raw"]) == SPRING_GOOD
    assert raw(got["322"]["config_raw"]) == SPRING_GOOD and got["322"]["previous_raw"] is None  # I: the new value
    assert got["351"]["config_raw"] is None and raw(got["351"]["previous_raw"])["discount"]["value"] == "5"
    # version: the MD5 of the content after (the next row's md5, config_info's md5), the nid for a delete
    assert [got[k]["version"] for k in ("322", "346", "347", "351")] == [
        "dec240aa544769fe2c9923d9af358266", "2ff9cf0e782506ef80414eff8e79f891", "dec240aa544769fe2c9923d9af358266",
        "351"]
    assert [r["seq"] for r in got.values()] == [301, 315, 322, 340, 346, 347, 351]


def test_nacos_contents_yaml_properties_json(tmp_path):
    _report, got, _ = load(tmp_path, NACOS / "his_config_info.csv", NACOS / "config_info.csv", tz=TZ)
    yaml_after = raw(got["340"]["config_raw"])  # config_info's YAML, nested; quoted money stays text
    assert yaml_after == {"discount": {"type": "FIXED", "value": "8.00", "cap": "", "min_amount": "30.00",
                                       "scenes": ["shopping"]}, "enabled": True}
    assert raw(got["340"]["previous_raw"])["discount"]["value"] == "5.00"
    assert got["301"]["config_raw"] == ('{"discount":{"type":"PERCENT","value":"5","cap":"20.00","min_amount":"50.00",'
                                        '"scenes":["shopping","food_delivery"]},"enabled":true}')  # JSON, compact
    assert list(raw(got["322"]["config_raw"])) == list(SPRING_GOOD)  # properties: flat, dots in the keys


def test_nacos_without_config_info_the_last_value_after_is_unknown(tmp_path):
    report, got, _ = load(tmp_path, NACOS / "his_config_info.csv", tz=TZ)
    assert counts(report) == [("his_config_info.csv", 7, 7, 0, 0, 0)]
    assert got["347"]["config_raw"] is None and raw(got["347"]["previous_raw"]) == SPRING_BAD
    assert got["347"]["version"] == "347"
    assert raw(got["346"]["config_raw"]) == SPRING_BAD  # the next row still tells the others


def test_nacos_config_info_first_loads_the_same_changes(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    report, first, _ = load(tmp_path / "a", NACOS / "config_info.csv", NACOS / "his_config_info.csv", tz=TZ)
    _, second, _ = load(tmp_path / "b", NACOS / "his_config_info.csv", NACOS / "config_info.csv", tz=TZ)
    assert counts(report) == [("config_info.csv", 2, 2, 0, 0, 0), ("his_config_info.csv", 7, 5, 2, 0, 0)]
    keys = ("ts", "actor", "action", "version", "object", "config_raw", "previous_raw", "seq")
    assert {k: [r[c] for c in keys] for k, r in first.items()} == {k: [r[c] for c in keys] for k, r in second.items()}


def test_nacos_config_info_alone_is_the_current_state(tmp_path):
    report, got, _ = load(tmp_path, NACOS / "config_info.csv", tz=TZ)
    assert counts(report) == [("config_info.csv", 2, 2, 0, 0, 0)]
    assert {k: (r["ts"], r["actor"], r["action"], r["previous_raw"]) for k, r in got.items()} == {
        "config_info:36": (utc(2025, 1, 16, 3, 20), "chen.jie", "update", None),
        "config_info:37": (utc(2025, 1, 16, 6, 45), "ops.li", "update", None)}
    assert raw(got["config_info:37"]["config_raw"]) == SPRING_GOOD


def test_nacos_gray_rows_are_skipped_and_bad_op_types_quarantined(tmp_path):
    text = (NACOS / "his_config_info.csv").read_text(encoding="utf-8")
    text = text.replace(",U,,,formal,,\"{\"\"type\"\":\"\"yaml\"\"", ",U,,,gray,gray-1,\"{\"\"type\"\":\"\"yaml\"\"")  # 340
    text = text.replace("2025-01-10 18:00:00,chen.jie,10.12.3.61,I,", "2025-01-10 18:00:00,chen.jie,10.12.3.61,X,")  # 301
    path = tmp_path / "his_config_info.csv"
    path.write_text(text, encoding="utf-8")
    report, got, rejects = load(tmp_path, path, NACOS / "config_info.csv", tz=TZ)
    assert counts(report)[0] == ("his_config_info.csv", 6, 5, 0, 1, 1)
    assert [(r["line"], r["reason"]) for r in rejects] == [(2, "malformed_row")]
    assert "op_type 'X' is not I, U or D" in rejects[0]["message"]
    assert "340" not in got and "301" not in got
    # without the gray row, 315 (an I row: its own content is the value after) is new-user-gift's last
    # main-line change; config_info (11:20) is newer than it: a change of its own
    assert counts(report)[1] == ("config_info.csv", 2, 1, 1, 0, 0)
    assert raw(got["315"]["config_raw"])["discount"]["value"] == "5.00"
    assert raw(got["config_info:36"]["config_raw"])["discount"]["value"] == "8.00"


def test_config_text_reads_each_format_exactly():
    assert parse_properties("a=b\n# comment\n! also\n  k\\ ey : v\\u00e9\nlist = a,\\\n    b\nflag\n") == {
        "a": "b", "k ey": "vé", "list": "a,b", "flag": ""}
    assert to_json("discount.type=FIXED\ndiscount.value=0.50", "text", "x") == \
        '{"discount.type":"FIXED","discount.value":"0.50"}'
    # YAML 1.2 core schema: on / 012 stay text; numbers keep their text; quoted stays text
    assert to_json("a: on\nb: 012\nc: 0.50\nd: '0.50'\ne: ~\nf: true\n", "yaml") == \
        '{"a":"on","b":"012","c":0.50,"d":"0.50","e":null,"f":true}'
    assert to_json("base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n", None, "c.yml") == '{"base":{"x":1},"d":{"x":1,"y":2}}'
    assert to_json('{\n  "v": 1.50\n}', None, "c.json") == '{"v":1.50}'
    assert to_json("a: [unclosed", "yaml") == '"a: [unclosed"'  # kept whole, as text
    assert to_json("<p/>", "html") == '"<p/>"'


# --- Kubernetes audit log -------------------------------------------------------------------------
AUDIT_IDS = {"create": "0b6f4c1e-3a52-4f0d-9c5e-7d21a8e4b901", "banner": "2f7c9d10-6b4e-4a85-8e3f-0c1d7a9b5e62",
             "bad": "7a4e2c90-1d6b-4f37-8b25-c3e9f0a1d482", "fix": "4b9d6e21-7c8a-4f10-b3e2-9d5c1a0f8e73",
             "delete": "d4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70"}


def test_k8s_only_completed_successful_configmap_changes(tmp_path):
    report, got, rejects = load(tmp_path, K8S_LOG)
    assert not rejects
    # 17 events: 5 changes; RequestReceived stages, a get, a watch, a lease, a pod and the 403 patch skipped
    assert counts(report) == [("kube-apiserver-audit.log", 5, 5, 0, 0, 12)]
    ids = {v: k for k, v in AUDIT_IDS.items()}
    assert {ids[k]: (r["ts"], r["actor"], r["action"], r["object"], r["version"], r["line"]) for k, r in got.items()} == {
        "create": (utc(2025, 1, 15, 2, 0, 0, 201954), "wang.fang@example.com", "create", "marketing/spring-instant-25",
                   "48113902", 2),
        "banner": (utc(2025, 1, 16, 3, 20, 0, 629885), "chen.jie@example.com", "update", "marketing/banner-texts",
                   "48302215", 5),
        "bad": (utc(2025, 1, 16, 6, 40, 0, 131517), "zhang.wei@example.com", "update", "marketing/spring-instant-25",
                "48351774", 8),
        "fix": (utc(2025, 1, 16, 6, 45, 0, 905616), "ops.li@example.com", "update", "marketing/spring-instant-25",
                "48353019", 13),
        "delete": (utc(2025, 1, 16, 7, 30, 12, 419870), "ops.li@example.com", "delete",
                   "marketing/spring-instant-25-canary", AUDIT_IDS["delete"], 17),
    }


def test_k8s_patch_is_read_from_the_response_object(tmp_path):
    _report, got, _ = load(tmp_path, K8S_LOG)
    bad, fix = got[AUDIT_IDS["bad"]], got[AUDIT_IDS["fix"]]
    # the patch body held three keys; the ConfigMap after it holds all six
    assert raw(bad["config_raw"]) == SPRING_BAD and raw(bad["previous_raw"]) == SPRING_GOOD
    assert raw(fix["config_raw"]) == SPRING_GOOD and raw(fix["previous_raw"]) == SPRING_BAD
    assert got[AUDIT_IDS["create"]]["previous_raw"] is None
    assert got[AUDIT_IDS["delete"]]["config_raw"] is None  # a delete's response is a Status


def _lines() -> list[str]:
    return K8S_LOG.read_text(encoding="utf-8").splitlines()


def test_k8s_noop_dry_run_duplicate_and_malformed_lines(tmp_path):
    lines = _lines()
    fix = json.loads(lines[12])
    noop = {**fix, "auditID": "11111111-0000-4000-8000-000000000001", "verb": "patch",
            "stageTimestamp": "2025-01-16T06:50:00.000001Z"}  # same resourceVersion: changed nothing
    dry = {**json.loads(lines[7]), "auditID": "11111111-0000-4000-8000-000000000002",
           "requestURI": "/api/v1/namespaces/marketing/configmaps/spring-instant-25?dryRun=All"}
    extra = [json.dumps(noop), json.dumps(dry), lines[12], '{"kind":"Event", truncated', "", '{"not": "an event"}']
    path = tmp_path / "audit.log"
    path.write_text("\n".join(lines + extra) + "\n", encoding="utf-8")
    report, got, rejects = load(tmp_path, path)
    # 17 + 6 lines: the blank one, the no-op and the dry run skipped; the repeated event a duplicate
    assert counts(report) == [("audit.log", 8, 5, 1, 2, 15)]
    assert set(got) == set(AUDIT_IDS.values())
    assert [(r["line"], r["reason"]) for r in rejects] == [(21, "malformed_row"), (23, "malformed_row")]
    assert "not a Kubernetes audit event" in rejects[1]["message"]


def test_k8s_rotated_logs_pair_across_files(tmp_path):
    lines = _lines()
    older, newer = tmp_path / "audit-older.log", tmp_path / "audit.log"
    older.write_text("\n".join(lines[:6]) + "\n", encoding="utf-8")
    newer.write_text("\n".join(lines[6:]) + "\n", encoding="utf-8")
    report, got, _ = load(tmp_path, newer, older)
    assert counts(report) == [("audit.log", 3, 3, 0, 0, 8), ("audit-older.log", 2, 2, 0, 0, 4)]
    bad = got[AUDIT_IDS["bad"]]
    assert Path(bad["file"]).name == "audit.log" and bad["line"] == 2
    assert raw(bad["previous_raw"]) == SPRING_GOOD  # the state after the create, in the other file


def test_k8s_webhook_event_list(tmp_path):
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
                                "items": [json.loads(line) for line in _lines()]}), encoding="utf-8")
    report, got, _ = load(tmp_path, path)
    assert counts(report) == [("batch.json", 5, 5, 0, 0, 12)]
    assert got[AUDIT_IDS["bad"]]["line"] == 8  # a record's number in the list
    assert raw(got[AUDIT_IDS["bad"]]["config_raw"]) == SPRING_BAD


def test_readers_are_listed_before_the_canonical_ones():
    from analyzer.ingest.readers import READERS

    names = [r.name for r in READERS]
    assert names.index("apollo") < names.index("canonical-csv")
    assert {"apollo", "nacos", "k8s-audit"} <= set(names)
    assert by_name("k8s-audit").kinds == ("config_changes",)


def test_cli_ingest_names_the_reader(tmp_path):
    res = run_cli("ingest", "--db", tmp_path / "x.duckdb", "--config-changes", NACOS / "his_config_info.csv",
                  NACOS / "config_info.csv", "--tz", TZ)
    assert res.code == 0, res.stderr
    rows = [line for line in res.stdout.splitlines() if "his_config_info" in line or "config_info.csv" in line]
    assert len(rows) == 2 and all("│ nacos " in line for line in rows)
    listed = run_cli("formats")
    assert all(name in listed.stdout for name in ("apollo", "nacos", "k8s-audit"))


# --- the sample incident in each format ------------------------------------------------------------
def _local(instant: str) -> str:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(ZoneInfo(TZ)).strftime("%Y-%m-%d %H:%M:%S")


def _written_id(fmt: str, files: tuple[Path, ...], campaign: str, instant: str) -> str:
    """The id the writer gave the change of `campaign` at `instant`, read off the written files."""
    if fmt == "apollo":
        with open(files[0], newline="", encoding="utf-8") as fh:
            return next(r["Id"] for r in csv.DictReader(fh)
                        if r["NamespaceName"] == campaign and r["DataChange_CreatedTime"] == _local(instant))
    if fmt == "nacos":
        with open(files[0], newline="", encoding="utf-8") as fh:
            return next(r["nid"] for r in csv.DictReader(fh)
                        if r["data_id"] == f"{campaign}.properties" and r["gmt_modified"] == _local(instant))
    stamp = instant.replace(".000Z", ".000000Z")
    events = [json.loads(line) for line in files[0].read_text(encoding="utf-8").splitlines()]
    return next(e["auditID"] for e in events if e["stage"] == "ResponseComplete" and e["verb"] != "get"
                and e["objectRef"]["name"] == campaign.lower() and e["stageTimestamp"] == stamp)


@pytest.mark.parametrize("fmt", ["apollo", "nacos", "k8s-audit"])
def test_the_sample_in_the_format_gives_the_truth(fmt, sample_result, sample_dir, truth, sample_db, tmp_path):
    from analyzer import sample_formats

    written = sample_formats.write(fmt, sample_dir, tmp_path)
    assert written.format == fmt and written.kind == "config_changes"
    db_path = tmp_path / f"{fmt}.duckdb"
    with Database(db_path) as db:
        report = ingest(db, transactions=[sample_result.transactions_csv, sample_result.transactions_replay],
                        config_changes=list(written.files), events=[sample_result.events], mapping=written.mapping,
                        tz=written.tz or TZ)
        assert {f.format for f in report.files if f.kind == "config_changes"} == {fmt}
        assert all(f.reconciles for f in report.files)
        analyze(db)
        summary = load_summary(db)
    for key in ("campaign_id", "excess_total", "net_excess_total", "affected_txns", "affected_users",
                "affected_merchants"):
        assert summary[key] == truth[key], key
    for key in ("first_affected_at", "last_affected_at", "config_window_start", "config_window_end"):
        assert datetime.fromisoformat(summary[key]) == datetime.fromisoformat(truth[key].replace("Z", "+00:00")), key
    assert summary["bad_change_inferred"] is True
    assert summary["bad_change_id"] == _written_id(fmt, written.files, truth["campaign_id"], truth["config_window_start"])
    assert summary["fix_change_id"] == _written_id(fmt, written.files, truth["campaign_id"], truth["config_window_end"])
    # the versions the pricing service logged are the configs' own `version` keys: payments disagree with
    # them exactly as with the canonical log's (the sample's deliberately odd rows)
    with Database(sample_db, read_only=True) as db:
        canonical = load_summary(db)
    assert summary["version_disagreements"] == canonical["version_disagreements"]
