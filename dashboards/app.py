"""Entry point of the dashboard: page config, the shared sidebar, and st.navigation.

Started by `analyzer dashboard --db FILE` (analyzer/dashboard.py), i.e.
`streamlit run dashboards/app.py -- --db FILE`; the database may also come from ANALYZER_DB.
Every page reads the same settings (database, display zone, masking) from `data.context()`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboards/ on the path, not the checkout
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboards import data  # noqa: E402

st.set_page_config(page_title="Incident review", page_icon=":material/receipt_long:", layout="wide")

path = data.db_path_from_args()
problem = data.problem(path)
if problem is not None:
    data.show_problem(problem)
    st.stop()

summary = data.summary(path)
incident_tz = summary.get("display_tz") or "UTC"

with st.sidebar:
    st.markdown(f"**Database**  \n`{path}`")
    st.caption(f"Campaign {', '.join(summary.get('campaigns') or [summary.get('campaign_id') or '-'])}; "
               f"analyzed {str(summary.get('analyzed_at', ''))[:19].replace('T', ' ')} UTC")
    zones = [incident_tz] if incident_tz == "UTC" else [incident_tz, "UTC"]
    tz = st.radio("Time zone", zones, key="tz",
                  format_func=lambda z: f"Incident zone ({z})" if z == incident_tz and z != "UTC" else z,
                  help="Instants are stored in UTC and shown in this zone, with the offset.")
    reveal = st.toggle("Reveal identifiers", value=False, key="reveal",
                       help="User and payee ids are masked by default (keyed pseudonyms, stable per database).")
    st.caption("Identifiers: **revealed**" if reveal else "Identifiers: **masked** (pseudonyms)")

data.set_context(data.Context(path=path, tz=tz, mask=not reveal, summary=summary))

pages = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/timeline.py", title="Timeline", icon=":material/timeline:"),
    st.Page("views/affected_users.py", title="Affected users", icon=":material/group:"),
    st.Page("views/merchants.py", title="Merchants and scenes", icon=":material/storefront:"),
    st.Page("views/config_changes.py", title="Config changes", icon=":material/difference:"),
    st.Page("views/data_quality.py", title="Data quality", icon=":material/fact_check:"),
]
st.navigation(pages).run()
