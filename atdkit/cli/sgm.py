"""``atdkit sgm`` (compute and cache SGM flows) and ``atdkit sgm-import`` (official pre-computed flows)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console

from atdkit.cli.app import BENCHMARK, app
from atdkit.cli.options import parse_size, root_argument
from atdkit.errors import AtdkitError

console = Console()
LineStyle = Literal["disney", "japanese"]
VGGPrecision = Literal["float32", "bfloat16"]


@lru_cache(maxsize=4)
def _sgm(vgg: str, style: str, size: tuple[int, int] | None, vgg_precision: str):
    from atdkit.methods.animeinterp.sgm import SGM

    return SGM(vgg=None if vgg == "none" else vgg, style=style, size=size, vgg_precision=vgg_precision)


def compute_one(job: tuple[str, str, str, str, tuple[int, int] | None, bool, str]) -> str:
    """Work unit: (root, triplet_id, vgg, style, size, preview, vgg_precision) → 'cached' or 'computed'.

    Idempotent, atomic writes; with ``preview`` the flows are also drawn as
    ``guide_flo13.png`` / ``guide_flo31.png`` beside the ``.npy`` files.
    """
    from atdkit.methods.animeinterp.flows import ensure_flows, flow_paths, has_flows, stale_reason
    from atdkit.methods.animeinterp.sgm.visualise import flow_image
    from atdkit.store.dataset import DatasetRoot
    from atdkit.store.frames import write_png

    root_path, tid, vgg, style, size, preview, vgg_precision = job
    root = DatasetRoot.open(root_path)
    sgm = _sgm(vgg, style, size, vgg_precision)
    status = "cached" if has_flows(root, tid) and stale_reason(root, tid, sgm.settings) is None else "computed"
    flows = ensure_flows(root, tid, sgm)
    if preview:
        top = max(float(abs(f).max()) for f in flows)
        for flow, path in zip(flows, flow_paths(root, tid)):
            if not path.with_suffix(".png").is_file():
                write_png(path.with_suffix(".png"), flow_image(flow, top))
    return status



@app.command(rich_help_panel=BENCHMARK)
def sgm(root: Path = root_argument(),
        workers: int = typer.Option(1, help="parallel processes (Dask with --scheduler)"),
        scheduler: str | None = typer.Option(None, help="Dask scheduler address, e.g. tcp://host:8786"),
        vgg: str = typer.Option("auto", help="VGG-19 file, 'auto' (registry, else weight-free) or 'none'"),
        line_style: LineStyle = typer.Option("disney", help="line art of the films (SGM's colour-segment extraction)"),
        size: str = typer.Option("960x540", help="working size WIDTHxHEIGHT (official 960x540) or 'native'"),
        preview: bool = typer.Option(False, help="also draw each flow as a colour PNG beside it"),
        vgg_precision: VGGPrecision = typer.Option(
            "float32", help="number type of the VGG-19 forward: float32 (official) or bfloat16 (about half its "
                            "CPU time on AVX512_BF16 CPUs; flows may differ; recorded as descriptor vgg19-bfloat16)"),
        ) -> None:
    """Compute SGM flows for every triplet without cached ones (resumable: finished triplets are skipped)."""
    from atdkit.errors import BadArgument
    from atdkit.store import atomic
    from atdkit.store.dataset import DatasetRoot

    if vgg == "none" and vgg_precision != "float32":
        raise BadArgument(f"--vgg-precision {vgg_precision} applies to the VGG-19 descriptor; --vgg none has none")

    ds = DatasetRoot.open(root)
    atomic.remove_stale_temps(ds.path / "flows")  # left by a killed run (live writers' temps stay)
    jobs = [(str(ds.path.absolute()), str(tid), vgg, line_style, parse_size(size, allow_native=True),
             preview, vgg_precision) for tid in ds.triplets()["triplet_id"]]
    counts: dict[str, int] = {}
    failures = []
    from atdkit.distributed import SHARED_ROOT, readable_files, run_all

    for job, result in run_all(compute_one, jobs, workers=workers, scheduler=scheduler, desc="SGM flows",
                               checks=[readable_files(ds.meta_path, why=SHARED_ROOT)]):
        if isinstance(result, BaseException):
            failures.append((job[1], result))
            continue
        counts[result] = counts.get(result, 0) + 1
    console.print(f"SGM flows: {counts.get('computed', 0)} computed, {counts.get('cached', 0)} already cached, "
                  f"{len(failures)} failed")
    for tid, exc in failures[:10]:
        console.print(f"  {tid}: {exc}")
    if failures:
        first = failures[0][1]
        raise first if isinstance(first, AtdkitError) else AtdkitError(f"{failures[0][0]}: {first}")


@app.command("sgm-import", rich_help_panel=BENCHMARK)
def sgm_import(root: Path = root_argument(),
               source: Path = typer.Argument(..., help="folder of <triplet folder>/guide_flo13.npy + guide_flo31.npy",
                                             exists=True, file_okay=False),
               overwrite: bool = typer.Option(False, help="replace flows that are already cached")) -> None:
    """Import officially pre-computed SGM flows (e.g. test_2k_pre_calc_sgm_flows) into the dataset root."""
    from atdkit.methods.animeinterp.flows import import_flows
    from atdkit.store.dataset import DatasetRoot

    status = import_flows(source, DatasetRoot.open(root), overwrite=overwrite)
    imported = sum(1 for s in status.values() if s == "imported")
    console.print(f"imported {imported} triplets, kept {len(status) - imported} already cached")
