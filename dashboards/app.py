"""Entry point of the dashboard: page config, the shared sidebar, and st.navigation.

Started by `analyzer dashboard --db FILE` (analyzer/serve/launch.py), i.e.
`streamlit run dashboards/app.py -- --db FILE`; the database may also come from ANALYZER_DB.
Every page reads the same settings (database generation, display zone, masking) from
`data.context()`. A run reads the generation of the database that was current when it started;
the sidebar watches for a newer one and offers to load it.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboards/ on the path, not the checkout
    sys.path.insert(0, str(ROOT))

import pandas  # noqa: E402,F401  - imported once here: sessions starting at once raced on its import
import streamlit as st  # noqa: E402

from analyzer import store  # noqa: E402
from analyzer.formatting import instant  # noqa: E402
from analyzer.serve import access  # noqa: E402
from dashboards import data  # noqa: E402

st.set_page_config(page_title="Incident review", page_icon=":material/receipt_long:", layout="wide")

# Off loopback the launcher requires a login (analyzer/serve/access.py); the app fails closed.
REQUIRE_AUTH = os.environ.get(access.REQUIRE_AUTH_ENV) == "1"
user = st.user.to_dict()
if REQUIRE_AUTH and not user.get("is_logged_in", False):
    st.title("Incident review")
    st.info("This dashboard shows payment data of an incident: log in to see it.")
    if st.button("Log in", key="login", icon=":material/login:"):
        st.login(access.provider_name(data.secrets()))
    st.stop()

path = data.db_path_from_args()
label = st.session_state.get("analysis_label", "default")
problem, generation = data.problem(path, label)
if problem is not None and label != "default":  # a label that is gone: back to the default analysis
    label = "default"
    st.session_state.pop("analysis_label", None)
    problem, generation = data.problem(path, label)
if problem is not None:
    data.show_problem(problem)
    st.stop()

data.set_context(data.Context(path=path, generation=generation, tz="UTC", mask=True, summary={}, label=label))
summary = data.summary()
incident_tz = summary.get("display_tz") or "UTC"
seen = st.session_state.get("_seen_generation")
if seen is not None and seen != generation:
    st.toast("The database changed: this page shows the new analysis.", icon=":material/sync:")
st.session_state["_seen_generation"] = generation


@st.fragment(run_every=3)
def watch_generation() -> None:
    """Say so when `ingest` or `analyze` switched in a newer generation than this page shows."""
    now = store.generation(path)
    if now is None or now.key == generation:
        return
    try:
        latest, _ = data.open_current(path)
        with latest.cursor() as cur:
            newest = (store.history(cur) or [{}])[0]
    except Exception:  # a writer switching right now: look again at the next tick
        return
    when = instant(newest["finished_at"], incident_tz, millis=False) if newest.get("finished_at") else "just now"
    st.warning(f"The database changed ({data.plain(newest.get('command', 'write'))} at {data.plain(when)}). "
               "This page still shows the earlier analysis.", icon=":material/sync_problem:")
    if st.button("Load the new analysis", key="reload_generation", icon=":material/refresh:"):
        st.rerun(scope="app")


with st.sidebar:
    st.caption("Database")
    st.text(path)
    st.caption(f"Campaign {data.plain(', '.join(summary.get('campaigns') or [summary.get('campaign_id') or '-']))}; "
               f"analyzed {data.plain(instant(summary.get('analyzed_at'), incident_tz, millis=False))}")
    watch_generation()
    known = data.analyses()
    if len(known) > 1:
        st.selectbox("Analysis", known, key="analysis_label",
                     help="Named analyses of this database (analyzer analyze --label); compare them with "
                          "analyzer compare.")
    zones = [incident_tz] if incident_tz == "UTC" else [incident_tz, "UTC"]
    tz = st.radio("Time zone", zones, key="tz",
                  format_func=lambda z: f"Incident zone ({z})" if z == incident_tz and z != "UTC" else z,
                  help="Instants are stored in UTC and shown in this zone, with the offset.")
    allowed = access.may_reveal(user, data.secrets().get("access", {}), require_auth=REQUIRE_AUTH)
    who = access.who(user, require_auth=REQUIRE_AUTH)
    wanted = st.toggle("Reveal identifiers", value=False, key="reveal", disabled=not allowed,
                       help="User and payee ids are masked by default (keyed pseudonyms, stable per database). "
                            "Every reveal is written to the audit log beside the database."
                            if allowed else "Your account is not allowed to reveal identifiers.")
    reveal = bool(wanted) and allowed  # never the widget alone: a forged state stays masked
    if reveal and not st.session_state.get("_revealed"):
        access.audit(path, who, "reveal", "identifiers", generation=generation)
    st.session_state["_revealed"] = reveal
    st.caption("Identifiers: **revealed** (audited)" if reveal else "Identifiers: **masked** (pseudonyms)")
    if user.get("is_logged_in"):
        st.caption(f"Logged in as {data.plain(who)}")
        if st.button("Log out", key="logout", icon=":material/logout:"):
            st.logout()
    if user.get("is_logged_in"):
        st.session_state["reviewer"] = who  # notes are signed with the login
    else:
        st.text_input("Your name (for reviewer notes)", key="reviewer", max_chars=80,
                      help="Notes are signed with it; they are kept beside the database, never in it.")

data.set_context(dataclasses.replace(data.context(), tz=tz, mask=not reveal, summary=summary, who=who))

fresh = data.freshness()
if fresh["stale"]:
    since = ", ".join(Path(f).name for f in fresh["files_since"])
    again = f"analyzer analyze --db {path}" + (f" --label {label}" if label != "default" else "")
    st.warning(f"The analysis is older than the data ({data.plain(since or 'files')} ingested after it): the "
               "figures are those of the earlier analysis. Run this, then reload:", icon=":material/history:")
    st.code(again, language="sh")
for warning in summary.get("warnings") or []:
    st.warning(data.plain(warning), icon=":material/help:")

pages = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/timeline.py", title="Timeline", icon=":material/timeline:"),
    st.Page("views/follow_up.py", title="Customer follow-up", icon=":material/support_agent:"),
    st.Page("views/affected_users.py", title="Affected users", icon=":material/group:"),
    st.Page("views/merchants.py", title="Merchants and scenes", icon=":material/storefront:"),
    st.Page("views/config_changes.py", title="Config changes", icon=":material/difference:"),
    st.Page("views/guardrails.py", title="Guardrails", icon=":material/shield:"),
    st.Page("views/data_quality.py", title="Data quality", icon=":material/fact_check:"),
    st.Page("views/review.py", title="Review notes", icon=":material/rate_review:"),
]
st.navigation(pages).run()
