"""The dashboard's pages as the queries each one runs on first view, for case 6.

Called by the benchmark's worker. A page view is what the dashboard asks `analyzer.serve.queries` for
when the page is first opened with its default widgets (the shared sidebar's summary included);
the dashboard caches the answers, so an uncached view is the one that matters. Plotly figures
and Streamlit rendering are not part of it: only the queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Page = Callable[[Any], None]


def pages() -> dict[str, Page]:
    """name -> a function running the page's queries on a read-only Database."""
    from analyzer.serve import queries

    def shell(db) -> dict[str, Any]:
        # every page: the app checks the database, then reads the summary for the sidebar
        queries.problem(db)
        return queries.summary(db)

    def overview(db) -> None:
        s = shell(db)
        queries.bad_change(db, s.get("bad_change_id"))

    def timeline(db) -> None:
        s = shell(db)
        queries.minute_metrics(db)
        queries.second_metrics(db)
        queries.timeline(db)
        start, end = s.get("first_affected_at"), s.get("last_affected_at")
        if start is not None and end is not None:
            queries.range_totals(db, start, end)
            queries.range_payments(db, start, end, limit=200, offset=0, mask=True)

    def affected_users(db) -> None:
        shell(db)
        queries.scenes(db)
        page = queries.affected_users_page(db, mask=True)
        queries.affected_users_totals(db, mask=True)
        if page.height:
            queries.user_payments(db, page["user_id"][0], mask=True, ordinary=False)  # the page's default

    def merchants(db) -> None:
        shell(db)
        queries.scenes(db)
        queries.merchants_page(db, mask=True)

    def config_changes(db) -> None:
        shell(db)
        queries.config_changes(db)
        queries.change_impact(db)

    def data_quality(db) -> None:
        shell(db)
        queries.manifest(db)
        queries.rejects_by_reason(db)
        queries.reject_examples(db, mask=True)
        queries.disputed(db)

    return {"overview": overview, "timeline": timeline, "affected_users": affected_users,
            "merchants": merchants, "config_changes": config_changes, "data_quality": data_quality}
