"""The import contract of pyproject.toml (import-linter): imports run one way, front ends → stages →
methods, metrics, video → store, weights, ops, nn (issue 16 point 5)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is a dev dependency (pip install -e '.[dev]')")

REPO = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the contracts in cwd/pyproject.toml, the packages found on ``pythonpath``."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(pythonpath)})


def _layer_names() -> set[str]:
    layers = next(c for c in CONFIG["contracts"] if c["type"] == "layers")["layers"]
    return {name.strip().strip("()") for layer in layers for name in re.split(r"[:|]", layer)}


def test_the_code_keeps_the_import_contract():
    done = _lint(REPO, REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_module_of_atdkit_belongs_to_a_layer():
    """A new top-level module or package must be placed in a layer (import-linter's own
    `exhaustive` option needs a single container)."""
    names = _layer_names()
    tops = {f"atdkit.{p.stem}" for p in (REPO / "atdkit").iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert tops, "no modules found under atdkit/"
    assert sorted(tops - names) == [], "place these modules in a layer of [tool.importlinter] in pyproject.toml"


@pytest.mark.parametrize("importer, imported, allowed", [
    ("atdkit/store/dataset.py", "atdkit.labels.consensus", False),   # the data model importing a stage
    ("atdkit/mining/dedup.py", "atdkit.synth", False),               # mining reading synthetic films' truth
    ("atdkit/methods/base.py", "atdkit.bench.runner", False),        # a method importing a stage
    ("atdkit/bench/report/gallery.py", "atdkit.methods.base", False),  # the report running a method
    ("atdkit/cli/mine.py", "atdkit.baselines.rife", False),                 # a command reaching into a method
    ("atdkit/bench/runner.py", "atdkit.labels.consensus", True),     # a stage using the labels below it
])
def test_an_import_against_the_layers_breaks_the_contract(tmp_path, importer, imported, allowed):
    """The contract is not vacuous: one planted import in a copy of the tree breaks it (or, for
    an import the layers allow, keeps it)."""
    shutil.copytree(REPO / "atdkit", tmp_path / "atdkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / importer
    target.write_text(target.read_text() + f"\nimport {imported}  # planted\n")
    done = _lint(tmp_path, tmp_path)
    assert (done.returncode == 0) == allowed, done.stdout + done.stderr
    if not allowed:
        assert importer.removesuffix(".py").replace("/", ".") in done.stdout
