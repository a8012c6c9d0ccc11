"""The official-channel messages of the remediation lists (notify.csv, notify_merchants.csv).

Called by `write_reports`. The wording is in plain-text templates the team edits, one per case
and language (`templates/messages/<case>.<lang>.txt`: notify, notify_refunded, notify_under,
merchant; zh and en), or in a directory given with `analyzer report --messages DIR` holding any
of them. Placeholders in braces are filled per user or merchant in SQL, with exact money
(`{kept}` = 1,234.56); anything else in braces is refused here, so a typo never reaches a
customer. The templates go into SQL as bound parameters, never as SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from analyzer.errors import InputError

LANGUAGES = ("zh", "en")
# case -> the placeholders its template may use
PLACEHOLDERS = {
    "notify": ("ref", "payments", "excess", "kept", "first_at", "last_at", "window_start", "window_end"),
    "notify_refunded": ("ref", "payments", "excess", "kept", "first_at", "last_at", "window_start", "window_end"),
    "notify_under": ("ref", "payments", "shortfall", "first_at", "last_at", "window_start", "window_end"),
    "merchant": ("ref", "payments", "users", "excess", "kept", "first_at", "last_at", "window_start", "window_end"),
}
_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Messages:
    texts: dict[str, str]  # "notify.zh" -> template text
    sources: dict[str, str]  # "notify.zh" -> where it was read from

    def params(self) -> dict[str, str]:
        """Bound parameters of the remediation SQL: $msg_<case>_<lang>."""
        return {f"msg_{key.replace('.', '_')}": text for key, text in self.texts.items()}


def _packaged(name: str) -> str:
    return resources.files("analyzer.report").joinpath("templates", "messages", name).read_text(encoding="utf-8")


def load_messages(directory: str | Path | None = None) -> Messages:
    """Every template: from `directory` where it has the file, else the packaged one."""
    texts, sources = {}, {}
    for case, allowed in PLACEHOLDERS.items():
        for lang in LANGUAGES:
            name = f"{case}.{lang}.txt"
            override = Path(directory) / name if directory is not None else None
            if override is not None and override.exists():
                try:
                    text = override.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise InputError(f"cannot read the message template: {exc}", path=str(override)) from exc
                where = str(override)
            else:
                text, where = _packaged(name), f"analyzer/report/templates/messages/{name}"
            text = text.strip()
            for n, line in enumerate(text.splitlines(), start=1):
                for field in _FIELD.findall(line):
                    if field not in allowed:
                        raise InputError(f"unknown placeholder {{{field}}}; this template may use "
                                         + ", ".join(f"{{{a}}}" for a in allowed), path=where, line=n)
            if not text:
                raise InputError("the message template is empty", path=where)
            texts[f"{case}.{lang}"], sources[f"{case}.{lang}"] = text, where
    if directory is not None and not Path(directory).is_dir():
        raise InputError("no such directory of message templates", path=str(directory))
    return Messages(texts, sources)
