"""AnimeInterp training speed and memory: one training step (forward, L1, backward, Adam) beside one
inference forward of the same batch, measured alternately in one process so the ratio survives a
noisy machine.

At the paper's phase-2 crop (380×380) with ``--batch`` triplets (default 2 on CPU; 16 where a GPU
is: ``--device cuda --batch 16``), random frames and SGM-like random initial flows (the cost does
not depend on the weights or the pixels). Prints the median seconds of each, training steps per
second, the step/forward ratio and the peak additional resident memory of a step
(:mod:`atdkit.bench.memory`; CPU only).

Run: .venv/bin/python benchmarks/train.py [--repeats 5] [--batch 2] [--crop 380] [--threads 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from atdkit.bench.memory import METHOD, PeakMemory
from atdkit.methods.animeinterp.model import AnimeInterpNet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--crop", type=int, default=380)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dev, b, c = args.device, args.batch, args.crop
    net = AnimeInterpNet().to(dev).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-6)
    f1, f2, f3 = (torch.rand(b, 3, c, c, device=dev) for _ in range(3))
    init12, init21 = (torch.randn(b, 2, c, c, device=dev) * 4 for _ in range(2))

    def sync():
        if dev.startswith("cuda"):
            torch.cuda.synchronize()

    def step():
        out = net(f1, f3, init12, init21, 0.5)[0]
        loss = (out - f2).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        sync()

    @torch.no_grad()
    def forward():
        net(f1, f3, init12, init21, 0.5)
        sync()

    step()
    forward()  # warm-up
    steps, forwards, peaks = [], [], []
    for _ in range(args.repeats):
        with PeakMemory() as pm:
            t = time.perf_counter()
            step()
            steps.append(time.perf_counter() - t)
        peaks.append(pm.peak_mb)
        t = time.perf_counter()
        forward()
        forwards.append(time.perf_counter() - t)
    s, f = statistics.median(steps), statistics.median(forwards)
    print(f"AnimeInterp training at {c}×{c}, batch {b}, {dev}, {args.threads} thread(s), {args.repeats} repeats")
    print(f"  training step   median {s:7.2f} s   ({1 / s:.3f} steps/s, {b / s:.2f} triplets/s)")
    print(f"  inference fwd   median {f:7.2f} s")
    print(f"  step / forward  {s / f:5.2f}×")
    if not dev.startswith("cuda"):
        print(f"  peak additional memory of a step: median {statistics.median(peaks):.0f} MiB ({METHOD})")
    else:
        print(f"  peak CUDA memory: {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
