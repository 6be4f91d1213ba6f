"""``atdkit demo``: synthesize films, mine them, label them, summarize (see :mod:`atdkit.demo`)."""

from __future__ import annotations

from pathlib import Path

import typer

from atdkit.cli.app import TOOLS, app


@app.command(rich_help_panel=TOOLS)
def demo(out: Path = typer.Option(Path("atdkit-demo"), "--out", help="working folder"),
         quick: bool = typer.Option(False, "--quick", help="two small films and the classical methods only: "
                                    "every step in about a minute"),
         workers: int = typer.Option(None, help="parallel mining processes (default: min(2, cores))"),
         manifest: Path = typer.Option(None, help="films to synthesize (default: atdkit/manifests/demo_films.json)",
                                       exists=True, dir_okay=False),
         only: str = typer.Option(None, help="run only these steps, comma-separated (e.g. synthesize,mine)"),
         method_budget: float = typer.Option(150.0, help="seconds for the installed methods beyond the classical "
                                             "baselines together: fastest first, each on every triplet when its "
                                             "projected time fits what is left, else on a subset of 6-10, else "
                                             "skipped; 0 = no limit")) -> None:
    """Run the end-to-end demo on synthetic cel films."""
    from atdkit.demo import run_demo

    steps = [s.strip() for s in only.split(",") if s.strip()] if only else None
    run_demo(out, workers=workers, manifest=manifest, only=steps, method_budget_s=method_budget, quick=quick)
