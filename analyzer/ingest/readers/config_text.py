"""Config files as JSON text: Java properties, YAML and JSON, as config centres store them.

Nacos keeps a config's content as the text of a file (readers/nacos.py); the analyzer keeps every
configuration as JSON text (config_changes.config_raw), where [[campaigns]] reads the discount
model from it (analyzer/ingest/campaigns.py). Properties become a flat key -> string map (dots
are part of a key); YAML and JSON stay nested. Nothing is guessed on the way: YAML is read with
the YAML 1.2 core schema (`on`, `yes`, `012` and `1:20` stay text, unlike YAML 1.1 loaders), a
number keeps the exact text it was written with (never through a float), and a content that does
not parse in its format is kept whole as one JSON string. Config logs are small (a row per
change), so this runs in Python on the changed rows only.
"""

from __future__ import annotations

import json
import re

import yaml

PROPERTIES, YAML, JSON, TEXT = "properties", "yaml", "json", "text"
EXTENSIONS = {".properties": PROPERTIES, ".yaml": YAML, ".yml": YAML, ".json": JSON}
# a YAML 1.2 core-schema number written the way JSON writes numbers (others stay text)
JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
YAML_NULL = {"", "~", "null", "Null", "NULL"}
YAML_TRUE = {"true", "True", "TRUE"}
YAML_FALSE = {"false", "False", "FALSE"}


def format_of(declared: str | None, name: str | None, content: str) -> str:
    """The format of a content: the one the source declares (Nacos `type`), else the name's
    extension (`spring-instant-25.properties`), else what the text parses as."""
    kind = (declared or "").strip().lower()
    if kind in ("yml", YAML):
        return YAML
    if kind in (PROPERTIES, JSON):
        return kind
    if kind in ("xml", "html"):
        return TEXT
    for ext, fmt in EXTENSIONS.items():
        if (name or "").lower().endswith(ext):
            return fmt
    body = content.lstrip()
    if body[:1] in ("{", "["):
        try:
            json.loads(body)
            return JSON
        except ValueError:
            pass
    try:
        if isinstance(yaml.compose(content, Loader=yaml.SafeLoader), yaml.MappingNode):
            return YAML
    except yaml.YAMLError:
        pass
    return PROPERTIES if parse_properties(content) else TEXT


def to_json(content: str | None, declared: str | None = None, name: str | None = None) -> str | None:
    """The content as JSON text (None stays None: no configuration)."""
    if content is None:
        return None
    fmt = format_of(declared, name, content)
    if fmt == PROPERTIES:
        return json.dumps(parse_properties(content), ensure_ascii=False, separators=(",", ":"))
    if fmt == JSON:
        try:
            doc = json.loads(content, parse_float=_Number, parse_int=_Number, parse_constant=_Number)
        except ValueError:
            return json.dumps(content, ensure_ascii=False)
        return _compact(doc)
    if fmt == YAML:
        try:
            node = yaml.compose(content, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            return json.dumps(content, ensure_ascii=False)
        return _emit(node) if node is not None else "null"
    return json.dumps(content, ensure_ascii=False)


# --- Java properties (java.util.Properties.load) --------------------------------------------------
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _logical_lines(text: str) -> list[str]:
    """Natural lines joined where a line ends in an odd number of backslashes (the next line's
    leading white space dropped); blank lines and comments (# or !) left out."""
    out: list[str] = []
    current: str | None = None
    for raw in re.split(r"\r\n|\r|\n", text):
        line = raw.lstrip(" \t\f")
        if current is None:
            if not line or line[0] in "#!":
                continue
            current = ""
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            current += line[:-1]
            continue
        out.append(current + line)
        current = None
    if current:
        out.append(current)
    return out


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_properties(text: str) -> dict[str, str]:
    """key -> value of a properties text: the key runs to the first unescaped `=`, `:` or white
    space; a later key wins, as in Java."""
    found: dict[str, str] = {}
    for line in _logical_lines(text):
        i, key_end = 0, len(line)
        while i < len(line):
            if line[i] == "\\":
                i += 2
                continue
            if line[i] in "=: \t\f":
                key_end = i
                break
            i += 1
        rest = line[key_end:].lstrip(" \t\f")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t\f")
        found[_unescape(line[:key_end])] = _unescape(rest)
    return found


# --- JSON, compact, numbers as written ------------------------------------------------------------
class _Number(str):
    """A JSON number's own text (1.50 stays 1.50)."""


def _compact(doc: object) -> str:
    if isinstance(doc, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _compact(v) for k, v in doc.items()) + "}"
    if isinstance(doc, list):
        return "[" + ",".join(_compact(v) for v in doc) + "]"
    if isinstance(doc, _Number):
        return str.__str__(doc) if JSON_NUMBER.fullmatch(doc) else json.dumps(str(doc))
    return json.dumps(doc, ensure_ascii=False)


# --- YAML nodes as JSON -----------------------------------------------------------------------
def _scalar(node: yaml.ScalarNode) -> str:
    value = node.value
    if node.style is not None:  # quoted or block: text, always
        return json.dumps(value, ensure_ascii=False)
    if value in YAML_NULL:
        return "null"
    if value in YAML_TRUE:
        return "true"
    if value in YAML_FALSE:
        return "false"
    if JSON_NUMBER.fullmatch(value):
        return value  # the number's own text: 0.50 stays 0.50
    return json.dumps(value, ensure_ascii=False)


def _key(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return _emit(node)


def _pairs(node: yaml.MappingNode) -> list[tuple[str, yaml.Node]]:
    """The mapping's entries, merge keys (`<<: *base`) expanded, a later key winning."""
    merged: dict[str, yaml.Node] = {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "<<" and key.style is None:
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if isinstance(source, yaml.MappingNode):
                    for k, v in _pairs(source):
                        merged.setdefault(k, v)
            continue
        merged[_key(key)] = value
    return list(merged.items())


def _emit(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _emit(v) for k, v in _pairs(node)) + "}"
    if isinstance(node, yaml.SequenceNode):
        return "[" + ",".join(_emit(v) for v in node.value) + "]"
    return _scalar(node)
