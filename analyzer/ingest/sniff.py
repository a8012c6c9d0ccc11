"""What a file looks like from its first bytes: compression, encoding, the first lines, the JSON
shape. Readers decide from this `Sample` whether a file is theirs (readers/__init__.py); the
extension is only a hint.

Encoding: a UTF-8 byte-order mark, else valid UTF-8, else GB18030 (a superset of GBK, the
encoding of Chinese bank and wallet exports); `--encoding` overrides.
"""

from __future__ import annotations

import codecs
import gzip
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.errors import InputError

HEAD_BYTES = 256 * 1024
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
UTF8 = ("utf-8", "utf8", "utf_8")


@dataclass(frozen=True)
class JsonShape:
    """How JSON is laid out: one object per line, one array, or one document (pretty-printed,
    or an API response wrapping the list under `wrapper`)."""

    layout: str                  # lines | array | document
    keys: frozenset[str] = frozenset()  # the keys of the first record(s) seen
    wrapper: str | None = None   # {"events": [...]} -> "events"


@dataclass(frozen=True)
class Sample:
    path: Path
    compressed: bool
    parquet: bool
    encoding: str                # the encoding the text is in (utf-8, utf-8-sig, gb18030, or --encoding)
    encoding_detected: bool
    text: str                    # the head, decoded ('' for Parquet)
    lines: tuple[str, ...] = field(default_factory=tuple)  # the head's complete lines, without line ends
    json: JsonShape | None = None

    @property
    def name(self) -> str:
        return self.path.name.lower()


def _head(path: Path) -> tuple[bytes, bool]:
    with open(path, "rb") as fh:
        start = fh.read(HEAD_BYTES)
    if not start.startswith(GZIP_MAGIC):
        return start, False
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(HEAD_BYTES), True
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"not a readable gzip file: {exc}", path=str(path)) from exc


def _decode(head: bytes, encoding: str | None, path: Path) -> tuple[str, str, bool]:
    """(text, encoding, detected). The head may end inside a character: that is not an error."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise InputError(f"unknown encoding {encoding!r}", path=str(path)) from exc
        candidates, detected = [encoding], False
    elif head.startswith(codecs.BOM_UTF8):
        candidates, detected = ["utf-8-sig"], True
    else:
        candidates, detected = ["utf-8", "gb18030"], True
    for enc in candidates:
        decoder = codecs.getincrementaldecoder(enc)(errors="strict")
        try:
            return decoder.decode(head, final=len(head) < HEAD_BYTES), enc, detected
        except UnicodeDecodeError as exc:
            if not detected:
                line = head[: exc.start].count(b"\n") + 1
                raise InputError(f"bytes that are not valid {encoding}; try another --encoding",
                                 path=str(path), line=line) from exc
    raise InputError("bytes that are neither UTF-8 nor GB18030/GBK; pass --encoding", path=str(path))


def _binary(head: bytes) -> bool:
    """Mostly control bytes: not text (a stray NUL inside an id is text, and is rejected later)."""
    chunk = head[:4096]
    if not chunk or chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    control = sum(1 for b in chunk if b < 9 or 13 < b < 32)
    return control > len(chunk) // 20


def _json_shape(text: str, lines: tuple[str, ...]) -> JsonShape | None:
    body = text.lstrip("\ufeff \t\r\n")
    if not body or body[0] not in "[{":
        return None
    if body[0] == "[":
        return JsonShape("array", _first_keys_of_array(body))
    first = next((ln for ln in lines if ln.strip()), "")
    try:
        doc = json.loads(first)
        if isinstance(doc, dict):
            return JsonShape("lines", frozenset(doc))
    except ValueError:
        pass
    try:  # a whole document in the head: find a wrapped list
        doc = json.loads(body)
    except ValueError:
        return JsonShape("document")
    if isinstance(doc, dict):
        wrapper = next((k for k, v in doc.items() if isinstance(v, list) and v and isinstance(v[0], dict)), None)
        if wrapper is not None:
            return JsonShape("document", frozenset(doc[wrapper][0]), wrapper)
        return JsonShape("document", frozenset(doc))
    return JsonShape("document")


def _first_keys_of_array(body: str) -> frozenset[str]:
    try:
        doc = json.loads(body)
    except ValueError:
        try:  # the head ends inside the array: decode its first element
            doc = [json.JSONDecoder().raw_decode(body[1:].lstrip())[0]]
        except ValueError:
            return frozenset()
    first = doc[0] if isinstance(doc, list) and doc else None
    return frozenset(first) if isinstance(first, dict) else frozenset()


def sample(path: Path, encoding: str | None = None) -> Sample:
    """Look at the first bytes of `path` (decompressed when it is gzip)."""
    head, compressed = _head(path)
    if head.startswith(PARQUET_MAGIC):
        return Sample(path, compressed, True, "binary", False, "")
    if _binary(head):
        raise InputError("a binary file, not CSV, JSON or Parquet", path=str(path))
    if encoding and encoding.lower().replace("_", "-") in UTF8 and head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    text, enc, detected = _decode(head, encoding, path)
    complete = text if len(head) < HEAD_BYTES else text[: text.rfind("\n") + 1]
    lines = tuple(complete.splitlines())
    return Sample(path, compressed, False, enc, detected, text, lines, _json_shape(text, lines))
