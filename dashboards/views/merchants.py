"""Merchants and scenes: where the excess went, by scene and by payee, with charts."""

from __future__ import annotations

import streamlit as st

from analyzer.charts import breakdown_figure
from analyzer.formatting import count
from dashboards import data

ctx = data.context()
tz = ctx.tz
PAGE_SIZE = 50
TOP = 15

st.title("Merchants and scenes")

scenes = data.scenes()
st.subheader("By scene")
c1, c2 = st.columns(2)
c1.plotly_chart(breakdown_figure(scenes, "scene", "excess_total", "Excess by scene"), theme=None, key="scene_excess")
c2.plotly_chart(breakdown_figure(scenes, "scene", "affected_users", "Affected users by scene"), theme=None,
                key="scene_users")
data.table(scenes, tz, key="scenes_table")

st.subheader("By merchant (payee)")
top = data.merchants_page(None, limit=TOP, offset=0, mask=ctx.mask)
st.plotly_chart(breakdown_figure(top, "merchant_id", "excess_total", f"Top {TOP} merchants by excess"), theme=None,
                key="merchant_excess")

search = st.text_input("Search merchant id", key="merchants_search", placeholder="part of the id as shown")
if st.session_state.get("_merchants_signature") != (search, ctx.mask):  # a fresh pager, on page 1
    st.session_state["_merchants_signature"] = (search, ctx.mask)
    st.session_state["_merchants_pager"] = st.session_state.get("_merchants_pager", 0) + 1
page_key = f"merchants_page_{st.session_state['_merchants_pager']}"
page = int(st.session_state.get(page_key, 1))
rows = data.merchants_page(search or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, mask=ctx.mask)
matching = int(rows.get_column("matching")[0]) if rows.height else 0
pages = max(1, -(-matching // PAGE_SIZE))
st.caption(f"{count(matching)} affected merchants" + (" match" if search else "") + f"; page {page} of {pages}, "
           "largest excess first." + (" Payee ids are masked." if ctx.mask else ""))
data.table(rows.drop("matching"), tz, key="merchants_table")
if pages > 1:
    st.pagination(pages, key=page_key, max_visible_pages=9)
