"""Reviewer notes: through the CLI and the dashboard (AppTest), kept beside the analysis in an
append-only log that concurrent writers can share, shown in the report and exportable, while the
analysis database file stays byte-identical."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import shutil

import pytest

from analyzer import annotations
from analyzer.db import Database
from tests.conftest import ROOT, run_cli

APP = str(ROOT / "dashboards" / "app.py")


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db_copy(sample_db, tmp_path):
    path = tmp_path / "incident.duckdb"
    shutil.copyfile(sample_db, path)
    return path


def test_the_cli_adds_lists_exports_and_deletes_notes_without_touching_the_analysis(db_copy, tmp_path, truth):
    before = sha(db_copy)
    with Database(db_copy, read_only=True) as db:
        user = db.scalar("SELECT user_id FROM affected_users WHERE NOT exploit_flag ORDER BY excess_total DESC LIMIT 1")
        masked = db.scalar("SELECT pseudonym(?)", [user])
        ordinal = db.scalar("SELECT ordinal FROM timeline WHERE role = 'bad_change'")
        payment = db.scalar("SELECT txn_id FROM affected_transactions ORDER BY ts LIMIT 1")
    added = [run_cli("annotate", "add", "--db", db_copy, "--target", f"timeline:{ordinal}", "--star", "--tag",
                     "root-cause", "--comment", "No approver: *why*? <b>", "--who", "alice"),
             run_cli("annotate", "add", "--db", db_copy, "--target", f"user:{user}", "--tag", "scam,follow-up",
                     "--who", "bob"),
             run_cli("annotate", "add", "--db", db_copy, "--target", f"payment:{payment}", "--comment",
                     "=HYPERLINK(\"http://x\")", "--who", "bob")]
    assert [r.code for r in added] == [0, 0, 0], [r.stderr for r in added]
    ids = [r.stdout.split()[0] for r in added]
    assert added[0].stdout.split()[1] == f"change:{truth['bad_change_id']}"  # a timeline number -> its row's key
    assert added[1].stdout.split()[1] == f"user:{masked}"  # stored masked
    log = (db_copy.parent / "incident.duckdb.annotations.jsonl").read_text("utf-8")
    assert user not in log  # no personal id in the log
    entries = [json.loads(line) for line in log.splitlines()]
    assert [e["action"] for e in entries] == ["annotate"] * 3
    assert all({"at", "who", "action", "what"} <= set(e) and e["at"].endswith("+00:00") for e in entries)

    bad = run_cli("annotate", "add", "--db", db_copy, "--target", "payment:NOPE", "--star", "--who", "x")
    assert bad.code == 2 and "no such payment" in bad.stderr
    empty = run_cli("annotate", "add", "--db", db_copy, "--target", f"payment:{payment}", "--who", "x")
    assert empty.code == 2 and "needs a star, a tag or a comment" in empty.stderr

    listed = run_cli("annotate", "list", "--db", db_copy, "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["id"] for r in rows] == ids
    assert rows[0]["star"] is True and rows[0]["tags"] == "root-cause"
    assert rows[0]["label"].startswith(truth["bad_change_id"])
    assert rows[1]["ref"] == masked and "affected user" in rows[1]["label"]
    revealed = run_cli("annotate", "list", "--db", db_copy, "--json", "--no-mask-pii")
    assert json.loads(revealed.stdout.splitlines()[1])["ref"] == user

    out = tmp_path / "notes.csv"
    assert run_cli("annotate", "export", "--db", db_copy, "--out", out).code == 0
    with open(out, newline="", encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert [r["id"] for r in exported] == ids and exported[1]["ref"] == masked
    assert run_cli("annotate", "export", "--db", db_copy, "--out", tmp_path / "notes.jsonl").code == 0
    assert len((tmp_path / "notes.jsonl").read_text("utf-8").splitlines()) == 3

    deleted = run_cli("annotate", "delete", "--db", db_copy, "--id", ids[2], "--who", "carol")
    assert deleted.code == 0, deleted.stderr
    assert [n.id for n in annotations.notes(db_copy)] == ids[:2]
    assert [e["action"] for e in annotations.read_log(annotations.store_path(db_copy)).entries][-1] == "delete"
    assert sha(db_copy) == before


def test_notes_are_shown_in_the_report_escaped(db_copy, tmp_path):
    from analyzer.report import write_reports

    with Database(db_copy, read_only=True) as db:
        key = db.scalar("SELECT row_key FROM timeline WHERE role = 'first_affected'")
    annotations.annotate(db_copy, key, who="alice", star=True, tags=["impact"], comment="Starts <b>here</b> | *now*")
    with Database(db_copy, read_only=True) as db:
        write_reports(db, tmp_path / "out", formats=("md", "html"))
    md = (tmp_path / "out" / "incident_report.md").read_text("utf-8")
    section = md.split("## Reviewer notes", 1)[1].split("## Data quality", 1)[0]
    assert "alice" in section and "★" in section and "impact" in section
    assert "Starts \\<b>here\\</b> \\| \\*now\\*" in section  # data, escaped
    html = (tmp_path / "out" / "incident_report.html").read_text("utf-8")
    assert "Starts &lt;b&gt;here&lt;/b&gt; | *now*" in html and "<b>here</b>" not in html


APPEND_MANY = """
import sys
from analyzer import annotations
from pathlib import Path
path, n, who = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for i in range(n):
    annotations.append_entry(path, {"at": "2025-01-16T00:00:00.000+00:00", "who": who, "action": "annotate",
                                    "what": f"payment:T{i}", "id": f"{who}-{i}", "star": True, "tags": [],
                                    "comment": "x" * 3000})  # long lines: a torn write would show
