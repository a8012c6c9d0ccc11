"""Data quality: the load manifest (files, hashes, row accounting) and the quarantined rows."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analyzer.charts import breakdown_figure
from analyzer.formatting import count
from dashboards import data

ctx = data.context()
s = ctx.summary
tz = ctx.tz

st.title("Data quality")
data.cards([("Rows read", count(s.get("rows_read")), "Transaction rows in every file."),
            ("Loaded", count(s.get("rows_loaded"))),
            ("Duplicates collapsed", count(s.get("rows_duplicate")), "Exact duplicates: same id, same content."),
            ("Rejected", count(s.get("rows_rejected")), "Quarantined in the table `rejects`.")])

st.subheader("Files (load_manifest)")
manifest = data.manifest()
data.table(manifest, tz, key="manifest_table")
bad = manifest.filter(~pl.col("reconciles"))
if bad.height:
    st.error(f"{bad.height} file(s) do not reconcile: read ≠ loaded + duplicate + rejected.")
else:
    st.caption("Every file reconciles: read = loaded + duplicate + rejected.")

st.subheader("Rejected rows by reason")
reasons = data.rejects_by_reason()
if reasons.is_empty():
    st.success("No row was rejected.")
else:
    labelled = reasons.with_columns(
        (pl.col("kind") + ": " + pl.col("reason") + pl.when(pl.col("field").is_not_null())
         .then(" (" + pl.col("field") + ")").otherwise(pl.lit(""))).alias("reason_label"))
    c1, c2 = st.columns([2, 3])
    c1.plotly_chart(breakdown_figure(labelled, "reason_label", "rows", "Rejected rows by reason"), theme=None,
                    key="rejects_chart")
    data.table(reasons, tz, key="reasons_table", where=c2)

    st.subheader("Examples (up to 3 per reason)")
    examples = data.reject_examples(3, mask=ctx.mask)
    if ctx.mask:
        examples = examples.drop("raw")
    data.table(examples, tz, key="examples_table")
    if ctx.mask:
        st.caption("The raw rows are hidden while identifiers are masked (they hold user and payee ids).")

disputed = data.disputed()
if not disputed.is_empty():
    st.subheader("Disputed records (two files disagree)")
    data.table(disputed, tz, key="disputed_table")
