"""Overview: the incident in a sentence, the key figures (exactly `analyzer summary`), the bad change."""

from __future__ import annotations

import streamlit as st

from analyzer.formatting import compact_duration, compact_money, count, duration, instant, money
from dashboards import data

ctx = data.context()
s = ctx.summary
tz = ctx.tz

P = data.plain
st.title(f"Incident overview: {P(s.get('campaign_id') or 'no campaign')}")


def sentence() -> str:
    if not s.get("affected_txns"):
        return "No payment got a discount different from its intended config: nothing is affected."
    who = P(s.get("bad_change_actor") or "an unknown actor")
    text = (f"On {instant(s.get('config_window_start') or s.get('first_affected_at'), tz, millis=False)}, "
            f"**{who}** changed **{P(s.get('campaign_id'))}** ({P(s.get('bad_change_id') or 'change not identified')}). "
            f"Over **{duration(s.get('exposure_s'))}**, **{count(s.get('affected_txns'))}** payments of "
            f"**{count(s.get('affected_users'))}** users at **{count(s.get('affected_merchants'))}** merchants got "
            f"a wrong discount: **{money(s.get('excess_total'))}** in excess, "
            f"**{money(s.get('net_excess_total'))}** net of refunds.")
    if s.get("fix_change_id"):
        text += (f" {P(s.get('fix_change_actor') or 'Someone')} rolled it back with {P(s['fix_change_id'])} "
                 f"{duration(s.get('config_window_s'))} after the change; the last affected payment came "
                 f"{duration(s.get('propagation_lag_end_s'))} after the fix.")
    if s.get("first_alert_at"):
        text += (f" The first alert (\u201c{P(s.get('first_alert_title'))}\u201d) fired "
                 f"{duration(s.get('time_to_detect_s'))} after the first affected payment.")
    return text


st.markdown(sentence())

CURRENCY = s.get("currency")


def amount(key: str, what: str) -> tuple[str, str]:
    """A headline amount: short enough never to be cut (4.76M), the exact figure on hover."""
    exact = money(s.get(key)) + (f" {CURRENCY}" if CURRENCY else "")
    return compact_money(s.get(key)), f"Exactly {exact}. {what}"


def span(key: str, what: str) -> tuple[str, str]:
    """A headline duration, short (5m 22s), the exact one on hover."""
    return compact_duration(s.get(key)), f"Exactly {duration(s.get(key))}. {what}"


FIGURES = [
    [("Affected users", count(s.get("affected_users")), "Users with at least one affected payment."),
     ("Affected payments", count(s.get("affected_txns")), "Payments whose discount differs from the intended config."),
     ("Affected merchants", count(s.get("affected_merchants")), "Payees of affected payments."),
     ("Exploiters", count(s.get("exploiters")), "Users flagged for many affected transfers/card repayments.")],
    [("Excess (gross)", *amount("excess_total", "Sum of discount - expected over affected payments.")),
     ("Excess net of refunds", *amount("net_excess_total", "Leaves out fully refunded payments.")),
     ("Excess after the fix", *amount("excess_after_fix", "Priced by lagging nodes after the rollback.")),
     ("Exploiters' excess", *amount("exploiters_excess_total", "Excess of the users flagged as exploiters."))],
    [("Exposure", *span("exposure_s", "First to last affected payment (the data window).")),
     ("Time to detect", *span("time_to_detect_s", "First affected payment to the first alert.")),
     ("Time to mitigate", *span("time_to_mitigate_s", "First affected payment to the fix change.")),
     ("Propagation lag", *span("propagation_lag_end_s",
      "Fix change to the last affected payment: how long pricing nodes kept the bad config. "
      f"At the start: {duration(s.get('propagation_lag_start_s'))} from the bad change to the first affected payment."))],
]
if CURRENCY:
    st.caption(f"Amounts in {P(CURRENCY)}.")
for row in FIGURES:
    data.cards(row)

st.subheader("The bad change")
bad = data.bad_change(s.get("bad_change_id"))
if bad is None:
    st.info("No bad change was identified.")
else:
    changes = "; ".join(f"{P(f)}: {P(b)} → {P(a)}" for f, b, a in zip(bad["fields"], bad["befores"], bad["afters"]))
    st.markdown(
        f"**{P(bad['actor'] or '?')}** changed **{P(', '.join(bad['fields']) or 'nothing')}** of {P(bad['campaign_id'])} "
        f"at {P(instant(bad['ts'], tz))} ({P(bad['change_id'])}, {P(bad['prev_version'] or '-')} → {P(bad['version'])}, "
        f"approver: {P(bad['approver']) if bad['approver'] else '**none**'}, ticket {P(bad['ticket'] or '-')}): {changes}.")
    reason = s.get("bad_change_reason") or ("inferred" if s.get("bad_change_inferred") else "named by the analyst")
    st.caption(f"Why this change: {P(reason)}")
if s.get("fix_change_id"):
    note = s.get("fix_change_note") or ("inferred" if s.get("fix_change_inferred") else "named by the analyst")
    st.caption(f"Fix change {P(s['fix_change_id'])} by {P(s.get('fix_change_actor') or '?')} at "
               f"{P(instant(s.get('config_window_end'), tz))} ({P(note)}).")

st.caption(f"Rows read {count(s.get('rows_read'))} = loaded {count(s.get('rows_loaded'))} + duplicate "
           f"{count(s.get('rows_duplicate'))} + rejected {count(s.get('rows_rejected'))}. "
           f"{count(s.get('payments_analyzed'))} payments priced, {count(s.get('lagged_payments'))} by a lagging node, "
           f"{count(s.get('unexplained_payments'))} unexplained. Times in {tz}.")
