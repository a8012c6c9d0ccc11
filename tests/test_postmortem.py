"""The post-mortem document: `postmortem init` prefills it from the analysis with marked figures
equal to the summary; a person's edits survive re-analysis and `analyzer report`; a figure that
changed is refreshed and warned about, with the sentences that quote it; the report puts it first,
its Markdown rendered without HTML from anywhere."""

from __future__ import annotations

import re
import shutil
import json
import tomllib

import pytest

from analyzer.analysis.summary import load_summary
from analyzer.db import Database
from analyzer.formatting import count, duration, instant, money
from analyzer.report import postmortem
from tests.conftest import run_cli


@pytest.fixture
def db_copy(sample_db, tmp_path):
    path = tmp_path / "incident.duckdb"
    shutil.copyfile(sample_db, path)
    return path


def marked(text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in postmortem.MARKER.finditer(text):
        out.setdefault(m.group("key"), set()).add(m.group("value"))
    return out


def test_init_on_the_sample_marks_figures_equal_to_the_summary(db_copy, truth):
    res = run_cli("postmortem", "init", "--db", db_copy)
    assert res.code == 0, res.stderr
    path = db_copy.parent / "postmortem.md"
    assert res.stdout.strip() == str(path)
    text = path.read_text("utf-8")
    with Database(db_copy, read_only=True) as db:
        s = load_summary(db)
        figs = postmortem.figures(db)
    tz = s["display_tz"]
    figures = marked(text)
    # each figure is marked with one value, the summary's, formatted as the report shows it
    assert all(len(v) == 1 for v in figures.values())
    got = {k: next(iter(v)) for k, v in figures.items()}
    expected = {
        "excess_total": money(truth["excess_total"]), "net_excess_total": money(truth["net_excess_total"]),
        "affected_users": count(truth["affected_users"]), "affected_txns": count(truth["affected_txns"]),
        "affected_merchants": count(truth["affected_merchants"]), "exploiters": count(len(truth["exploiters"])),
        "exploiters_excess_total": money(s["exploiters_excess_total"]),
        "notify_users": count(truth["affected_users"] - len(truth["exploiters"])),
        "scam_reports": count(truth["scam_reports"]), "scam_reporters_affected": count(truth["scam_reporters_affected"]),
        "time_to_detect": duration(s["time_to_detect_s"]), "time_to_declare": duration(s["time_to_declare_s"]),
        "time_to_mitigate": duration(s["time_to_mitigate_s"]), "time_to_resolve": duration(s["time_to_resolve_s"]),
        "config_window_start": instant(s["config_window_start"], tz, millis=False),
        "first_scam_report_at": instant(truth["first_scam_report_at"], tz, millis=False),
    }
    assert {k: got[k] for k in expected} == expected
    assert got["time_to_declare"] == "29m 54.5s"  # declared 30 minutes after the bad change
    assert all(got[k] == figs[k] for k in got)  # every marker holds its current figure
    # the front matter is TOML with the fields a review needs, the severity suggested from the money
    front, body, _ = postmortem.split(text, path)
    meta = tomllib.loads(front)
    assert meta["severity"] == "SEV-1" and meta["status"] == "draft"
    assert {"title", "owner", "incident_commander", "incident_date", "review_meeting"} <= set(meta)
    for heading in ("Executive summary", "Impact", "Milestones", "Root cause", "Contributing factors",
                    "What went well", "What went badly", "Decisions", "Action items", "Customer follow-up"):
        assert f"\n## {heading}\n" in body
    assert "No clawback: the platform bears the excess of <!-- fig:excess_total -->" in body
    assert "No approver is recorded for the change." in body
    # an action item linked to its guardrail, with what the replay says it would have saved
    replayed = json.loads(run_cli("replay", "--db", db_copy, "--json").stdout)
    approver = next(r for r in replayed if r["name"] == "second-approver")
    assert f"second-approver: would have saved <!-- fig:guardrail_4_saved -->{money(approver['excess_prevented'])}" in body
    # it is never overwritten without --force
    again = run_cli("postmortem", "init", "--db", db_copy)
    assert again.code == 2 and "--force" in again.stderr
    assert path.read_text("utf-8") == text


def test_a_human_edit_survives_re_analysis_and_report_and_changed_figures_are_warned_about(db_copy, tmp_path):
    assert run_cli("postmortem", "init", "--db", db_copy).code == 0
    path = db_copy.parent / "postmortem.md"
    text = path.read_text("utf-8")
    with Database(db_copy, read_only=True) as db:
        s = load_summary(db)
    old_excess = money(s["exploiters_excess_total"])
    mine = f"Risk says the {old_excess} the exploiters took is the number to explain."
    edited = (text.replace('owner = ""', 'owner = "li.ming"')
                  .replace('severity = "SEV-1"', 'severity = "SEV-2"')
                  .replace("<!-- Why was the change made, and why was it wrong? Ask the five whys here. -->",
                           "The ticket asked for 20% off one scene; the console defaulted to every scene.\n\n" + mine))
    path.write_text(edited, "utf-8")

    res = run_cli("analyze", "--db", db_copy, "--exploit-min-txns", "30")  # fewer users flagged
    assert res.code == 0, res.stderr
    res = run_cli("report", "--db", db_copy, "--out", tmp_path / "out", "--format", "md,html")
    assert res.code == 0, res.stderr
    with Database(db_copy, read_only=True) as db:
        s2 = load_summary(db)
    new_excess = money(s2["exploiters_excess_total"])
    assert new_excess != old_excess and s2["exploiters"] < s["exploiters"]

    after = path.read_text("utf-8")
    # the person's text and fields are untouched; only the markers changed
    assert 'owner = "li.ming"' in after and 'severity = "SEV-2"' in after
    assert "The ticket asked for 20% off one scene; the console defaulted to every scene." in after
    assert mine in after  # their own number stays theirs...
    line = after.splitlines().index(mine) + 1
    assert f"postmortem.md:{line}: quotes {old_excess} (exploiters_excess_total), which is now {new_excess}" \
        in res.stderr  # ...and they are told it changed
    assert re.search(r"warning: .*postmortem\.md:\d+: exploiters changed from \d+ to \d+ in: ", res.stderr)
    assert marked(after)["exploiters_excess_total"] == {new_excess}
    assert marked(after)["exploiters"] == {count(s2["exploiters"])}
    assert postmortem.MARKER.sub("", after) == postmortem.MARKER.sub("", edited)  # nothing else changed

    md = (tmp_path / "out" / "incident_report.md").read_text("utf-8")
    assert md.startswith("# Post-mortem: ")  # the first pages
    assert md.index("# Post-mortem") < md.index("# Incident report")
    assert "| owner | li.ming |" in md and mine in md and "<!--" not in md
    assert f"exploiters_excess_total {old_excess} → {new_excess}" in md
    html = (tmp_path / "out" / "incident_report.html").read_text("utf-8")
    assert html.index('id="postmortem"') < html.index('id="what-happened"')
    assert "<h2>Root cause</h2>" in html and mine in html

    # a second report changes nothing more and warns no more
    res = run_cli("report", "--db", db_copy, "--out", tmp_path / "out2", "--format", "md")
    assert res.code == 0 and "warning" not in res.stderr
    assert path.read_text("utf-8") == after


def test_the_report_renders_the_team_markdown_without_html(incident_db, tmp_path):
    """The hand-made incident's data has markup (a scene list '*'); the team's text has HTML."""
    from analyzer.report import write_reports
    from analyzer.report import figures as report_figures

    with Database(incident_db, read_only=True) as db:
        path = postmortem.init(db, incident_db, tmp_path / "pm.md")
    text = path.read_text("utf-8")
    assert "→ \\*" in text  # data escaped as Markdown when the draft is written
    path.write_text(text + "\n## Notes\n\n<script>alert(1)</script> <b>bold</b> **really** [x](javascript:alert(1))\n"
                    "![remote](http://example.com/x.png)\n", "utf-8")
    with pytest.MonkeyPatch.context() as mp, Database(incident_db, read_only=True) as db:
        mp.setattr(report_figures, "find_browser", lambda: None)
        result = write_reports(db, tmp_path / "out", formats=("md", "html"), postmortem_path=path)
    assert result.warnings == ()
    html = (tmp_path / "out" / "incident_report.html").read_text("utf-8")
    section = html.split('<section id="postmortem"', 1)[1].split("</section>", 1)[0]
    assert "<script>" not in section and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "&lt;b&gt;bold&lt;/b&gt;" in section and "<strong>really</strong>" in section
    assert 'href="javascript' not in section and "<img" not in section
    md = (tmp_path / "out" / "incident_report.md").read_text("utf-8")
    assert "**really**" in md  # the team's Markdown, as written


@pytest.fixture(scope="module")
def incident_db(tmp_path_factory):
    from tests.test_report import build_incident_db

    return build_incident_db(tmp_path_factory.mktemp("pm_incident") / "incident.duckdb")


def test_refresh_text_reports_unknown_markers_and_leaves_them(tmp_path):
    text = "+++\ntitle = \"x\"\n+++\nWe lost <!-- fig:excess_total -->1,000.00<!-- /fig --> and <!-- fig:nope -->7<!-- /fig -->.\n" \
           "Finance booked 1,000.00 as a loss; 1,000.001 is another number.\n"
    new, changes, warnings = postmortem.refresh_text(text, {"excess_total": "2,000.00"}, tmp_path / "pm.md")
    assert "<!-- fig:excess_total -->2,000.00<!-- /fig -->" in new and "<!-- fig:nope -->7<!-- /fig -->" in new
    assert [(c.key, c.old, c.new, c.line) for c in changes] == [("excess_total", "1,000.00", "2,000.00", 4)]
    assert any("unknown figure fig:nope" in w for w in warnings)
    quotes = [w for w in warnings if "quotes 1,000.00" in w]
    assert len(quotes) == 1 and "pm.md:5:" in quotes[0]  # not the longer number 1,000.001
