"""Plotly figure builders shared by the dashboard and the HTML/Markdown report.

Pure functions: polars DataFrames (rows of the derived tables) and the summary dict in, a
`plotly.graph_objects.Figure` out; no database, no Streamlit, nothing printed. Money stays
Decimal everywhere it is shown (hover text, bar labels, formatted with `analyzer.formatting`);
it becomes a float only as a coordinate on a chart axis.

Callers: `dashboards/views/*` (via `st.plotly_chart`) and `analyzer/report/` (HTML embeds and
static images).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from analyzer.formatting import count, instant, money

__all__ = ["timeline_figure", "breakdown_figure", "guardrails_figure", "scam_reports_figure", "SEVERITY_COLORS", "LANES"]

SEVERITY_COLORS = {"critical": "#c0392b", "warning": "#e67e22", "info": "#5d6d7e"}
# The marker lanes of the timeline figure, top to bottom, and which timeline rows go in each.
LANES = ("config change", "milestone", "event")
LANE_SYMBOLS = {"config change": "diamond", "milestone": "star", "event": "circle"}
CONFIG_WINDOW_COLOR = "rgba(192, 57, 43, 0.10)"
DATA_WINDOW_COLOR = "rgba(230, 126, 34, 0.14)"
SERIES_COLORS = {"payments": "#2e86c1", "rate": "#8e44ad", "excess": "#c0392b"}  # by the last word of the name
ROLE_LABELS = {"bad_change": "bad change", "fix_change": "fix change", "first_affected": "first affected",
               "peak_minute": "peak minute", "last_affected": "last affected", "previous_version": "previous version",
               "detected": "detected", "acknowledged": "acknowledged", "declared": "declared", "resolved": "resolved",
               "communicated": "statement"}


# --- helpers -------------------------------------------------------------------------------
def _parse_instant(value: Any) -> datetime | None:
    """An instant from the summary dict (ISO 8601 text) or a datetime; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _window(fig: Any, start: Any, end: Any, tz: str, fill: str, ink: str, name: str, *, at_end: bool) -> None:
    """A shaded time window over every row of the figure, named at the top (at its start or end)."""
    if not (start and end):
        return
    fig.add_vrect(x0=_local(start, tz), x1=_local(end, tz), fillcolor=fill, line_width=0, layer="below",
                  row="all", col=1)
    fig.add_annotation(x=_local(end if at_end else start, tz), y=1.0, xref="x", yref="paper", yanchor="bottom",
                       xanchor="right" if at_end else "left", showarrow=False, font={"size": 10, "color": ink},
                       text=f"{name} {_esc(_hm(start, tz))}–{_esc(_hm(end, tz))}")


