"""docs/architecture.md stays true (issue 16, "Done when"): its drawing of the layers is the `layers`
contract of pyproject.toml row for row, it names every contract, and its table of what an addition
touches lists at most three files per addition, every one of which exists. The tables those rows
send a contributor to (methods and commands in README.md, metrics in docs/benchmark.md) name
everything that is declared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import typer

from atdkit.bench.scoring import METRICS
from atdkit.cli import _register_commands
from atdkit.cli.app import app

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
CONTRACTS = PYPROJECT["tool"]["importlinter"]["contracts"]
DOC = (REPO / "docs" / "architecture.md").read_text()
README = (REPO / "README.md").read_text()
ADDITIONS = ("a method with a released checkpoint", "a metric", "a decoder backend", "a label field",
             "a CLI command")


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_the_drawing_is_the_layers_contract_row_for_row():
    layers = next(c for c in CONTRACTS if c["type"] == "layers")["layers"]
    drawing = _section(DOC, "Layers (the import contract)").split("```")[1]
    rows = [line.split("│", 1)[1] for line in drawing.splitlines() if "│" in line]
    assert [_squash(r) for r in rows] == [_squash(layer) for layer in layers], \
        "docs/architecture.md's drawing differs from [tool.importlinter] layers in pyproject.toml"


def test_the_doc_names_every_contract():
    section = _section(DOC, "Layers (the import contract)")
    assert [c["id"] for c in CONTRACTS if f"`{c['id']}`" not in section and c["type"] != "layers"] == []


def _addition_rows() -> dict[str, str]:
    table = _section(DOC, "What an addition touches")
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| a") else []
        if cells:
            rows[cells[0]] = "|".join(cells[1:])
    return rows


def test_each_addition_touches_at_most_three_files_that_exist():
    rows = _addition_rows()
    for addition in ADDITIONS:
        text = next((v for k, v in rows.items() if k.startswith(addition)), None)
        assert text is not None, f"no row for {addition!r} in docs/architecture.md"
        numbered = re.findall(r"(?:^|; )(\d)\. ", text)
        assert numbered and numbered == [str(i) for i in range(1, len(numbered) + 1)] and len(numbered) <= 3, \
            (addition, numbered)
        for path in re.findall(r"`([\w./<>-]+\.(?:py|toml|md|json))`", text):
            if "<" not in path:
                assert (REPO / path).is_file(), f"{addition}: {path} does not exist"


def test_readme_names_every_method_and_command():
    methods = PYPROJECT["project"]["entry-points"]["atdkit.methods"]
    assert [m for m in methods if f"`{m}`" not in README] == [], "add the method to README's methods table"
    _register_commands()
    group = typer.main.get_command(app)
    table = _section(README, "Command line")
    assert [name for name in group.commands if f"`atdkit {name}" not in table] == [], \
        "add the command to README's command-line table"


def test_the_benchmark_doc_names_every_metric():
    doc = (REPO / "docs" / "benchmark.md").read_text()
    assert [m.name for m in METRICS if f"`{m.name}`" not in doc] == []
