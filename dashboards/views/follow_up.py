"""Customer follow-up: the scam-message reports after the incident, linked to affected users,
over time next to the incident window, the domains and phrases they report, and the
remediation lists that answer them."""

from __future__ import annotations

import streamlit as st

from analyzer.formatting import count, duration, instant
from dashboards import data

ctx = data.context()
s = ctx.summary
tz = ctx.tz

st.title("Customer follow-up")
first = instant(s.get("first_scam_report_at"), tz, millis=False)
data.cards([("Scam-message reports", count(s.get("scam_reports")), "Events of kind scam_report since the bad change."),
            ("From affected users", count(s.get("scam_reports_linked")),
             "Linked by the reporter's user id, or an affected user id named in the text."),
            ("Affected users who reported", count(s.get("scam_reporters_affected"))),
            ("First report", first[11:19] if first != "-" else "-",
             f"{first}, {duration(s.get('time_to_first_scam_report_s'))} after the impact start.")])
st.caption(f"Official statement: {data.plain(instant(s.get('communicated_at'), tz))} "
           f"({data.plain(duration(s.get('time_to_communicate_s')))} after the impact start).")

if s.get("scam_reports"):
    st.plotly_chart(data.scam_figure(tz), key="scam_chart", theme=None, config={"displaylogo": False})
    g1, g2 = st.columns(2)
    with g1:
        st.subheader("Reported domains")
        data.table(data.scam_groups("domains"), tz, key="scam_domains_table")
    with g2:
        st.subheader("Reported phrases")
        data.table(data.scam_groups("phrases"), tz, key="scam_phrases_table")
    st.subheader("The reports")
    data.table(data.scam_reports(mask=ctx.mask), tz, key="scam_reports_table",
               labels={"ts": "time", "linked_user": "affected user"})
else:
    st.info("No scam-message report is recorded after the bad change.")

st.subheader("Remediation lists")
notify = (s.get("affected_users") or 0) - (s.get("exploiters") or 0)
st.markdown(f"`analyzer report` writes **exploiters.csv** ({count(s.get('exploiters'))} users, for risk review, with "
            f"their evidence) and **notify.csv** ({count(notify)} users: the excess they keep, a reference number and "
            "the official message in Chinese and English: the platform will not ask for the discount back and never "
            "sends a link to reverse it), and **notify_merchants.csv**, beside affected_users.csv; ids are masked "
            "unless `--no-mask-pii`.")
