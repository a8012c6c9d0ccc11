"""Timeline: the chart (payments, discount rate, excess; every change and event as a marker),
and below it the ordered timeline, the milestones and durations, and the affected payments.

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
milestones = pl.DataFrame({
    "milestone": ["Bad change (config window opens)", "First affected payment", "First alert", "Acknowledged",
                  "Fix change (config window closes)", "Last affected payment"],
    "time": [instant(s.get(k), tz) for k in ("config_window_start", "first_affected_at", "first_alert_at",
                                             "first_ack_at", "config_window_end", "last_affected_at")],
})
durations = pl.DataFrame({
    "duration": ["Propagation lag at the start (bad change to first affected)", "Time to detect (to first alert)",
                 "Time to acknowledge", "Time to mitigate (to the fix change)", "Config window (bad to fix change)",
                 "Propagation lag at the end (fix change to last affected)", "Exposure (first to last affected)"],
    "length": [duration(s.get(k)) for k in ("propagation_lag_start_s", "time_to_detect_s", "time_to_acknowledge_s",
                                            "time_to_mitigate_s", "config_window_s", "propagation_lag_end_s",
                                            "exposure_s")],
})
m1, m2 = st.columns(2)
data.table(milestones, tz, where=m1)
data.table(durations, tz, where=m2, column_config={"length": st.column_config.TextColumn(alignment="right")})

# the ordered timeline ------------------------------------------------------------------------
st.subheader("What happened, in order" + (" (selected range)" if selected else ""))
rows = data.timeline(*(selected or (None, None)))
st.caption(f"{count(rows.height)} rows" + ("" if selected else "; select a range on the chart to narrow them down"))
data.table(
    rows.select("ordinal", "ts", "since_first_affected_s", "since_previous_s", "source", "kind", "title", "detail",
                "severity", "role"),
    tz, durations=("since_first_affected_s", "since_previous_s"), key="timeline_table",
    labels={"ts": "time", "since_first_affected_s": "since first affected", "since_previous_s": "since previous"})

# affected payments in the range ---------------------------------------------------------------
if start is not None and end is not None:
    st.subheader("Affected payments " + ("in the selected range" if selected else "(the data window)"))
    totals = data.range_totals(start, end)
    k = st.columns(4, border=True)
    k[0].metric("Affected payments", count(totals["affected_txns"]))
    k[1].metric("Users", count(totals["affected_users"]))
    k[2].metric("Excess (gross)", money(totals["excess_total"]))
    k[3].metric("Excess net of refunds", money(totals["net_excess_total"]))
    pages = max(1, -(-int(totals["affected_txns"]) // PAGE_SIZE))
    page_key = f"range_page_{start.isoformat()}_{end.isoformat()}"
    page = min(int(st.session_state.get(page_key, 1)), pages)
    payments = data.range_payments(start, end, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, mask=ctx.mask)
    data.table(payments, tz, labels={"ts": "time"}, key="range_table")
    if pages > 1:
        st.pagination(pages, key=page_key)
