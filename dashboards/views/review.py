"""Review notes: every reviewer's note (star, tags, comment) on timeline rows, payments, users
and changes, a form to add one by target, and the activity log (who annotated, who revealed
identifiers). Notes live beside the database (FILE.annotations.jsonl), never in it."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analyzer.formatting import count
from dashboards import data
from dashboards.note_form import note_form

ctx = data.context()
tz = ctx.tz

st.title("Review notes")
notes = data.notes(ctx.mask)
starred_only = st.toggle("Starred only", key="notes_starred")
shown = notes.filter(pl.col("star")) if starred_only else notes
st.caption(f"{count(shown.height)} of {count(notes.height)} notes; `analyzer report` lists them under "
           "\u201cReviewer notes\u201d and `analyzer annotate export` writes them out.")
data.table(shown.select("at", "who", "target", "star", "tags", "comment", "about", "id"), tz, key="notes_table",
           labels={"at": "when"})

st.subheader("Add a note")
st.caption("About a payment (payment:T…), a user (user:U… or the pseudonym shown, user:anon-…), a config change "
           "(change:CHG-…) or a timeline row (timeline:N, its number on the Timeline page).")
st.text_input("About", key="review_note_target", placeholder="payment:T202501278950")
note_form("review_note", lambda: (st.session_state.get("review_note_target") or "").strip() or None)

st.subheader("Activity")
st.caption("Who annotated (the notes log) and who revealed identifiers (the audit log), newest first.")
data.table(data.activity(), tz, key="activity_table")
