"""``atdkit demo``: synthesize films, mine them, label them, summarize (see :mod:`atdkit.demo`)."""

from __future__ import annotations

from pathlib import Path

import typer

from atdkit.cli.app import app


@app.command()
def demo(out: Path = typer.Option(Path("atdkit-demo"), "--out", help="working folder"),
         workers: int = typer.Option(None, help="parallel mining processes (default: min(2, cores))"),
         manifest: Path = typer.Option(None, help="films to synthesize (default data_manifests/demo_films.json)")) -> None:
    """Run the end-to-end demo on synthetic cel films."""
    from atdkit.demo import run_demo

    run_demo(out, workers=workers, manifest=manifest)