"""


def test_concurrent_writers_never_interleave_lines(tmp_path):
    path = tmp_path / "x.duckdb.annotations.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", APPEND_MANY, str(path), "50", f"w{k}"], cwd=ROOT)
             for k in range(4)]  # four processes at once, as dashboard sessions and the CLI would be
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    log = annotations.read_log(path)
    assert log.unreadable == () and len(log.entries) == 200
    assert {e["id"] for e in log.entries} == {f"w{k}-{i}" for k in range(4) for i in range(50)}


def test_the_dashboard_writes_notes_beside_the_database(db_copy, monkeypatch):
    from streamlit.testing.v1 import AppTest

    before = sha(db_copy)
    monkeypatch.setenv("ANALYZER_DB", str(db_copy))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    at.switch_page("views/timeline.py").run()
    with Database(db_copy, read_only=True) as db:
        key = db.scalar("SELECT row_key FROM timeline WHERE role = 'declared'")
        payment = db.scalar("SELECT txn_id FROM affected_transactions ORDER BY excess DESC LIMIT 1")
    at.selectbox(key="timeline_note_row").select(key).run()
    at.checkbox(key="timeline_note_star").check().run()
    at.text_area(key="timeline_note_comment").input("declared 30 minutes late").run()
    at.button(key="timeline_note_add").click().run()
    assert at.error and "name" in at.error[0].value  # unsigned: refused
    at.sidebar.text_input(key="reviewer").input("dana").run()
    at.checkbox(key="timeline_note_star").check().run()
    at.text_area(key="timeline_note_comment").input("declared 30 minutes late").run()
    at.button(key="timeline_note_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("saved" in s.value for s in at.success)
    notes = annotations.notes(db_copy)
    assert [(n.what, n.who, n.star, n.comment) for n in notes] == [(key, "dana", True, "declared 30 minutes late")]
    timeline = next(f.value for f in at.dataframe if "row_key" not in f.value.columns and "starred" in f.value.columns)
    assert timeline["notes"].fillna(0).sum() == 1

    at.switch_page("views/review.py").run()
    at.text_input(key="review_note_target").input(f"payment:{payment}").run()
    at.text_input(key="review_note_tags").input("exploit, check").run()
    at.button(key="review_note_add").click().run()
    assert not at.exception, [e.message for e in at.exception]
    notes = annotations.notes(db_copy)
    assert [n.what for n in notes] == [key, f"payment:{payment}"] and notes[1].tags == ("exploit", "check")
    shown = next(f.value for f in at.dataframe if "comment" in f.value.columns and "about" in f.value.columns)
    assert len(shown) == 2
    activity = next(f.value for f in at.dataframe if "log" in f.value.columns)
    assert list(activity["who"]) == ["dana", "dana"]
    assert sha(db_copy) == before  # the analysis file is byte-identical
