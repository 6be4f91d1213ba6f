"""``atdkit demo``: the whole pipeline on synthetic films, as a list of steps.

Each step is a function ``step(ctx: DemoContext) -> None`` that reads and
extends the shared context. Later capabilities append their own steps with
:func:`add_step` (e.g. benchmarking and reporting) without changing these.

Default steps: ``synthesize`` the films of ``atdkit/manifests/demo_films.json``
(``demo_films_quick.json`` with ``--quick``: two small films, classical methods only),
``mine`` them into ``<out>/dataset``, ``label`` them from the synthetic ground
truth (annotator ``synthetic-truth``), write a ``preview`` picture, print a
``summary``; the bench steps append ``bench`` and ``report``; ``next`` closes with
where the HTML report is, how to open the annotation app on the same dataset, and
what to run next (bench your own method, mine your own films), and the demo's wall
time.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from atdkit.errors import BadArgument, BadInput

MANIFEST = Path(__file__).with_name("manifests") / "demo_films.json"
QUICK_MANIFEST = MANIFEST.with_name("demo_films_quick.json")


@dataclass
class DemoContext:
    out: Path
    console: Console
    workers: int = 1
    manifest: Path = MANIFEST
    method_budget_s: float = 150.0   # seconds for the methods beyond the baselines together (bench.demo_steps)
    quick: bool = False              # the classical methods only (no learned method is tried)
    films: list[Path] = field(default_factory=list)
    dataset: Path | None = None
    outputs: dict[str, Any] = field(default_factory=dict)   # what steps produced, by name
    started: float = field(default_factory=time.perf_counter)


Step = Callable[[DemoContext], None]


def load_manifest(path: Path = MANIFEST) -> list[dict[str, Any]]:
    try:
        return json.loads(path.read_text())["films"]
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise BadInput(f"{path}: unreadable demo manifest ({exc})") from exc


def step_synthesize(ctx: DemoContext) -> None:
    from atdkit.synth import synthesize, truth_path
    from atdkit.synth.plan import DEFAULT_NONLINEAR_SHARE

    films_dir = ctx.out / "films"
    for spec in load_manifest(ctx.manifest):
        path = films_dir / f"{spec['name']}.mp4"
        if not (path.exists() and truth_path(path).exists()):
            synthesize(path, length_s=spec["length_s"], fps=spec["fps"], width=spec["width"], height=spec["height"],
                       seed=spec["seed"], style=spec["style"],
                       nonlinear_share=spec.get("nonlinear_share", DEFAULT_NONLINEAR_SHARE))
        ctx.films.append(path)
    ctx.console.print(f"[bold]synthesized[/bold] {len(ctx.films)} films in {films_dir}")


def step_mine(ctx: DemoContext) -> None:
    from atdkit.mining.pipeline import mine
    from atdkit.synth import film_styles

    ctx.dataset = ctx.out / "dataset"
    report = mine(ctx.films, ctx.dataset, workers=ctx.workers, style=film_styles(ctx.films), progress=True)
    if report.failed:
        raise BadInput("; ".join(r["error"] for r in report.failed))
    ctx.outputs["mine"] = report


def step_label(ctx: DemoContext) -> None:
    from atdkit.synth.truth import label_from_truth

    ctx.outputs["labels"] = label_from_truth(ctx.dataset)


def step_preview(ctx: DemoContext) -> None:
    from atdkit.mining.preview import write_preview

    ctx.outputs["preview"] = write_preview(ctx.dataset, ctx.dataset / "preview.png")


def step_summary(ctx: DemoContext) -> None:
    from rich.table import Table

    from atdkit.store.dataset import DatasetRoot
    from atdkit.store.timing import TIMING_CLASSES, triplet_timing

    root = DatasetRoot.open(ctx.dataset)
    films, triplets, candidates = root.films(), root.triplets(), root.candidates()
    table = Table("film", "frames", "shots", "cadence per shot", "triplets", title="films")
    for f in films.itertuples():
        cad = ",".join(s["cadence"] for s in json.loads(f.cadence)) if isinstance(f.cadence, str) else "-"
        table.add_row(Path(f.path).name, str(f.n_frames), str(f.n_shots), cad, str(f.n_triplets))
    ctx.console.print(table)
    if len(triplets):
        counts = Table("stride", "easy", "medium", "hard", "unbalanced timing", title="triplets")
        for g, rows in triplets.groupby("stride"):
            d = rows["auto_difficulty"].value_counts()
            counts.add_row(str(g), *(str(int(d.get(k, 0))) for k in ("easy", "medium", "hard")),
                           str(int((~rows["timing_balanced"]).sum())))
        ctx.console.print(counts)
        timing = triplet_timing(root)["timing"].value_counts()
        ctx.console.print("timing (how far frame 2 is from the linear midpoint): "
                          + ", ".join(f"{k} {timing[k]}" for k in TIMING_CLASSES if k in timing))
    reasons = candidates["reason"].value_counts()
    ctx.console.print("rejected candidates: " + ", ".join(f"{k} {v}" for k, v in reasons.items()))
    ctx.console.print(f"[bold green]dataset:[/bold green] {root.path}  ({len(triplets)} triplets, "
                      f"{ctx.outputs.get('labels', 0)} new synthetic-truth labels)")
    if ctx.outputs.get("preview"):
        ctx.console.print(f"[bold green]preview:[/bold green] {ctx.outputs['preview']}")


STEPS: list[tuple[str, Step]] = [
    ("synthesize", step_synthesize),
    ("mine", step_mine),
    ("label", step_label),
    ("preview", step_preview),
    ("summary", step_summary),
]


def add_step(name: str, step: Step, after: str | None = None) -> None:
    """Register a demo step (at the end, or right after the step named ``after``)."""
    names = [n for n, _ in STEPS]
    if name in names:
        STEPS[names.index(name)] = (name, step)
        return
    STEPS.insert(names.index(after) + 1 if after else len(STEPS), (name, step))


def run_demo(out: str | os.PathLike = "atdkit-demo", workers: int | None = None, console: Console | None = None,
             only: list[str] | None = None, manifest: str | os.PathLike | None = None,
             method_budget_s: float = 150.0, quick: bool = False) -> DemoContext:
    """Run the demo steps in order (``only``: a subset by name); returns the context. Results are
    printed on ``console`` (stdout by default), the step being run on stderr."""
    unknown = sorted(set(only or ()) - {name for name, _ in STEPS})
    if unknown:
        raise BadArgument(f"unknown demo steps {', '.join(unknown)} (known: {', '.join(n for n, _ in STEPS)})")
    ctx = DemoContext(Path(out).absolute(), console or Console(),
                      workers if workers is not None else min(2, os.cpu_count() or 1),
                      Path(manifest) if manifest else QUICK_MANIFEST if quick else MANIFEST, method_budget_s, quick)
    ctx.out.mkdir(parents=True, exist_ok=True)
    progress = Console(stderr=True)
    for name, step in STEPS:
        if only and name not in only:
            continue
        with progress.status(f"demo: {name}"):
            step(ctx)
    return ctx


def next_steps(ctx: DemoContext) -> list[str]:
    """The closing screen's lines: the report, the annotation app on the demo dataset, what to run next."""
    lines = []
    if ctx.outputs.get("report"):
        report = Path(ctx.outputs["report"])
        lines.append(f"HTML report: {report}  (open {report.as_uri()} in a browser)")
    if ctx.dataset:
        lines += [f"Annotate the same dataset: atdkit annotators add {ctx.dataset} YOUR_NAME --admin",
                  f"                           atdkit annotate {ctx.dataset}   (then open http://127.0.0.1:8501)"]
    lines += ["Bench your own method: install a package declaring an `atdkit.methods` entry point (see README, "
              "Methods), then",
              f"    atdkit bench {ctx.dataset or 'ROOT'} -m YOUR_METHOD -m rife-v4.6 -m blend --out my-run "
              "--save-predictions && atdkit report my-run",
              "Mine your own films: atdkit mine my-root film1.mp4 film2.mkv && atdkit annotate my-root"]
    return lines


def step_next(ctx: DemoContext) -> None:
    ctx.console.print("\n[bold]Next[/bold]")
    for line in next_steps(ctx):
        ctx.console.print(line, highlight=False, soft_wrap=True)
    ctx.console.print(f"demo wall time: {time.perf_counter() - ctx.started:.0f} s")


# Benchmark and report steps (owned by atdkit.bench).
from atdkit.bench.demo_steps import step_bench, step_report  # noqa: E402

add_step("bench", step_bench)
add_step("report", step_report)

# Then the dataset's recipe, and the dataset rebuilt from it and the films (owned by atdkit.recipes).
from atdkit.recipes.demo_step import step_recipe  # noqa: E402

add_step("recipe", step_recipe)

# The closing screen comes last.
add_step("next", step_next)
