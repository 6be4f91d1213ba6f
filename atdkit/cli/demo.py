"""``atdkit demo``: synthesize films, mine them, label them, summarize (see :mod:`atdkit.demo`)."""

from __future__ import annotations

from pathlib import Path

import typer

from atdkit.cli.app import app


@app.command()
def demo(out: Path = typer.Option(Path("atdkit-demo"), "--out", help="working folder"),
         workers: int = typer.Option(None, help="parallel mining processes (default: min(2, cores))"),
         manifest: Path = typer.Option(None, help="films to synthesize (default data_manifests/demo_films.json)"),
         only: str = typer.Option(None, help="run only these steps, comma-separated (e.g. synthesize,mine)"),
         method_budget: float = typer.Option(150.0, help="seconds: installed methods beyond the classical baselines "
                                             "are benchmarked when their projected time on the demo set fits; "
                                             "0 = no limit")) -> None:
    """Run the end-to-end demo on synthetic cel films."""
    from atdkit.demo import STEPS, run_demo
    from atdkit.errors import BadInput

    steps = [s.strip() for s in only.split(",") if s.strip()] if only else None
    unknown = sorted(set(steps or ()) - {name for name, _ in STEPS})
    if unknown:
        raise BadInput(f"unknown demo steps {', '.join(unknown)} (known: {', '.join(n for n, _ in STEPS)})")
    run_demo(out, workers=workers, manifest=manifest, only=steps, method_budget_s=method_budget)
