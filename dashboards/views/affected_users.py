"""Affected users: the filtered, sorted, paged list (served from DuckDB), downloads of the
filtered set, and one user's payments (select a row, or type the id as shown)."""

from __future__ import annotations

import re
from decimal import Decimal

import streamlit as st

from analyzer.serve import queries
from analyzer.serve.queries import USER_SORT_COLUMNS
from analyzer.formatting import count, money
from dashboards import data

ctx = data.context()
tz = ctx.tz
st.title("Affected users")

AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
EXPLOIT = {"Any": None, "Exploiters only": True, "Not exploiters": False}
REFUNDED = {"Any": None, "Refunded (fully or partly)": True, "Not refunded": False}
SORT_LABELS = {"excess_total": "excess", "net_excess_total": "net excess", "affected_txns": "affected payments",
               "amount_total": "amount", "discount_total": "discount", "expected_total": "expected",
               "exploit_scene_txns": "transfers/repayments", "merchants": "merchants",
               "first_affected_at": "first affected", "last_affected_at": "last affected", "user_id": "user id"}

# filters -------------------------------------------------------------------------------------
f1, f2, f3, f4, f5 = st.columns([2, 3, 1.3, 1.5, 1.7])
search = f1.text_input("Search user id", key="users_search", placeholder="part of the id as shown",
                       help="Case-insensitive; masked ids are searched as shown (anon-...).")
scene_options = data.scenes().get_column("scene").drop_nulls().to_list()
scenes = f2.multiselect("Scenes", scene_options, key="users_scenes", help="Users with an affected payment in any of them.")
min_text = f3.text_input("Minimum excess", key="users_min_excess", placeholder="e.g. 100.00")
exploit = EXPLOIT[f4.selectbox("Exploit flag", list(EXPLOIT), key="users_exploit")]
refunded = REFUNDED[f5.selectbox("Refunds", list(REFUNDED), key="users_refunded")]
min_excess: Decimal | None = None
if min_text.strip():
    amount = min_text.strip().replace(",", "")
    if AMOUNT.fullmatch(amount):
        min_excess = Decimal(amount)
    else:  # never Decimal() of arbitrary text: 'sNaN' or 'Infinity' would parse, then break the query
        st.warning(f"Minimum excess: {data.plain(min_text)} is not an amount like 100.00; ignored.")

s1, s2, s3, _ = st.columns([2, 1.3, 1.3, 4])
sort = s1.selectbox("Sort by", USER_SORT_COLUMNS, key="users_sort", format_func=SORT_LABELS.get)
descending = s2.toggle("Largest first", value=True, key="users_desc")
page_size = s3.selectbox("Rows per page", [25, 50, 100, 250], index=1, key="users_page_size")

filters = (search.strip() or None, tuple(scenes), min_excess, exploit, refunded)
signature = (*filters, sort, descending, page_size, ctx.mask)
if st.session_state.get("_users_signature") != signature:  # new filters: a fresh pager, on page 1
    st.session_state["_users_signature"] = signature
    st.session_state["_users_pager"] = st.session_state.get("_users_pager", 0) + 1
page_key = f"users_page_{st.session_state['_users_pager']}"

chosen = queries.UserFilters(*filters)
totals = data.affected_users_totals(chosen, mask=ctx.mask)
pages = max(1, -(-int(totals["users"]) // page_size))
page = min(int(st.session_state.get(page_key, 1)), pages)
rows = data.affected_users_page(chosen, sort=sort, descending=descending, limit=page_size,
                                offset=(page - 1) * page_size, mask=ctx.mask)

st.caption(f"**{count(totals['users'])}** users match, with {count(totals['affected_txns'])} affected payments, "
           f"excess {money(totals['excess_total'])} (net {money(totals['net_excess_total'])}). Page {page} of {pages}, "
           f"sorted by {SORT_LABELS[sort]}{' (largest first)' if descending else ''} on the server; "
           "select a row to see the user's payments.")
event = data.table(rows, tz, key="users_table", on_select="rerun", selection_mode="single-row")
if pages > 1:
    st.pagination(pages, key=page_key, max_visible_pages=9)

# downloads -----------------------------------------------------------------------------------
d1, d2, _ = st.columns([1, 1, 4])
d1.download_button("Download CSV", lambda: data.download(ctx, "csv", chosen, ctx.mask, tz),
                   file_name="affected_users.csv", mime="text/csv", on_click="ignore", key="download_csv",
                   icon=":material/download:")
d2.download_button("Download Excel", lambda: data.download(ctx, "xlsx", chosen, ctx.mask, tz),
                   file_name="affected_users.xlsx", on_click="ignore", key="download_xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/table_view:",
                   help="More than 1,048,575 users continue on a second sheet." if int(totals["users"]) > 1_048_575
                   else None)
st.caption("Downloads hold every user that matches the filters (all pages), with the columns of "
           "`analyzer report`'s affected_users.csv; " + ("ids masked." if ctx.mask else "real ids."))

# drill-down ----------------------------------------------------------------------------------
selected_rows = event.selection.rows if event is not None else []
if selected_rows and selected_rows[0] < rows.height:
    picked = rows.get_column("user_id")[selected_rows[0]]
    if st.session_state.get("_users_picked") != picked:
        st.session_state["_users_picked"] = picked
        st.session_state["drill_user"] = picked

st.subheader("One user's payments")
user = st.text_input("User id (as shown)", key="drill_user", placeholder="select a row above, or type an id",
                     help="With masked ids, use the pseudonym (anon-...).").strip()
ordinary = st.toggle("Also the user's ordinary payments", key="drill_ordinary",
                     help="Ordinary payments (priced as logged, nothing wrong) are not stored: showing them "
                          "reads every payment of the campaign, seconds on a large incident.")
if user:
    payments = data.user_payments(user, mask=ctx.mask, ordinary=ordinary)
    if payments.is_empty():
        st.info(f"No affected user {data.plain(user)}" + (" (ids are masked: use the pseudonym, or reveal identifiers)."
                                                 if ctx.mask else "."))
    else:
        affected = payments.filter(payments.get_column("affected"))
        data.cards([("Payments priced" if ordinary else "Notable payments", count(payments.height)),
                    ("Affected", count(affected.height)),
                    ("Excess", money(sum(affected.get_column("excess").to_list(), Decimal("0.00")))),
                    ("Refunded", money(sum(payments.get_column("refunded_amount").to_list(), Decimal("0.00"))))])
        data.table(payments, tz, key="user_payments_table",
                   labels={"ts": "time", "logged_version": "version (logged)", "explained_by": "priced by",
                           "intended_version": "intended"})
        st.caption(("Every payment of this user that the analysis priced (the analysed campaigns); " if ordinary else
                    "This user's notable payments (affected, lagged or unexplained); the ordinary ones with "
                    "the switch above; ")
                   + "'priced by' is the config version that explains the discount it got.")
