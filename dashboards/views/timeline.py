"""Timeline: the chart (payments, discount rate, excess; every change and event as a marker),
and below it the milestones with their durations and order checks, the ordered timeline (older
context collapsed, reviewer notes per row, a form to annotate a row), and the affected payments.

Selecting a time range on the chart (drag horizontally) filters the tables of this page;
double-click the chart, or the button, to go back to the whole incident.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from analyzer.formatting import count, duration, instant, money
from dashboards import data
from dashboards.note_form import note_form

ctx = data.context()
s = ctx.summary
tz = ctx.tz
RANGE = "timeline_range"  # (start, end) UTC datetimes, or absent: the whole incident
CHART = "timeline_chart"
PAGE_SIZE = 100


def _axis_instant(value: object) -> datetime:
    """An x coordinate of a selection (wall-clock text in `tz`, or epoch ms) as a UTC instant."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, ZoneInfo("UTC"))
    local = datetime.fromisoformat(str(value).replace("Z", ""))
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def _on_select() -> None:
    event = st.session_state.get(CHART)
    boxes = (event or {}).get("selection", {}).get("box") or []
    xs = [x for box in boxes for x in (box.get("x") or [])]
    if len(xs) >= 2:
        instants = sorted(_axis_instant(x) for x in xs)
        st.session_state[RANGE] = (instants[0], instants[-1])
    else:
        st.session_state.pop(RANGE, None)


st.title("Timeline")
st.plotly_chart(data.timeline_figure(tz), key=CHART, on_select=_on_select, selection_mode="box", theme=None,
                config={"displaylogo": False, "scrollZoom": False})
st.caption("Drag across the chart to select a time range: the tables below follow it. Hover a marker for the "
           "diff or the event text. Shaded: the config window (bad change to fix change) and, lighter, the data "
           "window (first to last affected payment). Use the toolbar to zoom or pan; double-click to reset.")

selected = st.session_state.get(RANGE)
if selected:
    start, end = selected
    c1, c2 = st.columns([4, 1], vertical_alignment="center")
    c1.markdown(f"**Selected range:** {instant(start, tz)} to {instant(end, tz)} ({duration((end - start).total_seconds())})")
    if c2.button("Whole incident", key="clear_range", icon=":material/zoom_out_map:"):
        st.session_state.pop(RANGE, None)
        st.rerun()
else:
    first, last = s.get("first_affected_at"), s.get("last_affected_at")
    start = datetime.fromisoformat(first) if first else None
    end = datetime.fromisoformat(last) if last else None

# milestones and durations --------------------------------------------------------------------
st.subheader("Milestones and durations")
milestones = data.milestones()
data.table(milestones, tz, durations=("since_impact_start_s",), key="milestones_table",
           labels={"ts": "time", "since_impact_start_s": "after the impact start"})
for row in milestones.filter(~pl.col("order").is_in(["ok", "not recorded"])).iter_rows(named=True):
    st.warning(f"Out of order: {data.plain(row['order'])}.", icon=":material/report:")
durations = pl.DataFrame({
    "duration": ["Propagation lag at the start (bad change to first affected)", "Config window (bad to fix change)",
                 "Propagation lag at the end (fix change to last affected)", "Exposure (first to last affected)"],
    "length": [duration(s.get(k)) for k in ("propagation_lag_start_s", "config_window_s", "propagation_lag_end_s",
                                            "exposure_s")],
})
data.table(durations, tz, column_config={"length": st.column_config.TextColumn(alignment="right")})

# the ordered timeline ------------------------------------------------------------------------
st.subheader("What happened, in order" + (" (selected range)" if selected else ""))
rows = data.timeline(*(selected or (None, None)))
older = rows.filter(pl.col("collapsed"))
show_older = st.toggle(f"Show older context ({count(older.height)} rows)", value=False, key="timeline_older",
                       disabled=older.is_empty(),
                       help="Rows from before the timeline's start (analyze --timeline-context) that no milestone "
                            "or role marks.")
if not show_older:
    rows = rows.filter(~pl.col("collapsed"))
notes = data.notes(ctx.mask)
per_row = (notes.filter(pl.col("what").str.contains("^(change|event|milestone):"))
           .group_by("what").agg(pl.len().alias("notes"), pl.col("star").any().alias("starred")))
rows = rows.join(per_row, left_on="row_key", right_on="what", how="left").sort("ordinal")
st.caption(f"{count(rows.height)} rows" + ("" if selected else "; select a range on the chart to narrow them down")
           + ("" if show_older or older.is_empty() else f"; {count(older.height)} older rows collapsed"))
data.table(
    rows.select("ordinal", "ts", "since_first_affected_s", "since_previous_s", "sources", "kind", "title", "detail",
                "severity", "role", "notes", "starred"),
    tz, durations=("since_first_affected_s", "since_previous_s"), key="timeline_table",
    labels={"ts": "time", "since_first_affected_s": "since first affected", "since_previous_s": "since previous"})

with st.expander("Annotate a row of the timeline", icon=":material/rate_review:"):
    keys = rows.get_column("row_key").to_list()
    titles = dict(zip(keys, (f"{o}. {t}" for o, t in zip(rows.get_column("ordinal"), rows.get_column("title")))))
    st.selectbox("Row", keys, key="timeline_note_row", format_func=lambda k: titles.get(k, k), index=None,
                 placeholder="Choose a row")
    note_form("timeline_note", lambda: st.session_state.get("timeline_note_row"))

# affected payments in the range ---------------------------------------------------------------
if start is not None and end is not None:
    st.subheader("Affected payments " + ("in the selected range" if selected else "(the data window)"))
    totals = data.range_totals(start, end)
    data.cards([("Affected payments", count(totals["affected_txns"])), ("Users", count(totals["affected_users"])),
                ("Excess (gross)", money(totals["excess_total"])),
                ("Excess net of refunds", money(totals["net_excess_total"]))])
    pages = max(1, -(-int(totals["affected_txns"]) // PAGE_SIZE))
    page_key = f"range_page_{start.isoformat()}_{end.isoformat()}"
    page = min(int(st.session_state.get(page_key, 1)), pages)
    payments = data.range_payments(start, end, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, mask=ctx.mask)
    data.table(payments, tz, labels={"ts": "time"}, key="range_table")
    if pages > 1:
        st.pagination(pages, key=page_key)
