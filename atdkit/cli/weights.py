"""``atdkit weights list|fetch|verify``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from atdkit import weights as registry
from atdkit.cli.app import app
from atdkit.errors import WeightsMissing

weights_app = typer.Typer(help="Released model weights: list, fetch into the cache, verify.", no_args_is_help=True)
app.add_typer(weights_app, name="weights")
console = Console()


@weights_app.command("list")
def list_weights() -> None:
    """List known weights, their source and whether a file is present."""
    table = Table("name", "file", "present", "source", "licence")
    for spec in registry.specs():
        try:
            where = str(registry.resolve(spec.name))
        except WeightsMissing:
            where = "-"
        table.add_row(spec.name, spec.filename, where, spec.source, spec.license)
    console.print(table)


@weights_app.command("fetch")
def fetch(names: list[str] = typer.Argument(..., help="weights names (see `atdkit weights list`)"),
          force: bool = typer.Option(False, help="download again even when cached")) -> None:
    """Download weights into the cache, verified and atomically."""
    for name in names:
        path = registry.fetch(name, force=force)
        console.print(f"{name}: {path}")


@weights_app.command("verify")
def verify(name: str, path: Path | None = typer.Option(None, "--weights", help="file to check instead of the resolved one")) -> None:
    """Check a weights file's sha256 against the registry."""
    digest = registry.verify(name, path)
    console.print(f"{name}: ok sha256={digest}")