def _local(value: datetime | None, tz: str) -> datetime | None:
    """A naive wall-clock datetime in `tz`: Plotly.js has no zones, so the axis is drawn in local time."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime: instants must carry their zone")
    return value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _local_column(df: pl.DataFrame, column: str, tz: str) -> pl.Series:
    """A UTC (or any-zone) datetime column as naive wall-clock times in `tz`."""
    s = df.get_column(column)
    if s.dtype.time_zone is None:  # type: ignore[union-attr]
        s = s.dt.replace_time_zone("UTC")
    return s.dt.convert_time_zone(tz).dt.replace_time_zone(None)


def _offset_label(tz: str, at: datetime | None) -> str:
    at = at or datetime.now(ZoneInfo("UTC"))
    offset = at.astimezone(ZoneInfo(tz)).strftime("%z")
    return f"{tz}, UTC{offset[:3]}:{offset[3:]}"


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=False)


def _wrap(text: str, width: int = 90) -> str:
    """Break a long hover line on '; ' so the tooltip stays readable."""
    parts, line, out = text.split("; "), "", []
    for part in parts:
        candidate = f"{line}; {part}" if line else part
        if line and len(candidate) > width:
            out.append(line)
            line = part
        else:
            line = candidate
    if line:
        out.append(line)
    return "<br>".join(_esc(p) for p in out)


def _to_float(values: list[Any]) -> list[float | None]:
    """The drawing edge: exact values become axis coordinates (never shown as numbers)."""
    return [None if v is None else float(v) for v in values]


def _lane(source: str | None, kind: str | None) -> str:
    if source == "config_changes":
        return "config change"
    if source == "analysis":
        return "milestone"
    return "event"


def _text_position(lane: str, n: int) -> str:
    """Where the n-th marker of a lane puts its label: lanes use different sides so that
    markers at the same instant (the bad change and the first affected payment) stay legible."""
    if lane == "config change":
        return "top center"
    if lane == "milestone":
        return "middle right"
    return "bottom center" if n % 2 == 0 else "top center"


def _label(row: dict[str, Any]) -> str:
    role = row.get("role")
    if role in ROLE_LABELS:
        return ROLE_LABELS[role]
    if row.get("source") == "config_changes":
        ref = row.get("ref_id") or ""
        return f"{row.get('kind') or 'change'} {ref[-4:]}" if ref else (row.get("kind") or "change")
    return (row.get("kind") or "event").replace("_", " ")


# --- the series: per second inside the incident, per minute around it ------------------------
def _series(minute: pl.DataFrame, second: pl.DataFrame, campaigns: list[str] | None) -> pl.DataFrame:
    """One row per time bucket: start, width in seconds, payments, amount, discount, excess.

    Per-second buckets (second_metrics) cover the incident window; per-minute buckets
    (minute_metrics) are used outside it. Both are restricted to the analysed campaigns
    (second_metrics holds only those), summed over campaigns. Sums stay exact (Decimal).
    """
    cols = ["payments", "amount", "discount", "excess"]

    def bucketed(df: pl.DataFrame, ts: str, width: int) -> pl.DataFrame:
        if df.is_empty():
            return pl.DataFrame(schema={"bucket": pl.Datetime("us", "UTC"), "width_s": pl.Int64,
                                        "payments": pl.Int64, "amount": pl.Decimal(38, 2),
                                        "discount": pl.Decimal(38, 2), "excess": pl.Decimal(38, 2)})
        if campaigns and "campaign_id" in df.columns:
            df = df.filter(pl.col("campaign_id").is_in(campaigns))
        out = (df.group_by(ts).agg(pl.col("payments").sum().cast(pl.Int64),
                                   *[pl.col(c).sum() for c in cols[1:]])
               .rename({ts: "bucket"}).with_columns(pl.lit(width, pl.Int64).alias("width_s")))
        bucket = out.get_column("bucket")
        if bucket.dtype.time_zone is None:  # type: ignore[union-attr]
            out = out.with_columns(pl.col("bucket").dt.replace_time_zone("UTC"))
        return out.with_columns(pl.col("bucket").dt.convert_time_zone("UTC").dt.cast_time_unit("us"))

    per_second = bucketed(second, "second", 1)
    per_minute = bucketed(minute, "minute", 60)
    if not per_second.is_empty():
        lo = per_second.get_column("bucket").min()
        hi = per_second.get_column("bucket").max()
        # a minute is replaced by seconds when it overlaps the per-second window at all
        per_minute = per_minute.filter((pl.col("bucket") + pl.duration(minutes=1) <= lo) | (pl.col("bucket") > hi))
    both = pl.concat([per_minute.select("bucket", "width_s", *cols), per_second.select("bucket", "width_s", *cols)],
                     how="vertical_relaxed")
    return both.sort("bucket")


def timeline_figure(minute: pl.DataFrame, second: pl.DataFrame, timeline: pl.DataFrame, summary: dict,
                    tz: str) -> go.Figure:
    """Payments, discount rate and excess over time, with the timeline's markers and windows.

    minute: minute_metrics rows; second: second_metrics rows; timeline: the timeline table;
    summary: the `load_summary` dict; tz: the zone the x axis is drawn in.
    Rows of the figure, top to bottom: marker lanes (config changes, milestones, events; hover
    shows the diff or the event text), payments per second, discount rate (% of amount),
    excess per second. Shaded: the config window (bad change -> fix change) and the data
    window (first -> last affected payment). The initial x range is the incident with a margin;
    zooming out shows every marker.
    """
    campaigns = summary.get("campaigns") or ([summary["campaign_id"]] if summary.get("campaign_id") else None)
    series = _series(minute, second, campaigns)
    config_start = _parse_instant(summary.get("config_window_start"))
    config_end = _parse_instant(summary.get("config_window_end"))
    first_at = _parse_instant(summary.get("first_affected_at"))
    last_at = _parse_instant(summary.get("last_affected_at"))

    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.035,
                        row_heights=[0.22, 0.26, 0.22, 0.30])

    # markers ----------------------------------------------------------------------------
    rows = timeline.sort("ts").to_dicts() if not timeline.is_empty() else []
    lane_counts: dict[str, int] = {}
    for lane in LANES:
        lane_rows = [r for r in rows if _lane(r.get("source"), r.get("kind")) == lane]
        if not lane_rows:
            continue
        xs, texts, hovers, colors, positions = [], [], [], [], []
        for r in lane_rows:
            n = lane_counts.get(lane, 0)
            lane_counts[lane] = n + 1
            xs.append(_local(r["ts"], tz))
            texts.append(_esc(_label(r)))
            positions.append(_text_position(lane, n))
            colors.append(SEVERITY_COLORS.get(r.get("severity") or "info", SEVERITY_COLORS["info"]))
            detail = r.get("detail")
            hovers.append(f"<b>{_esc(r.get('title'))}</b><br>{_esc(instant(r['ts'], tz))}"
                          f" · {_esc(r.get('source'))} / {_esc(r.get('kind'))}"
                          + (f"<br>{_wrap(detail)}" if detail else ""))
        fig.add_trace(go.Scatter(
            x=xs, y=[lane] * len(xs), mode="markers+text", name=lane, text=texts, textposition=positions,
            textfont={"size": 10}, hovertext=hovers, hovertemplate="%{hovertext}<extra></extra>",
            marker={"symbol": LANE_SYMBOLS[lane], "size": 12, "color": colors, "line": {"width": 1, "color": "white"}},
            showlegend=False, meta={"role": "markers", "lane": lane}), row=1, col=1)
    fig.update_yaxes(row=1, col=1, type="category", categoryorder="array", categoryarray=list(reversed(LANES)),
                     range=[-0.7, len(LANES) - 0.3], showgrid=False, fixedrange=True)

    # series -----------------------------------------------------------------------------
    if not series.is_empty():
        xs = _local_column(series, "bucket", tz).to_list()
        widths = series.get_column("width_s").to_list()
        payments = series.get_column("payments").to_list()
        amounts = series.get_column("amount").to_list()
        discounts = series.get_column("discount").to_list()
        excesses = series.get_column("excess").to_list()
        buckets = [("second " if w == 1 else "minute ") + x.strftime("%H:%M:%S" if w == 1 else "%H:%M")
                   for x, w in zip(xs, widths)]
        rates = [None if not a else float(Decimal(d) * 100 / Decimal(a)) for a, d in zip(amounts, discounts)]
        hover_pay = [f"{b}: {count(p)} payments" for b, p in zip(buckets, payments)]
        hover_rate = [f"{b}: discount {money(d)} of {money(a)}" + (f" ({r:.2f}%)" if r is not None else "")
                      for b, d, a, r in zip(buckets, discounts, amounts, rates)]
        hover_exc = [f"{b}: excess {money(e)} over its {count(p)} payments" for b, e, p in zip(buckets, excesses, payments)]
        def line(y: list, hover: list[str], name: str, **extra: Any) -> go.Scatter:
            return go.Scatter(x=xs, y=y, hovertext=hover, name=name, mode="lines", showlegend=False,
                              line={"width": 1.6, "color": SERIES_COLORS[name.split()[-1]]},
                              hovertemplate="%{hovertext}<extra></extra>", meta={"role": "series"}, **extra)

        fig.add_trace(line([p / w for p, w in zip(payments, widths)], hover_pay, "payments"), row=2, col=1)
        fig.add_trace(line(rates, hover_rate, "discount rate"), row=3, col=1)
        fig.add_trace(line([None if e is None else e / w for e, w in zip(_to_float(excesses), widths)], hover_exc,
                           "excess", fill="tozeroy"), row=4, col=1)
    fig.update_yaxes(title_text="payments / s", row=2, col=1, rangemode="tozero")
    fig.update_yaxes(title_text="discount %", row=3, col=1, rangemode="tozero")
    fig.update_yaxes(title_text="excess / s", row=4, col=1, rangemode="tozero")

    # windows ----------------------------------------------------------------------------
    _window(fig, config_start, config_end, tz, CONFIG_WINDOW_COLOR, "#c0392b", "config window", at_end=False)
    _window(fig, first_at, last_at, tz, DATA_WINDOW_COLOR, "#b9770e", "data window", at_end=True)

    # layout -----------------------------------------------------------------------------
    start = min(filter(None, [config_start, first_at]), default=None)
    end = max(filter(None, [config_end, last_at]), default=None)
    if start and end:
        margin = max(timedelta(minutes=5), (end - start) / 2)
        fig.update_xaxes(range=[_local(start - margin, tz), _local(end + margin, tz)])
    title = "Payments, discount rate and excess"
    if campaigns:
        title += f" ({', '.join(campaigns)})"
    fig.update_xaxes(title_text=f"time ({_offset_label(tz, start)}); per second inside the incident, per minute around it",
                     row=4, col=1)
    fig.update_xaxes(showspikes=True, spikemode="across", spikethickness=1, spikedash="dot", spikecolor="#999")
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"}, template="plotly_white", height=640,
                      margin={"l": 90, "r": 30, "t": 70, "b": 60}, hovermode="closest", dragmode="select",
                      selectdirection="h", font={"size": 12})
    return fig


def _hm(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%H:%M:%S")


# --- breakdowns ----------------------------------------------------------------------------
def breakdown_figure(df: pl.DataFrame, label: str, value: str, title: str) -> go.Figure:
    """A horizontal bar per row of `df`: `label` on the y axis, `value` as the bar, largest on top.

    `value` may be money (Decimal: the bar label shows it exactly) or a count. Draws the rows
    it is given; the caller chooses how many (top N). NULL labels are drawn as "(none)".
    """
    rows = df.select(label, value).to_dicts() if not df.is_empty() else []
    rows.sort(key=lambda r: (r[value] is None, -(r[value] or 0)))
    labels = ["(none)" if r[label] is None else str(r[label]) for r in rows]
    values = [r[value] for r in rows]
    is_money = any(isinstance(v, Decimal) for v in values) or isinstance(df.schema.get(value), pl.Decimal)
    texts = [money(v) if is_money else (count(v) if isinstance(v, int) or v is None else f"{v:,}") for v in values]
    fig = go.Figure(go.Bar(
        x=_to_float(values), y=labels, orientation="h", text=texts, textposition="auto",
        hovertext=[f"{_esc(lab)}: {t}" for lab, t in zip(labels, texts)], hovertemplate="%{hovertext}<extra></extra>",
        marker_color=SERIES_COLORS["excess"] if is_money else SERIES_COLORS["payments"], name=value))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title_text=value.replace("_", " "), rangemode="tozero")
    fig.update_layout(title={"text": title, "x": 0, "xanchor": "left"}, template="plotly_white",
                      height=max(260, 70 + 28 * len(rows)), margin={"l": 10, "r": 20, "t": 50, "b": 40},
                      showlegend=False)
    return fig


# --- guardrails ------------------------------------------------------------------------------
TRIP_COLORS = {"payment": "#2e86c1", "rate": "#8e44ad", "change": "#27ae60", "try": "#e67e22"}


def guardrails_figure(minute: pl.DataFrame, second: pl.DataFrame, summary: dict, trips: pl.DataFrame,
                      tz: str) -> go.Figure:
    """When each guardrail would have acted, on the incident's own discount and excess.

    trips: one row per rule (analyzer.guardrails.replay.Replay.frame(), with an `acts_on` column
    and optionally `group`): `rule`, `tripped_at` (null: it never trips), `excess_prevented`,
    `legit_discount_blocked`. Rows of the figure: a marker per rule at its trip instant (hover:
    what it prevents and costs), then the discount and the excess per second (per minute outside
    the incident), with the config window shaded and a line at each trip.
    """
    campaigns = summary.get("campaigns") or ([summary["campaign_id"]] if summary.get("campaign_id") else None)
    series = _series(minute, second, campaigns)
    config_start = _parse_instant(summary.get("config_window_start"))
    config_end = _parse_instant(summary.get("config_window_end"))
    last_at = _parse_instant(summary.get("last_affected_at"))
    rows = trips.to_dicts() if not trips.is_empty() else []
    tripped = [r for r in rows if r.get("tripped_at") is not None]
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.05, row_heights=[0.30, 0.35, 0.35])

    names = [_esc(r["rule"]) for r in rows]  # axis labels are HTML-ish in Plotly: escape the rules' names
    for r in tripped:
        color = TRIP_COLORS.get(r.get("group") or r.get("acts_on") or "", TRIP_COLORS["payment"])
        at = _local(r["tripped_at"], tz)
        hover = (f"<b>{_esc(r['rule'])}</b> trips at {_esc(instant(r['tripped_at'], tz))}"
                 f"<br>prevents {_esc(money(r.get('excess_prevented')))}, takes "
                 f"{_esc(money(r.get('legit_discount_blocked')))} of legitimate discount")
        fig.add_trace(go.Scatter(x=[at], y=[_esc(r["rule"])], mode="markers", name=_esc(r["rule"]), showlegend=False,
                                 hovertext=[hover], hovertemplate="%{hovertext}<extra></extra>",
                                 marker={"symbol": "triangle-down", "size": 14, "color": color},
                                 meta={"role": "trip", "rule": str(r["rule"])}), row=1, col=1)
        fig.add_shape(type="line", x0=at, x1=at, y0=0, y1=1, xref="x", yref="paper",
                      line={"width": 1, "dash": "dot", "color": color})
    fig.update_yaxes(row=1, col=1, type="category", categoryorder="array", categoryarray=list(reversed(names)),
                     showgrid=False, fixedrange=True)

    if not series.is_empty():
        xs = _local_column(series, "bucket", tz).to_list()
        widths = series.get_column("width_s").to_list()
        for row, column, name in ((2, "discount", "discount"), (3, "excess", "excess")):
            values = series.get_column(column).to_list()
            hover = [("second " if w == 1 else "minute ") + x.strftime("%H:%M:%S" if w == 1 else "%H:%M")
                     + f": {name} {money(v)}" for x, w, v in zip(xs, widths, values)]
            fig.add_trace(go.Scatter(
                x=xs, y=[None if v is None else v / w for v, w in zip(_to_float(values), widths)], mode="lines",
                name=name, showlegend=False, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
                line={"width": 1.6, "color": SERIES_COLORS["rate" if name == "discount" else "excess"]},
                fill="tozeroy" if name == "excess" else None, meta={"role": "series"}), row=row, col=1)
    fig.update_yaxes(title_text="discount / s", row=2, col=1, rangemode="tozero")
    fig.update_yaxes(title_text="excess / s", row=3, col=1, rangemode="tozero")
    if config_start and config_end:
        fig.add_vrect(x0=_local(config_start, tz), x1=_local(config_end, tz), fillcolor=CONFIG_WINDOW_COLOR,
                      line_width=0, layer="below", row="all", col=1)

    instants = [i for i in [config_start, config_end, last_at, *(r["tripped_at"] for r in tripped)] if i]
    if instants:
        start, end = min(instants), max(instants)
        margin = max(timedelta(minutes=2), (end - start) / 10)
        fig.update_xaxes(range=[_local(start - margin, tz), _local(end + margin, tz)])
    fig.update_xaxes(title_text=f"time ({_offset_label(tz, config_start)})", row=3, col=1)
    fig.update_layout(title={"text": "When each guardrail would have acted", "x": 0, "xanchor": "left"},
                      template="plotly_white", height=max(420, 300 + 26 * len(names)),
                      margin={"l": 150, "r": 30, "t": 60, "b": 60}, hovermode="closest", font={"size": 12})
    return fig


# --- scam-message reports --------------------------------------------------------------------
SCAM_COLORS = {"affected": "#c0392b", "other": "#95a5a6"}


def _bucket(span: timedelta) -> tuple[str, str]:
    """(polars truncate every, label) for bars over `span`."""
    if span <= timedelta(hours=6):
        return "15m", "15 minutes"
    if span <= timedelta(days=2):
        return "1h", "hour"
    return "1d", "day"


def scam_reports_figure(reports: pl.DataFrame, summary: dict, tz: str) -> go.Figure:
    """Scam-message reports over time, next to the incident window.

    reports: rows of the scam_reports table (ts, linked_user_id, after_bad_change); summary: the
    `load_summary` dict. Bars count the reports per bucket (15 minutes, an hour or a day, by the
    span), those linked to an affected user apart from the others; the config window is shaded
    and the declaration and the official statement are drawn as lines.
    """
    fig = go.Figure()
    config_start = _parse_instant(summary.get("config_window_start"))
    config_end = _parse_instant(summary.get("config_window_end")) or config_start
    rows = reports.filter(pl.col("after_bad_change")) if not reports.is_empty() else reports
    if not rows.is_empty():
        ts = rows.get_column("ts")
        if ts.dtype.time_zone is None:  # type: ignore[union-attr]
            rows = rows.with_columns(pl.col("ts").dt.replace_time_zone("UTC"))
        start = min(filter(None, [config_start, rows.get_column("ts").min()]))
        end = rows.get_column("ts").max()
        every, label = _bucket(end - start)
        local = rows.with_columns(
            bucket=pl.col("ts").dt.convert_time_zone(tz).dt.replace_time_zone(None).dt.truncate(every),
            who=pl.when(pl.col("linked_user_id").is_not_null()).then(pl.lit("affected")).otherwise(pl.lit("other")))
        counts = local.group_by("bucket", "who").agg(pl.len().alias("n")).sort("bucket")
        for who, name in (("affected", "from affected users"), ("other", "from other or unknown people")):
            part = counts.filter(pl.col("who") == who)
            if part.is_empty():
                continue
            xs = part.get_column("bucket").to_list()
            ns = part.get_column("n").to_list()
            fig.add_trace(go.Bar(x=xs, y=ns, name=name, marker_color=SCAM_COLORS[who],
                                 hovertext=[f"{x:%Y-%m-%d %H:%M}: {count(n)} reports {name}" for x, n in zip(xs, ns)],
                                 hovertemplate="%{hovertext}<extra></extra>"))
        fig.update_yaxes(title_text=f"reports per {label}", rangemode="tozero")
    if config_start and config_end:
        fig.add_vrect(x0=_local(config_start, tz), x1=_local(config_end, tz) + timedelta(minutes=1),
                      fillcolor="rgba(192, 57, 43, 0.25)", line_width=0, layer="below")
        fig.add_annotation(x=_local(config_start, tz), y=1.0, yref="paper", yanchor="bottom", xanchor="left",
                           showarrow=False, font={"size": 10, "color": "#c0392b"},
                           text=f"incident {_esc(_hm(config_start, tz))}–{_esc(_hm(config_end, tz))}")
    for key, text, color in (("declared_at", "declared", "#b9770e"), ("communicated_at", "official statement",
                                                                       "#1e8449")):
        at = _parse_instant(summary.get(key))
        if at is not None:
            fig.add_vline(x=_local(at, tz), line_width=1.5, line_dash="dash", line_color=color)
            fig.add_annotation(x=_local(at, tz), y=0.92, yref="paper", xanchor="left", showarrow=False,
                               font={"size": 10, "color": color}, text=_esc(text))
    fig.update_xaxes(title_text=f"time ({_offset_label(tz, config_start)})")
    fig.update_layout(title={"text": "Scam-message reports over time", "x": 0, "xanchor": "left"},
                      template="plotly_white", barmode="stack", height=380, bargap=0.1,
                      margin={"l": 70, "r": 30, "t": 60, "b": 50}, legend={"orientation": "h", "y": -0.25})
    return fig
