"""Docs cannot drift: every command and option of the CLI, and every exit code, is in the README."""

from __future__ import annotations

import re

import click
import pytest

from analyzer.cli import main
from analyzer.errors import ExitCode
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(command: str) -> str:
    match = re.search(rf"^### `analyzer {command}`\n(.*?)(?=^### |^## )", README, re.S | re.M)
    assert match, f"README has no section for `analyzer {command}`"
    return match.group(1)


def _commands(name: str, command: click.Command) -> list[tuple[str, click.Command]]:
    """A command, or every subcommand of a group (`analyzer annotate add`), with its full name."""
    if isinstance(command, click.Group):
        return [(f"{name} {sub}", c) for sub, c in sorted(command.commands.items())]
    return [(name, command)]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_is_documented(name):
    text = section(name)
    for full, command in _commands(name, main.commands[name]):
        if full != name:
            assert f"`analyzer {full}" in text, f"`analyzer {full}` is not in the README"
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            for opt in param.opts + param.secondary_opts:
                if opt in ("-h", "--help"):
                    continue
                assert f"`{opt}" in text, f"{opt} of `analyzer {full}` is not in the README"


def test_no_documented_command_is_missing_from_the_cli():
    documented = set(re.findall(r"^### `analyzer ([\w-]+)`", README, re.M))
    assert documented == set(main.commands)


def test_exit_codes_are_documented():
    for code in ExitCode:
        assert re.search(rf"^\| {code.value} \| `{code.name}` \|", README, re.M), code.name


def test_quick_start_is_two_commands():
    block = re.search(r"## Quick start\n.*?```sh\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]


def test_mapping_example_is_valid():
    from analyzer.ingest.mapping import load_mapping

    mapping = load_mapping(ROOT / "sample_data" / "mapping_example.toml")
    assert mapping.for_kind("transactions")["txn_id"].path == "order_no"
    assert set(mapping.fields) == {"transactions", "config_changes", "events"}


def test_architecture_names_only_paths_that_exist():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:analyzer|dashboards|benchmarks|tests)/[A-Za-z0-9_./]*)`", text))
    assert len(named) >= 20
    missing = sorted(p for p in named if not (ROOT / p.rstrip("/")).exists())
    assert not missing, f"docs/ARCHITECTURE.md names paths that do not exist: {missing}"
    packages = {p.parent.relative_to(ROOT).as_posix() + "/" for p in (ROOT / "analyzer").rglob("__init__.py")
                if p.parent != ROOT / "analyzer"}
    undocumented = sorted(p for p in packages if p not in named)
    assert not undocumented, f"packages missing from docs/ARCHITECTURE.md: {undocumented}"
