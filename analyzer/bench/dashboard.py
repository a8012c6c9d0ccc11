"""The dashboard's pages as the queries each one runs on first view, for case 6.

Called by the benchmark's worker. A page view is what the dashboard asks `analyzer.browse` for
when the page is first opened with its default widgets (the shared sidebar's summary included);
the dashboard caches the answers, so an uncached view is the one that matters. Plotly figures
and Streamlit rendering are not part of it: only the queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Page = Callable[[Any], None]


def pages() -> dict[str, Page] | None:
    """name -> a function running the page's queries on a read-only Database; None when
    `analyzer.browse` is not there yet."""
    try:
        from analyzer import browse
    except ImportError:
        return None

    def shell(db) -> dict[str, Any]:
        # every page: the app checks the database, then reads the summary for the sidebar
        browse.problem(db)
        return browse.summary(db)

    def overview(db) -> None:
        s = shell(db)
        browse.bad_change(db, s.get("bad_change_id"))

    def timeline(db) -> None:
        s = shell(db)
        browse.minute_metrics(db)
        browse.second_metrics(db)
        browse.timeline(db)
        start, end = s.get("first_affected_at"), s.get("last_affected_at")
        if start is not None and end is not None:
            browse.range_totals(db, start, end)
            browse.range_payments(db, start, end, limit=200, offset=0, mask=True)

    def affected_users(db) -> None:
        shell(db)
        browse.scenes(db)
        page = browse.affected_users_page(db, mask=True)
        browse.affected_users_totals(db, mask=True)
        if page.height:
            browse.user_payments(db, page["user_id"][0], mask=True)

    def merchants(db) -> None:
        shell(db)
        browse.scenes(db)
        browse.merchants_page(db, mask=True)

    def config_changes(db) -> None:
        shell(db)
        browse.config_changes(db)
        browse.change_impact(db)

    def data_quality(db) -> None:
        shell(db)
        browse.manifest(db)
        browse.rejects_by_reason(db)
        browse.reject_examples(db, mask=True)
        browse.disputed(db)

    return {"overview": overview, "timeline": timeline, "affected_users": affected_users,
            "merchants": merchants, "config_changes": config_changes, "data_quality": data_quality}
