"""Milestones, their durations and order checks; the timeline's merged change rows and its
collapsed context; scam reports linked to affected users.

On the sample (against its truth) and on a hand-made incident whose events are out of order
(tests/fixtures/milestones_incident/events.csv over the report incident's payments and changes):
an acknowledgement before the first alert, a resolution before the fix change, the last
affected payment and the declaration, and a statement before the declaration.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from analyzer.db import Database
from tests.conftest import FIXTURES

INCIDENT = FIXTURES / "report_incident"
WRONG_ORDER = FIXTURES / "milestones_incident" / "events.csv"
CST = timezone(timedelta(hours=8))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture(scope="module")
def wrong_order_db(tmp_path_factory):
    from analyzer.analysis.pipeline import AnalysisParams, analyze
    from analyzer.ingest import ingest

    path = tmp_path_factory.mktemp("milestones") / "incident.duckdb"
    with Database(path) as db:
        ingest(db, transactions=[INCIDENT / "transactions.csv"], config_changes=[INCIDENT / "config_changes.jsonl"],
               events=[WRONG_ORDER], tz="Asia/Shanghai")
        analyze(db, AnalysisParams(exploit_min_txns=2))
    return path


def milestones(path) -> dict[str, dict]:
    with Database(path, read_only=True) as db:
        return {r["milestone"]: r for r in db.dicts("SELECT * FROM milestones ORDER BY position")}


# --- the hand-made incident -------------------------------------------------------------------
def test_milestones_out_of_order_are_flagged(wrong_order_db):
    m = milestones(wrong_order_db)
    assert list(m) == ["bad_change", "impact_start", "detected", "acknowledged", "declared", "mitigated",
                       "last_affected", "resolved", "communicated"]
    assert m["impact_start"]["ts"] == at("2025-01-17 07:59:51.123") and m["impact_start"]["ref_id"] == "P03"
    assert m["detected"]["ts"] == at("2025-01-17 08:00:05")
    assert m["acknowledged"]["ts"] == at("2025-01-17 07:59:58")
    assert m["declared"]["ts"] == at("2025-01-17 08:00:20")
    assert m["mitigated"]["ts"] == at("2025-01-17 08:00:30") and m["mitigated"]["ref_id"] == "C3"
    assert m["last_affected"]["ts"] == at("2025-01-17 08:00:35") and m["last_affected"]["ref_id"] == "P08"
    assert m["resolved"]["ts"] == at("2025-01-17 08:00:10")
    assert m["communicated"]["ts"] == at("2025-01-17 08:00:15")
    flagged = {k: v["before_predecessors"] for k, v in m.items() if v["order_ok"] is False}
    assert flagged == {"acknowledged": ["detected"], "resolved": ["declared", "mitigated", "last_affected"],
                       "communicated": ["declared"]}
    assert all(v["order_ok"] for k, v in m.items() if k not in flagged)
    assert m["resolved"]["order_issue"] == ("Resolution is before Declaration (incident opened) and Mitigation "
                                            "(fix change live) and Last affected payment")
    # durations from the impact start, to the millisecond (hand-computed)
    assert m["detected"]["since_impact_start_s"] == 13.877
    assert m["acknowledged"]["since_impact_start_s"] == 6.877
    assert m["declared"]["since_impact_start_s"] == 28.877
    assert m["resolved"]["since_impact_start_s"] == 18.877
    assert m["bad_change"]["since_impact_start_s"] == -1.123


def test_the_summary_counts_the_order_issues_and_the_new_durations(wrong_order_db):
    from analyzer.analysis.summary import load_summary

    with Database(wrong_order_db, read_only=True) as db:
        s = load_summary(db)
    assert s["milestone_order_issues"] == 3
    assert (s["time_to_declare_s"], s["time_to_resolve_s"], s["time_to_communicate_s"]) == (28.877, 18.877, 23.877)
    assert s["declared_at"] == "2025-01-17T00:00:20.000+00:00"
    assert s["declared_title"] == "INC-9 opened"
    # scam reports: the one before the bad change does not count; u-3 by id, 用户-α by the text
    assert (s["scam_reports"], s["scam_reports_linked"], s["scam_reporters_affected"]) == (3, 2, 2)
    assert s["scam_reporters"] == 3  # u-3, 用户-α (from the text) and u-1 (not affected)
    assert s["first_scam_report_at"] == "2025-01-17T04:00:00.000+00:00"


def test_a_console_event_of_a_change_is_merged_into_the_change_row(wrong_order_db):
    with Database(wrong_order_db, read_only=True) as db:
        rows = db.dicts("SELECT * FROM timeline ORDER BY ordinal")
        n_events = db.scalar("SELECT count(*) FROM events")
        n_changes = db.scalar("SELECT count(*) FROM config_versions")
    changes = {r["ref_id"]: r for r in rows if r["source"] == "config_changes"}
    assert changes["C2"]["sources"] == ["config_changes", "config_console"]  # by its ref
    assert changes["C3"]["sources"] == ["config_changes", "config_console"]  # named in its detail
    assert changes["C1"]["sources"] == ["config_changes"]
    assert "also in config_console +0.4 s" in changes["C2"]["detail"]
    assert len(changes["C2"]["merged_event_ids"]) == 1
    assert not any(r["source"] == "config_console" for r in rows)  # no second row for the same change
    # nothing lost: every event is a row of its own or merged into a change's row
    merged = sum(len(r["merged_event_ids"]) for r in rows)
    assert sum(r["source"] not in ("config_changes", "analysis") for r in rows) + merged == n_events
    assert len(changes) == n_changes
    roles = {r["role"]: r for r in rows if r["role"]}
    assert {"bad_change", "fix_change", "previous_version", "first_affected", "last_affected", "detected",
            "acknowledged", "declared", "resolved", "communicated"} <= set(roles)
    assert len({r["row_key"] for r in rows}) == len(rows)


def test_older_context_is_collapsed(wrong_order_db, tmp_path):
    """C1 (a day before) made the version the bad change replaced: kept. The scam report of the day
    before is older context: collapsed. A longer context window keeps it."""
    from analyzer.analysis.pipeline import AnalysisParams, analyze
    import shutil

    with Database(wrong_order_db, read_only=True) as db:
        collapsed = {r["title"]: r["collapsed"] for r in db.dicts("SELECT title, collapsed FROM timeline")}
    assert collapsed["Scam SMS before the incident"] is True
    assert next(v for k, v in collapsed.items() if k.startswith("C1:")) is False  # role previous_version
    assert sum(collapsed.values()) == 1
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(wrong_order_db, copy)
    with Database(copy) as db:
        analyze(db, AnalysisParams(exploit_min_txns=2, timeline_context_minutes=48 * 60))
        assert db.scalar("SELECT count(*) FILTER (collapsed) FROM timeline") == 0


# --- the sample ---------------------------------------------------------------------------------
def test_the_sample_milestones_and_durations(sample_db, truth):
    from analyzer.analysis.summary import load_summary

    with Database(sample_db, read_only=True) as db:
        s = load_summary(db)
        m = {r["milestone"]: r for r in db.dicts("SELECT * FROM milestones")}
        timeline = db.dicts("SELECT * FROM timeline ORDER BY ordinal")
    first = datetime.fromisoformat(truth["first_affected_at"].replace("Z", "+00:00"))
    declared = datetime(2025, 1, 16, 15, 10, tzinfo=CST)  # INC-3317 opened, 30 minutes after the bad change
    assert m["declared"]["ts"] == declared
    assert s["time_to_declare_s"] == round((declared - first).total_seconds(), 3)
    assert m["resolved"]["ts"] == datetime(2025, 1, 16, 16, 20, tzinfo=CST)
    assert m["communicated"]["ts"] == datetime(2025, 1, 17, 9, 30, tzinfo=CST)
    assert s["milestone_order_issues"] == 0 and all(r["order_ok"] for r in m.values())
    # the console events of the two changes are merged; the week-old creations are collapsed
    console = [r for r in timeline if "config_console" in r["sources"]]
    assert {r["ref_id"] for r in console} == {"CHG-20250116-0039", truth["bad_change_id"]}
    assert all(r["source"] == "config_changes" for r in console)
    collapsed = [r for r in timeline if r["collapsed"]]
    assert [r["ref_id"] for r in collapsed] == ["CHG-20250110-0011", "CHG-20250110-0012", "CHG-20250110-0013"]


def test_scam_reports_linked_to_affected_users_equal_the_truth(sample_db, truth):
    from analyzer.analysis.summary import load_summary

    with Database(sample_db, read_only=True) as db:
        s = load_summary(db)
        linked = db.dicts("SELECT * FROM scam_reports WHERE linked_user_id IS NOT NULL")
        domains = dict(db.rows("SELECT d, count(*) FROM (SELECT unnest(domains) AS d FROM scam_reports) GROUP BY d"))
    assert s["scam_reports"] == truth["scam_reports"]
    assert s["scam_reports_linked"] == truth["scam_reports_linked"]
    assert s["scam_reporters_affected"] == truth["scam_reporters_affected"]
    assert sorted({r["linked_user_id"] for r in linked}) == truth["scam_reporters_affected_ids"]
    assert sum(r["linked_by"] == "text" for r in linked) == truth["scam_reports_by_text"]
    assert s["first_scam_report_at"] == truth["first_scam_report_at"].replace(".000Z", ".000+00:00")
    assert domains == truth["scam_domains"]
