"""Rule kinds and rules files: what a guardrail is, and how a rules file is read.

A rule kind is one SQL file, `analyzer/sql/guardrails/rules/<kind>.sql`; its header comment is
its description, read here into a `RuleKind` (so a new kind is that one file and nothing else):

    -- <kind>: <what it does, one line>
    -- acts on: payment | rate | change
    -- param <name> (<type>[ >= <min>][, default <value>]): <what it means>
    -- describe: <one sentence with {param} placeholders, shown in reports>

Types: `money` (an exact cent amount >= 0, "20.00" or 20.00), `ratio` (a number > 0, at most
four decimals), `seconds` (a whole number >= 0, or >= min), `scenes` (a list of scene names),
`one of a|b` (one of those words). What the statement returns is the contract of its
`acts on` (analyzer/guardrails/replay.py): per-payment limits and trips for payment and rate
rules, per-change verdicts for change rules.

A rules file (TOML) is an array of tables `[[rules]]`, each with a unique `name`, a `kind`, the
kind's parameters, and optionally `campaigns = [...]` (the rule acts only on these campaigns).
Called by the replay, `analyzer lint-change`, the report and the dashboard.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from analyzer import sql
from analyzer.errors import InputError

KINDS_DIR = "guardrails/rules"
DEFAULT_RULES = Path(__file__).with_name("default_rules.toml")
ACTS_ON = ("payment", "rate", "change")
MAX_MONEY = Decimal("9999999999999999.99")  # DECIMAL(18,2)
MAX_RATIO = Decimal("99999999999999.9999")  # DECIMAL(18,4)
MAX_SECONDS = 366 * 24 * 3600
# Names every kind's SQL may use that come from the incident, not from the rule (replay.py):
# a parameter may not take one of them.
CONTEXT_NAMES = frozenset({"rule", "rule_campaigns", "campaigns", "bad_campaign", "bad_change_id", "bad_from",
                           "fix_from", "first_affected_at", "last_affected_at", "display_tz", "data_from"})
COMMON_KEYS = ("name", "kind", "campaigns")
RESERVED_PREFIX = "proposed_"  # lint-change binds the proposed change's fields under this prefix

_PARAM = re.compile(r"^-- param (?P<name>[a-z_][a-z0-9_]*) \((?P<type>money|ratio|seconds|scenes|one of [a-z_|]+)"
                    r"(?: >= (?P<min>\d+))?(?:, default (?P<default>[^)]+))?\): (?P<help>.+)$")


@dataclass(frozen=True)
class Param:
    """One parameter of a rule kind."""

    name: str
    type: str
    help: str
    default: Any = None
    required: bool = True
    minimum: int | None = None

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self.type.removeprefix("one of ").split("|")) if self.type.startswith("one of ") else ()

    def parse(self, value: Any, where: str) -> Any:
        """The value of a rules file (or a dashboard input) as the typed value bound to the SQL;
        a value that is not exactly of the type is refused with where it came from."""
        def bad(why: str) -> InputError:
            return InputError(f"{where} field {self.name!r}: {why} (got {value!r})")

        if isinstance(value, bool):
            raise bad(f"expected {self.type}, not true/false")
        if self.type in ("money", "ratio"):
            if isinstance(value, float):  # tomllib reads floats as Decimal (parse_float): only a caller's float
                raise bad("a floating-point number is not exact; write it as text, e.g. \"20.00\"")
            try:
                number = Decimal(str(value).strip()) if isinstance(value, int | str | Decimal) else None
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                raise bad("not a number")
            if self.type == "money":
                if number != number.quantize(Decimal("0.01")) or number < 0 or number > MAX_MONEY:
                    raise bad("not an exact amount of money: at most two decimals, 0 or more")
                return number.quantize(Decimal("0.01"))
            if number <= 0 or number != number.quantize(Decimal("0.0001")) or number > MAX_RATIO:
                raise bad("expected a number above 0 with at most four decimals")
            return number
        if self.type == "seconds":
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value.strip())
            if isinstance(value, Decimal) and value == value.to_integral_value():
                value = int(value)
            if not isinstance(value, int) or value < (self.minimum or 0) or value > MAX_SECONDS:
                raise bad(f"expected a whole number of seconds from {self.minimum or 0} to {MAX_SECONDS}")
            return value
        if self.type == "scenes":
            if not isinstance(value, list) or not value or not all(isinstance(s, str) and s.strip() for s in value):
                raise bad("expected a list of scene names, e.g. [\"shopping\", \"groceries\"]")
            return tuple(s.strip() for s in value)
        if value not in self.choices:
            raise bad(f"expected one of {', '.join(self.choices)}")
        return value


@dataclass(frozen=True)
class RuleKind:
    """A kind of guardrail, described by the header of its SQL file."""

    kind: str
    summary: str
    acts_on: str
    params: tuple[Param, ...]
    describe: str

    @property
    def statement_name(self) -> str:
        return f"{KINDS_DIR}/{self.kind}"

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def parse_header(kind: str, text: str) -> RuleKind:
    """A RuleKind from the header comment of `rules/<kind>.sql` (a malformed header is a bug)."""
    lines = [line.rstrip() for line in text.splitlines()]
    where = f"{KINDS_DIR}/{kind}.sql"
    if not lines or not lines[0].startswith(f"-- {kind}: "):
        raise ValueError(f"{where}: the first line must be '-- {kind}: <what it does>'")
    summary = lines[0].removeprefix(f"-- {kind}: ")
    acts_on = describe = None
    params: list[Param] = []
    for line in lines[1:]:
        if not line.startswith("--"):
            break
        if line.startswith("-- acts on: "):
            acts_on = line.removeprefix("-- acts on: ").strip()
        elif line.startswith("-- describe: "):
            describe = line.removeprefix("-- describe: ").strip()
        elif line.startswith("-- param "):
            m = _PARAM.match(line)
            if not m:
                raise ValueError(f"{where}: cannot read the parameter line {line!r}")
            if m["name"] in CONTEXT_NAMES or m["name"] in COMMON_KEYS or m["name"].startswith(RESERVED_PREFIX):
                raise ValueError(f"{where}: parameter {m['name']!r} clashes with a name the replay binds")
            p = Param(m["name"], m["type"], m["help"], minimum=int(m["min"]) if m["min"] else None,
                      required=m["default"] is None)
            if m["default"] is not None:
                raw = m["default"].strip()
                p = Param(p.name, p.type, p.help, p.parse(raw, where), False, p.minimum)
            params.append(p)
    if acts_on not in ACTS_ON:
        raise ValueError(f"{where}: '-- acts on:' must be one of {', '.join(ACTS_ON)}")
    if not describe:
        raise ValueError(f"{where}: no '-- describe:' line")
    body = sql.strip_comments(text)
    named = sql.parameters(body) - CONTEXT_NAMES
    declared = {p.name for p in params}
    if named - declared or declared - named:
        raise ValueError(f"{where}: the declared parameters {sorted(declared)} differ from those the SQL "
                         f"uses {sorted(named)}")
    return RuleKind(kind, summary, acts_on, tuple(params), describe)


@cache
def kinds() -> dict[str, RuleKind]:
    """Every rule kind: one per file of analyzer/sql/guardrails/rules/, by name."""
    folder = resources.files("analyzer").joinpath("sql", *KINDS_DIR.split("/"))
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            kind = entry.name.removesuffix(".sql")
            found[kind] = parse_header(kind, sql.load(f"{KINDS_DIR}/{kind}"))
    return found


def kind(name: str, where: str = "rule") -> RuleKind:
    known = kinds()
    if name not in known:
        raise InputError(f"{where} field 'kind': unknown rule kind {name!r}; known kinds: {', '.join(known)}")
    return known[name]


@dataclass(frozen=True)
class Rule:
    """A configured guardrail: a kind with its parameters (hashable: the dashboard caches by it)."""

    name: str
    kind: RuleKind
    params: tuple[tuple[str, Any], ...]
    campaigns: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)

    def describe(self, display_tz: str = "UTC") -> str:
        """The rule in one sentence, e.g. 'no payment keeps more than 20.00 of discount'."""
        shown = {name: _shown(value) for name, value in self.params}
        text = self.kind.describe.format(display_tz=display_tz, **shown)
        if self.campaigns:
            text += f" (campaigns {', '.join(self.campaigns)})"
        return text


def _shown(value: Any) -> str:
    """A parameter as a sentence shows it: money with its two decimals (20.00), a ratio as written (3, 2.5)."""
    if isinstance(value, tuple):
        return ", ".join(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value.as_tuple().exponent == -2 else f"{value.normalize():f}"
    return str(value)


def make_rule(name: str, kind_name: str, values: dict[str, Any], *, campaigns: Any = (), where: str = "rule") -> Rule:
    """A Rule from raw values (a rules file's table, a dashboard's inputs), every value checked."""
    k = kind(kind_name, where)
    unknown = sorted(set(values) - {p.name for p in k.params})
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))} for kind {k.kind!r}; "
                         f"its parameters: {', '.join(p.name for p in k.params) or 'none'}")
    params = []
    for p in k.params:
        if p.name in values:
            params.append((p.name, p.parse(values[p.name], where)))
        elif p.required:
            raise InputError(f"{where}: missing field {p.name!r} ({p.type}: {p.help})")
        else:
            params.append((p.name, p.default))
    if campaigns in ((), None):
        scope: tuple[str, ...] = ()
    elif isinstance(campaigns, list) and campaigns and all(isinstance(c, str) and c.strip() for c in campaigns):
        scope = tuple(c.strip() for c in campaigns)
    else:
        raise InputError(f"{where} field 'campaigns': expected a list of campaign ids (got {campaigns!r})")
    return Rule(name, k, tuple(params), scope)


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, in its order."""

    rules: tuple[Rule, ...]
    source: str  # the file as given, or "default rule set (<path>)"
    sha256: str = ""  # of the file's text (the report's manifest records it)

    @property
    def label(self) -> str:
        """How a sentence names the set: 'the default rule set (...)' or 'the rules file x.toml'."""
        return f"the {self.source}" if self.source.startswith("default rule set") else f"the rules file {self.source}"

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


