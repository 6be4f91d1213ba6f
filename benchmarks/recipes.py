"""Dataset recipes side by side with mining, on the same films, in one run.

For the demo's films (``--manifest``, default the ``--quick`` one; synthesized once into ``--work``),
each round mines them into a fresh root (1 process), labels them from their truth, then times the three
recipe commands on that root: ``export`` (hash the films, read and hash the stored frames), ``build``
into a fresh root (decode each film up to its last listed frame, hash, write PNGs) and ``verify``
(read and hash every rebuilt frame). It prints the medians of ``--rounds`` rounds and each step's ratio
to mining, the extra time ``atdkit demo``'s recipe step costs. Run: ``python benchmarks/recipes.py``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from atdkit.demo import QUICK_MANIFEST, load_manifest
from atdkit.labels.consensus import write_consensus
from atdkit.mining.pipeline import mine
from atdkit.recipes.build import build_from_recipe
from atdkit.recipes.export import export_recipe
from atdkit.recipes.verify import verify_root
from atdkit.store.dataset import DatasetRoot
from atdkit.synth import synthesize
from atdkit.synth.truth import label_from_truth


def _films(manifest: Path, folder: Path) -> list[Path]:
    out = []
    for s in load_manifest(manifest):
        path = folder / f"{s['name']}.mp4"
        if not path.exists():
            synthesize(path, length_s=s["length_s"], fps=s["fps"], width=s["width"], height=s["height"],
                       seed=s["seed"], style=s["style"])
        out.append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=QUICK_MANIFEST)
    parser.add_argument("--work", type=Path, default=Path("/tmp/atdkit-bench-recipes"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    films = _films(args.manifest, args.work / "films")
    times: dict[str, list[float]] = {k: [] for k in ("mine", "export", "build", "verify")}
    for _ in range(args.rounds):
        for name in ("root", "recipe", "rebuilt"):
            shutil.rmtree(args.work / name, ignore_errors=True)
        t = time.perf_counter()
        mine(films, args.work / "root", progress=False)
        times["mine"].append(time.perf_counter() - t)
        label_from_truth(args.work / "root")
        write_consensus(DatasetRoot.open(args.work / "root"))
        t = time.perf_counter()
        export_recipe(args.work / "root", args.work / "recipe")
        times["export"].append(time.perf_counter() - t)
        t = time.perf_counter()
        report = build_from_recipe(args.work / "recipe", args.work / "rebuilt", [args.work / "films"], progress=False)
        times["build"].append(time.perf_counter() - t)
        assert not report.errors, report.errors
        t = time.perf_counter()
        assert verify_root(args.work / "rebuilt", args.work / "recipe").matches
        times["verify"].append(time.perf_counter() - t)
    n = len(DatasetRoot.open(args.work / "root").triplets())
    base = statistics.median(times["mine"])
    print(f"{len(films)} films ({args.manifest.name}), {n} triplets; medians of {args.rounds} rounds")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:7s} {med:6.2f} s  ({med / base:.2f}× mine)  runs: {', '.join(f'{v:.2f}' for v in values)}")
    step = sum(statistics.median(times[k]) for k in ("export", "build", "verify"))
    print(f"recipe step of atdkit demo (export + build + verify): {step:.2f} s = {step / base:.2f}× mining")


if __name__ == "__main__":
    main()
