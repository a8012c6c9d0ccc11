"""The shared Plotly builders (analyzer.charts): what they draw, from the sample's derived tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from analyzer.charts import breakdown_figure, guardrails_figure, timeline_figure
from analyzer.db import Database
from analyzer.formatting import money
from analyzer.analysis.summary import load_summary


@pytest.fixture(scope="module")
def frames(sample_db):
    with Database(sample_db, read_only=True) as db:
        return {
            "minute": db.polars("SELECT * FROM minute_metrics"),
            "second": db.polars("SELECT * FROM second_metrics"),
            "timeline": db.polars("SELECT * FROM timeline"),
            "scenes": db.polars("SELECT * FROM affected_scenes"),
            "summary": load_summary(db),
        }


def build(frames, tz="Asia/Shanghai"):
    return timeline_figure(frames["minute"], frames["second"], frames["timeline"], frames["summary"], tz)


def markers(fig):
    return [t for t in fig.data if (t.meta or {}).get("role") == "markers"]


def test_every_change_and_event_is_a_labelled_marker_with_hover_text(frames):
    fig = build(frames)
    points = sum(len(t.x) for t in markers(fig))
    assert points == frames["timeline"].height
    labels = [text for t in markers(fig) for text in t.text]
    assert "bad change" in labels and "fix change" in labels and "first affected" in labels
    hovers = [h for t in markers(fig) for h in t.hovertext]
    bad = next(h for h in hovers if frames["summary"]["bad_change_id"] in h and "discount_type" in h)
    assert "fixed -&gt; percent" in bad  # the diff, escaped for Plotly's HTML-ish hover
    alert_title = frames["summary"]["first_alert_title"]
    assert any(alert_title in h for h in hovers)


def test_the_config_window_and_data_window_are_shaded(frames):
    fig = build(frames, tz="UTC")
    rects = {(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect"}
    s = frames["summary"]

    def naive(key):
        return datetime.fromisoformat(s[key]).replace(tzinfo=None)

    assert (naive("config_window_start"), naive("config_window_end")) in rects
    assert (naive("first_affected_at"), naive("last_affected_at")) in rects


def test_the_x_axis_is_drawn_in_the_chosen_zone(frames):
    utc, local = build(frames, "UTC"), build(frames, "Asia/Shanghai")
    assert local.layout.xaxis.range[0] - utc.layout.xaxis.range[0] == timedelta(hours=8)
    assert "Asia/Shanghai, UTC+08:00" in local.layout.xaxis4.title.text


def test_per_second_inside_the_incident_and_per_minute_around_it(frames):
    fig = build(frames)
    excess = next(t for t in fig.data if t.name == "excess")
    hovers = list(excess.hovertext)
    assert any(h.startswith("second ") for h in hovers) and any(h.startswith("minute ") for h in hovers)
    # the buckets partition the analysed campaign's excess: the exact sum over the hover texts
    total = sum(Decimal(h.split("excess ")[1].split(" ")[0].replace(",", "")) for h in hovers)
    assert money(total) == money(frames["summary"]["excess_total"])


def test_money_is_shown_exactly_and_drawn_as_a_float(frames):
    fig = breakdown_figure(frames["scenes"], "scene", "excess_total", "Excess by scene")
    bar = fig.data[0]
    ordered = frames["scenes"].sort("excess_total", descending=True)
    assert list(bar.y) == ordered.get_column("scene").to_list()
    assert list(bar.text) == [money(v) for v in ordered.get_column("excess_total").to_list()]
    assert all(isinstance(x, float) for x in bar.x)


def test_counts_and_empty_frames(frames):
    fig = breakdown_figure(frames["scenes"], "scene", "affected_users", "Users by scene")
    assert all("." not in t for t in fig.data[0].text)
    empty = breakdown_figure(pl.DataFrame({"scene": [], "excess_total": []},
                                          schema={"scene": pl.String, "excess_total": pl.Decimal(18, 2)}),
                             "scene", "excess_total", "nothing")
    assert len(empty.data[0].y) == 0
    nothing = timeline_figure(frames["minute"].clear(), frames["second"].clear(), frames["timeline"].clear(),
                              {"display_tz": "UTC"}, "UTC")
    assert not markers(nothing)


def test_guardrails_figure_marks_each_trip_in_the_display_zone(frames):
    at = datetime(2025, 1, 16, 6, 40, 9, tzinfo=ZoneInfo("UTC"))
    trips = pl.DataFrame({"rule": ["burn <b>", "never"], "acts_on": ["rate", "payment"],
                          "tripped_at": [at, None], "excess_prevented": [Decimal("10.50"), Decimal("0.00")],
                          "legit_discount_blocked": [Decimal("0.50"), Decimal("0.00")]},
                         schema_overrides={"tripped_at": pl.Datetime("us", "UTC"), "excess_prevented": pl.Decimal(18, 2),
                                           "legit_discount_blocked": pl.Decimal(18, 2)})
    fig = guardrails_figure(frames["minute"], frames["second"], frames["summary"], trips, "Asia/Shanghai")
    marks = [t for t in fig.data if (t.meta or {}).get("role") == "trip"]
    assert [m.meta["rule"] for m in marks] == ["burn <b>"]  # a rule that never trips has no marker
    (mark,) = marks
    assert list(mark.x) == [datetime(2025, 1, 16, 14, 40, 9)]  # wall clock in the zone
    assert "burn &lt;b&gt;" in mark.hovertext[0] and "10.50" in mark.hovertext[0]
    assert any(s.type == "line" and s.x0 == datetime(2025, 1, 16, 14, 40, 9) for s in fig.layout.shapes)
    assert list(fig.layout.yaxis.categoryarray) == ["never", "burn &lt;b&gt;"] == ["never", *mark.y]


def test_scam_reports_over_time_next_to_the_incident_window(sample_db):
    from analyzer.charts import scam_reports_figure

    with Database(sample_db, read_only=True) as db:
        reports = db.polars("SELECT ts, linked_user_id, after_bad_change FROM scam_reports")
        summary = load_summary(db)
    fig = scam_reports_figure(reports, summary, "Asia/Shanghai")
    bars = {t.name: sum(t.y) for t in fig.data}
    assert bars == {"from affected users": summary["scam_reports_linked"],
                    "from other or unknown people": summary["scam_reports"] - summary["scam_reports_linked"]}
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert rects and rects[0].x0 == datetime(2025, 1, 16, 14, 40)  # the incident, wall clock in the zone
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 2  # declared, official statement
    assert "reports per hour" in fig.layout.yaxis.title.text