def parse_rules(text: str, source: str) -> RuleSet:
    """The rules of a TOML text; `source` names it in messages."""
    try:
        doc = tomllib.loads(text, parse_float=Decimal)  # 20.00 stays exactly 20.00
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not a valid TOML rules file: {exc}", path=source) from exc
    extra = sorted(set(doc) - {"rules"})
    if extra:
        raise InputError(f"unknown top-level key(s) {', '.join(map(repr, extra))}: a rules file is an array of "
                         "tables [[rules]]", path=source)
    tables = doc.get("rules")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise InputError("no rules: write one [[rules]] table per rule, each with a name and a kind", path=source)
    rules: list[Rule] = []
    for n, table in enumerate(tables, 1):
        name = table.get("name")
        where = f"{source}: rule {n}" + (f" ({name!r})" if isinstance(name, str) else "")
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"{where}: missing field 'name' (a unique name for the rule)")
        if any(r.name == name.strip() for r in rules):
            raise InputError(f"{where} field 'name': {name!r} is used by an earlier rule; names must be unique")
        kind_name = table.get("kind")
        if not isinstance(kind_name, str):
            raise InputError(f"{where}: missing field 'kind' (one of {', '.join(kinds())})")
        values = {k: v for k, v in table.items() if k not in COMMON_KEYS}
        rules.append(make_rule(name.strip(), kind_name, values, campaigns=table.get("campaigns"), where=where))
    return RuleSet(tuple(rules), source, hashlib.sha256(text.encode("utf-8")).hexdigest())


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules of a TOML file; None: the default rule set that ships with the analyzer."""
    if path is None:
        return parse_rules(DEFAULT_RULES.read_text(encoding="utf-8"), f"default rule set ({DEFAULT_RULES.name})")
    path = Path(path)
    if not path.is_file():
        raise InputError("rules file not found", path=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the rules file is not UTF-8 text ({exc.reason})", path=str(path)) from exc
    return parse_rules(text, str(path))
