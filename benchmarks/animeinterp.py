"""AnimeInterp network on CPU at 960×540 with random weights, and forward splatting vs the
official no-CuPy formulation (``put_(accumulate=True)`` on flat index tensors).

Part 1: seconds per interpolated 960×540 frame (median of repeats) and peak resident memory of a
fresh process that builds the network and runs it (random weights; inputs are two real cartoon
frames resized to 960×540 with random smooth initial flows).
Part 2: the eight splats of one AnimeInterp forward (image + 3 feature levels, both directions,
each with its normalisation) done with atdkit's ``splat_average`` and with the official
formulation written below (per-channel indices, four ``put_`` calls per tensor for values and
four for weights), in the same run: medians, the ratio and the largest output difference.

Run: .venv/bin/python benchmarks/animeinterp.py [--repeats 3] [--threads 2] [--cpu-time]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import time
from pathlib import Path

import torch

from footage import pigs_pair  # benchmarks/footage.py

ROOT = Path(__file__).resolve().parents[1]
W, H = 960, 540




def smooth_flow(seed: int, scale: float, b: int = 1, h: int = H, w: int = W) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    coarse = torch.randn(b, 2, 9, 16, generator=g) * scale
    return torch.nn.functional.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)


# ---------------------------------------------------------------- part 1: the network
def network_run(threads: int, repeats: int) -> dict:
    """Runs in a fresh process: returns per-repeat seconds and peak RSS."""
    torch.set_num_threads(threads)
    from atdkit.methods.animeinterp.model import AnimeInterpNet

    torch.manual_seed(0)
    net = AnimeInterpNet().eval()
    f1, f3 = pigs_pair(W, H)
    i1 = torch.from_numpy(f1).permute(2, 0, 1)[None].float() / 255
    i3 = torch.from_numpy(f3).permute(2, 0, 1)[None].float() / 255
    init12, init21 = smooth_flow(1, 6.0), smooth_flow(2, 6.0)
    idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds, cpu = [], []
    with torch.no_grad():
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            out = net(i1, i3, init12, init21, 0.5)[0]
            seconds.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    assert torch.isfinite(out).all()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "idle_mb": idle}


def _child(conn, threads, repeats):
    conn.send(network_run(threads, repeats))
    conn.close()


# ---------------------------------------------------------------- part 2: splatting
def official_put_splat(img: torch.Tensor, flo: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The official no-CuPy formulation, restated: per-channel flat indices, put_(accumulate=True)."""
    n, c, h, w = img.shape
    row = flo[:, 1:2].repeat(1, c, 1, 1)  # channel 1 shifts rows
    col = flo[:, 0:1].repeat(1, c, 1, 1)
    r1, c1 = torch.floor(row), torch.floor(col)
    r2, c2 = r1 + 1, c1 + 1
    base_r = torch.arange(h).view(1, 1, h, 1).repeat(n, c, 1, w).view(-1)
    base_c = torch.arange(w).view(1, 1, 1, w).repeat(n, c, h, 1).view(-1)
    plane = torch.arange(n * c).view(n, c, 1, 1).repeat(1, 1, h, w).view(-1)
    values = torch.zeros(n * c * h * w)
    weights = torch.zeros(n * c * h * w)
    flat = img.reshape(-1)
    for sr, sc, wt in ((r1, c1, (r2 - row) * (c2 - col)), (r1, c2, (r2 - row) * (col - c1)),
                       (r2, c1, (row - r1) * (c2 - col)), (r2, c2, (row - r1) * (col - c1))):
        ir = sr.reshape(-1).long() + base_r
        ic = sc.reshape(-1).long() + base_c
        inside = (ir >= 0) & (ir < h) & (ic >= 0) & (ic < w)
        ids = torch.masked_select(plane * h * w + ir * w + ic, inside)
        wflat = wt.reshape(-1)
        values.put_(ids, torch.masked_select(flat * wflat, inside), accumulate=True)
        weights.put_(ids, torch.masked_select(wflat, inside), accumulate=True)
    values, weights = values.view(n, c, h, w), weights.view(n, c, h, w)
    covered = weights > 0
    values[covered] = values[covered] / weights[covered]
    return values, weights


def splat_workload(seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The eight (tensor, flow) pairs splatted in one AnimeInterp forward at 960×540 (t = 0.5)."""
    from atdkit.methods.animeinterp.rfr.rfr import resize_flow_nearest

    g = torch.Generator().manual_seed(seed)
    pairs = []
    for direction in range(2):
        flow = 0.5 * smooth_flow(10 + direction, 12.0)
        pairs.append((torch.rand(1, 3, H, W, generator=g), flow))
        for ch, div in ((32, 1), (64, 2), (96, 4)):
            small = resize_flow_nearest(flow, (H // div, W // div))
            pairs.append((torch.randn(1, ch, H // div, W // div, generator=g), small))
    return pairs


def median_time(fn, repeats: int, cpu: bool = False):
    clock = time.process_time if cpu else time.perf_counter
    times, out = [], None
    for _ in range(repeats):
        start = clock()
        out = fn()
        times.append(clock() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--skip-network", action="store_true")
    parser.add_argument("--cpu-time", action="store_true", help="time the splatting comparison in process CPU seconds")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"torch {torch.__version__}, {args.threads} intra-op thread(s), CPU only (no GPU in this run), "
          f"load average at start {load}")

    if not args.skip_network:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_child, args=(child, args.threads, args.repeats))
        proc.start()
        result = parent.recv()
        proc.join()
        med = statistics.median(result["seconds"])
        print("\n== AnimeInterp network, 960×540, random weights, CPU ==")
        print(f"seconds per frame: median {med:.2f}  (runs: {', '.join(f'{s:.2f}' for s in result['seconds'])})"
              f"  target ≤ 10 s;  official no-CuPy ≈ 99 s  → {99 / med:.1f}× faster")
        print(f"process CPU seconds per frame: median {statistics.median(result['cpu']):.2f} (all threads; with "
              f"1 thread this approximates the wall time on an idle core)")
        print(f"peak RSS of the process: {result['peak_mb']:.0f} MB (model + inputs before the first forward: "
              f"{result['idle_mb']:.0f} MB)  target ≤ 1500 MB;  official ≈ 3900 MB")

    from atdkit.ops.splatting import splat_average

    pairs = splat_workload()
    ours_t, ours_out = median_time(lambda: [splat_average(x, f) for x, f in pairs], args.repeats, args.cpu_time)
    put_t, put_out = median_time(lambda: [official_put_splat(x, f)[0] for x, f in pairs], args.repeats, args.cpu_time)
    diff = max(float((a - b).abs().max()) for a, b in zip(ours_out, put_out))
    unit = "CPU s" if args.cpu_time else "s"
    print(f"\n== forward splatting: the 8 splats of one 960×540 forward (values + normalisation), {unit} ==")
    print(f"official put_ formulation: {put_t:.3f} s   atdkit splat_average: {ours_t:.3f} s   "
          f"ratio {put_t / ours_t:.1f}×  (target ≥ 20×)   largest |difference| {diff:.2e}")
    print(json.dumps({"splat_put_s": put_t, "splat_ours_s": ours_t, "splat_ratio": put_t / ours_t,
                      "splat_max_diff": diff}))


if __name__ == "__main__":
    main()
