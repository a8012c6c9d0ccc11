"""The reviewer-note form shared by the Timeline and Review notes pages: star, tags, comment on
one target, signed with the reviewer's name from the sidebar.

The note is appended to the log beside the database (analyzer/annotations.py, through
data.annotate); the analysis stays read-only. Writing happens in the button's callback, so the
fields can be cleared and the page shows the result on the same run.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from analyzer.errors import AnalyzerError
from dashboards import data


def _submit(prefix: str, target: Callable[[], str | None]) -> None:
    state = st.session_state
    who = (state.get("reviewer") or "").strip()
    what = target()
    try:
        if not who:
            raise AnalyzerError("write your name in the sidebar first: notes are signed")
        if not what:
            raise AnalyzerError("choose what the note is about")
        note = data.annotate(what, who=who, star=bool(state.get(f"{prefix}_star")),
                             tags=tuple(t for t in (state.get(f"{prefix}_tags") or "").split(",") if t.strip()),
                             comment=state.get(f"{prefix}_comment") or "")
    except AnalyzerError as exc:
        state[f"{prefix}_result"] = ("error", exc.message)
        return
    state[f"{prefix}_result"] = ("ok", f"Note {note.id} saved on {note.what}.")
    state[f"{prefix}_star"] = False
    state[f"{prefix}_tags"] = ""
    state[f"{prefix}_comment"] = ""


def note_form(prefix: str, target: Callable[[], str | None], *, label: str = "Add note") -> None:
    """Star / tags / comment widgets and a button that saves a note on `target()`."""
    c1, c2 = st.columns([1, 3])
    c1.checkbox("Star", key=f"{prefix}_star")
    c2.text_input("Tags (comma-separated)", key=f"{prefix}_tags", max_chars=400)
    st.text_area("Comment", key=f"{prefix}_comment", max_chars=4000, height=90)
    st.button(label, key=f"{prefix}_add", icon=":material/add_comment:", on_click=_submit, args=(prefix, target))
    result = st.session_state.pop(f"{prefix}_result", None)
    if result is not None:
        kind, text = result
        (st.success if kind == "ok" else st.error)(data.plain(text))
