"""``atdkit bench``, ``atdkit report``, ``atdkit methods``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from atdkit.bench import metrics
from atdkit.cli.app import BENCHMARK, app
from atdkit.cli.options import parse_size, root_argument
from atdkit.errors import BadArgument



def _known_profiles(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in metrics.PROFILES]
    if unknown:
        raise typer.BadParameter(f"unknown metric profile {unknown[0]!r} (choose {', '.join(metrics.PROFILES)})")
    return names



@app.command(rich_help_panel=BENCHMARK)
def bench(
    root: Path = root_argument(),
    method: list[str] = typer.Option(..., "--method", "-m",
                                     help="NAME or NAME:key=value,… (repeatable; names and options: `atdkit methods`)"),
    out: Path = typer.Option(..., "--out", help="run folder (resumable: rerun to continue)"),
    profile: list[str] = typer.Option([metrics.DEFAULT_PROFILE], "--profile", callback=_known_profiles,
                                      help=f"metric profile (repeatable): {' | '.join(metrics.PROFILES)}"),
    size: str = typer.Option("960x540", help="evaluation size WIDTHxHEIGHT, or 'native'"),
    workers: int = typer.Option(1, help="local worker processes"),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address (tcp://host:8786)"),
    shard_size: int = typer.Option(8, help="triplets per work unit"),
    save_predictions: bool = typer.Option(False, "--save-predictions", help="keep predicted frames as PNG"),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="run again the rows that recorded an error"),
    no_chamfer: bool = typer.Option(False, "--no-chamfer", help="skip the chamfer line distance"),
    device: str = typer.Option("cpu", help="torch device for learned methods"),
    weights: list[str] = typer.Option([], "--weights", help="NAME=PATH: use this file for the weights NAME "
                                                          "(repeatable; names: `atdkit weights list`)"),
) -> None:
    """Score methods on every triplet of ROOT into RUN/results.parquet."""
    from atdkit.bench.runner import run_benchmark

    summary = run_benchmark(root, out, method, profiles=tuple(profile), size=parse_size(size, allow_native=True), workers=workers,
                            scheduler=scheduler, shard_size=shard_size, save_predictions=save_predictions,
                            retry_errors=retry_errors, chamfer=not no_chamfer, device=device,
                            weights=_weights_overrides(weights))
    typer.echo(f"{summary.rows_written} rows written ({summary.errors} with errors), "
                  f"{summary.skipped_pairs} (method, triplet) pairs already done; results: {out / 'results.parquet'}")
    for line in summary.shards_failed:
        typer.echo(f"failed: {line}", err=True)
    if summary.shards_failed:
        raise typer.Exit(1)


def _weights_overrides(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, eq, path = item.partition("=")
        if not eq or not name.strip() or not path.strip():
            raise BadArgument(f"--weights {item!r}: expected NAME=PATH (e.g. rife-v4.6=/models/flownet.pkl)")
        out[name.strip()] = path.strip()
    return out


@app.command(rich_help_panel=BENCHMARK)
def report(
    run: Path = typer.Argument(..., help="run folder written by `atdkit bench`", exists=True, file_okay=False),
    out: Path | None = typer.Option(None, "--out", help="report folder (default RUN/report)"),
    reference: str | None = typer.Option(None, help="reference method for paired comparisons (default: the best "
                                                    "by PSNR); every method is also compared with blend"),
    gallery: int = typer.Option(3, help="triplets shown in the frame gallery per kind (methods disagree most; "
                                        "hardest for the top method)"),
    bootstrap: int = typer.Option(1000, help="bootstrap resamples for the 95% intervals"),
) -> None:
    """Leaderboards per category with bootstrap CIs, paired comparisons, Markdown + CSV + HTML."""
    from atdkit.bench.report import write_report

    rep = write_report(run, out, reference=reference, n_gallery=gallery, n_boot=bootstrap)
    typer.echo(rep.leaderboard_markdown)
    typer.echo(f"HTML report: {rep.html}")


@app.command(rich_help_panel=BENCHMARK)
def methods() -> None:
    """List installed interpolation methods and whether their weights are present."""
    from atdkit.methods import base

    table = Table("name", "description", "licence", "weights", "options")
    for name in base.available():
        try:
            cls = base.method_class(name)
        except Exception as exc:  # a broken third-party plugin must not hide the others
            table.add_row(name, f"(cannot load: {type(exc).__name__}: {exc})", "", "", "")
            continue
        status = cls.weights_status()
        if not status:
            weights = "none needed"
        else:
            weights = ", ".join(f"{w}: {'present' if p else 'MISSING'}" for w, p in status.items())
        options = ", ".join(o.describe() for o in cls.options) or "none"
        table.add_row(name, cls.description, cls.license, weights, options)
    Console().print(table)  # per call: follows the terminal width ($COLUMNS) of that call
