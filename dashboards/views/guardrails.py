"""Guardrails: which rule would have stopped the incident, when, and at what legitimate cost.

The rules of the default rule set (or of an uploaded rules file) replayed over the analysed
payments (analyzer.guardrails.replay, exactly `analyzer replay`), the trip instants on the
incident's discount and excess, and inputs to try another cap or burn-rate threshold, replayed
on the spot (cached per value).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from analyzer.charts import guardrails_figure
from analyzer.errors import AnalyzerError
from analyzer.formatting import count, money
from dashboards import data

ctx = data.context()
s = ctx.summary
tz = ctx.tz
P = data.plain
LABELS = {"tripped_at": "tripped at", "time_to_trip_s": "time to trip", "payments_blocked": "payments blocked",
          "excess_prevented": "excess prevented", "share_prevented": "share prevented",
          "excess_leaked": "excess leaked", "legit_discount_blocked": "legitimate discount taken away",
          "legit_payments_blocked": "legitimate payments hit", "trips_elsewhere": "trips elsewhere"}
COLUMNS = ("rule", "kind", "what it does", *LABELS, "notes")

st.title("Guardrails: what would have stopped it")
uploaded = st.file_uploader("Rules file (TOML, [[rules]] tables); without one, the default rule set",
                            type=["toml"], key="rules_file")
try:
    if uploaded is not None:
        result = data.replay_text(uploaded.getvalue().decode("utf-8", errors="replace"), uploaded.name)
    else:
        result = data.replay_default()
except AnalyzerError as exc:
    st.error(P(exc.message))
    st.stop()

inc = result.incident
st.caption(f"{P(result.rules.source)}: {len(result.rules)} rules replayed over {count(inc.payments)} payments of "
           f"{P(', '.join(inc.campaigns))}; at stake {money(inc.excess_at_stake)}, the over-discount of "
           f"{count(inc.over_discounted_payments)} payments. Time to trip counts from the bad change.")
if result.recommendation is not None:
    st.success(P(result.recommendation.sentence()))

frame = result.frame()
data.table(frame.select(COLUMNS), tz, durations=("time_to_trip_s",), labels=LABELS, key="guardrails_table")
st.plotly_chart(guardrails_figure(data.minute_metrics(), data.second_metrics(), s, frame, tz), theme=None,
                key="guardrails_chart", config={"displaylogo": False})

# try other thresholds ----------------------------------------------------------------------------
st.subheader("Try other thresholds")
st.caption("Each value is checked like a rules file's (money to the cent, whole seconds) and replayed at once.")
c1, c2, c3, c4, c5 = st.columns(5)
cap = c1.text_input("Per-payment cap", value="20.00", key="try_cap")
factor = c2.text_input("Burn-rate factor", value="3", key="try_factor")
window_s = c3.text_input("Burn-rate window (s)", value="60", key="try_window")
baseline_s = c4.text_input("Burn-rate baseline (s)", value="3600", key="try_baseline")
delay_s = c5.text_input("Pause delay (s)", value="30", key="try_delay")

tried = []
for name, kind, values in (
        ("your cap", "per_payment_cap", (("max_discount", cap.strip()),)),
        ("your burn rate", "burn_rate", (("factor", factor.strip()), ("window_s", window_s.strip()),
                                         ("baseline_s", baseline_s.strip()), ("delay_s", delay_s.strip())))):
    try:
        tried.append(data.try_rule(kind, values, name=name))
    except AnalyzerError as exc:
        st.error(P(exc.message))
if tried:
    frames = [t.frame() for t in tried]
    mine = pl.concat(frames).with_columns(pl.lit("try").alias("group"))
    data.table(mine.select(COLUMNS), tz, durations=("time_to_trip_s",), labels=LABELS, key="try_table")
    st.plotly_chart(guardrails_figure(data.minute_metrics(), data.second_metrics(), s, mine, tz), theme=None,
                    key="try_chart", config={"displaylogo": False})
