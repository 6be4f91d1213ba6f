"""``atdkit synth OUT.mp4`` and ``atdkit mine ROOT FILM...``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.table import Table

from atdkit.cli.app import BUILD, app
from atdkit.cli.options import new_root_argument, parse_size, root_argument
from atdkit.errors import BadArgument
from atdkit.mining.config import DEFAULTS as MINING
from atdkit.mining.config import SSIM_CHANNELS, MiningConfig
from atdkit.mining.config import help_text as mining_help
from atdkit.synth.plan import DEFAULT_NONLINEAR_SHARE, STYLES
from atdkit.video import BACKENDS

console = Console(stderr=True)
ArtStyle = Literal[tuple(STYLES)]
SsimChannels = Literal[SSIM_CHANNELS]
Backend = Literal[("auto", *BACKENDS)]


@app.command(rich_help_panel=BUILD)
def synth(out: Path = typer.Argument(..., help="output film (.mp4); the truth sidecar goes beside it"),
          length: float = typer.Option(4.0, help="seconds"),
          fps: float = typer.Option(24.0, help="frames per second"),
          size: str = typer.Option("960x540", help="WIDTHxHEIGHT (even numbers)"),
          seed: int = typer.Option(0, help="same seed ⇒ same film"),
          art_style: ArtStyle = typer.Option("cel", help="how the film is drawn"),
          nonlinear_share: float = typer.Option(DEFAULT_NONLINEAR_SHARE, min=0.0, max=1.0,
                                                help="share of moves with eased or overshooting timing (0: every "
                                                     "move evenly spaced, 1: every move accented)")) -> None:
    """Render a procedural cel-animation film (H.264) with per-frame ground truth."""
    from atdkit.synth import synthesize, truth_path

    w, h = parse_size(size)
    path = synthesize(out, length_s=length, fps=fps, width=w, height=h, seed=seed, style=art_style,
                      progress=True, nonlinear_share=nonlinear_share)
    print(f"wrote {path} and {truth_path(path)}")


@app.command(rich_help_panel=BUILD)
def mine(root: Path = new_root_argument(),
         films: list[Path] = typer.Argument(..., help="film files (any format FFmpeg reads)"),
         strides: str = typer.Option(",".join(map(str, MINING.strides)), help=mining_help("strides") +
                                     ", comma-separated"),
         ssim_low: float = typer.Option(MINING.ssim_low, help=mining_help("ssim_low")),
         ssim_high: float = typer.Option(MINING.ssim_high, help=mining_help("ssim_high")),
         ssim_size: str = typer.Option("x".join(map(str, MINING.ssim_size)), help=mining_help("ssim_size")),
         ssim_channels: SsimChannels = typer.Option(MINING.ssim_channels, help=mining_help("ssim_channels")),
         min_spacing: int = typer.Option(MINING.min_spacing, help=mining_help("min_spacing")),
         per_shot_cap: int = typer.Option(MINING.per_shot_cap, help=mining_help("per_shot_cap")),
         require_balanced: bool = typer.Option(MINING.require_balanced, help=mining_help("require_balanced")),
         phash_distance: int = typer.Option(MINING.phash_distance, help=mining_help("phash_distance")),
         repeat_ratio: float = typer.Option(MINING.repeat_ratio, help=mining_help("repeat_ratio")),
         mid_tolerance: float = typer.Option(MINING.mid_tolerance, help=mining_help("mid_tolerance")),
         mid_max_detour: float = typer.Option(MINING.mid_max_detour, help=mining_help("mid_max_detour")),
         workers: int = typer.Option(1, help="processes mining in parallel (films, and segments of long films)"),
         segment_frames: int = typer.Option(None, help="split films into segments of about this many frames for "
                                            "parallel work (default: automatic with --workers > 1; the dataset "
                                            "does not depend on it)"),
         scheduler: str = typer.Option(None, help="Dask scheduler address, e.g. tcp://host:8786"),
         backend: Backend = typer.Option("auto", help="film decoder (auto: PyAV, bounded memory in one pass)"),
         split: str = typer.Option(None, help="split recorded for these films (train/test/…)"),
         film_style: str = typer.Option(None, help="style recorded for these films (default: a synthetic "
                                        "film's art style)"),
         license: str = typer.Option(None, help="licence recorded for these films")) -> None:
    """Mine ATD-style triplets from films into a dataset root (resumable, idempotent)."""
    from atdkit.mining.pipeline import mine as run_mine
    from atdkit.synth import film_styles

    try:
        stride_list = tuple(int(s) for s in strides.split(",") if s.strip())
    except ValueError:
        raise BadArgument(f"strides {strides!r}: expected comma-separated integers, e.g. 1,2,3") from None
    config = MiningConfig(strides=stride_list, ssim_low=ssim_low, ssim_high=ssim_high,
                          ssim_size=parse_size(ssim_size), ssim_channels=ssim_channels, min_spacing=min_spacing,
                          per_shot_cap=per_shot_cap, require_balanced=require_balanced,
                          phash_distance=phash_distance, repeat_ratio=repeat_ratio, mid_tolerance=mid_tolerance,
                          mid_max_detour=mid_max_detour)
    report = run_mine([str(f) for f in films], root, config, workers=workers, scheduler=scheduler, backend=backend,
                      split=split, style=film_style or film_styles(films), license=license,
                      segment_frames=segment_frames)
    table = Table("film", "status", "triplets", "detail")  # triplets: what the dataset holds for the film
    for r in report.results:
        table.add_row(Path(r["path"]).name, r["status"], str(int(r["n_triplets"])),
                      r["error"] or r.get("notes") or "")
    for s in report.skipped:
        table.add_row(Path(s).name, "skipped", "-", "already mined (same content)")
    Console().print(table)  # the results on stdout; progress and messages on stderr
    if report.duplicates_dropped:
        console.print(f"near-duplicates dropped across the dataset: {report.duplicates_dropped}")
    console.print(f"dataset: {report.root}")
    for r in report.failed:  # one unwrapped line per failed film
        print(f"error: {r['error']}", file=sys.stderr)
    if report.failed:
        raise typer.Exit(1)


@app.command(rich_help_panel=BUILD)
def dedup(root: Path = root_argument(),
          phash_distance: int = typer.Option(None, help="frame2 pHash bits within which triplets may be "
                                             "near-duplicates (default: the distance the root was mined with)"),
          repeat_ratio: float = typer.Option(None, help="such triplets are near-duplicates when two of their frames "
                                             "are the same pictures: differ by at most this times the triplets' "
                                             "own motion (default: the ratio the root was mined with)"),
          run: list[Path] = typer.Option([], "--run", help="bench run folder whose scored triplets are kept "
                                         "(repeatable; runs live outside the root)"),
          apply: bool = typer.Option(False, "--apply", help="make the changes (default: only show them)")) -> None:
    """Re-deduplicate the whole dataset (dry run unless --apply).

    Every triplet is judged again; one that has votes, annotations, consensus rows or results in the
    named runs is never dropped."""
    from atdkit.mining import dedup as near
    from atdkit.store.dataset import DatasetRoot

    ds = DatasetRoot.open(root)
    mined_with = ds.meta().get("config", {}).get("mining", {})
    distance = int(mined_with.get("phash_distance", MINING.phash_distance)) if phash_distance is None else phash_distance
    ratio = float(mined_with.get("repeat_ratio", MINING.repeat_ratio)) if repeat_ratio is None else repeat_ratio
    protected = near.labelled_ids(ds, run)
    plan = near.full_plan(ds, distance, ratio, protected)
    table = Table("triplet", "duplicates (kept)")
    for tid, kept in sorted(plan.items()):
        table.add_row(tid, kept)
    Console().print(table)
    console.print(f"{len(plan)} triplet(s) would move to candidates ({near.duplicate_detail(distance, ratio)}); "
                  f"{len(protected)} labelled or scored triplet(s) are never dropped")
    if not apply:
        console.print("dry run: nothing changed (use --apply)")
        return
    near.move_to_candidates(ds, ds.triplet_parts.read(), plan, near.duplicate_detail(distance, ratio))
    near.reconcile(ds)
    ds.materialize()
    console.print(f"moved {len(plan)} triplet(s) to candidates")
