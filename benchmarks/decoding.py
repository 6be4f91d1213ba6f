"""The two decoder backends side by side: speed, CPU, and memory under a slow consumer.

For one synthetic 960×540 film (``--seconds`` long, default 120 s), each backend
runs in its own fresh process, and the table shows:

- decode only: every frame decoded in order, as fast as possible. It reports
  frames per second (wall clock) and the CPU milliseconds per frame summed over
  all threads (medians of 3).
- slow consumer: the first ``--frames`` frames read in order, with ``--work-ms``
  of busy work after each frame, as a miner does. It reports the peak resident
  memory above the memory after opening, and the CPU per frame that the process
  spent beyond the consumer's own work.

decord feeds its decoder thread all the packets it can read while the first
frame is still on its way. That thread then decodes all of those frames ahead
into RAM, whatever the consumer asks for; the slow-consumer column shows how
much memory that takes. PyAV decodes one frame per request. Run:
``python benchmarks/decoding.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

from footage import synthetic_film  # benchmarks/footage.py


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measure(film: str, backend: str, frames: int, work_ms: float) -> dict:
    """One backend, in this (fresh) process."""
    from atdkit.video import open_video

    runs = []
    for _ in range(3):
        start, cpu = time.perf_counter(), _cpu_s()
        n = sum(1 for _ in open_video(film, backend))
        runs.append((n / (time.perf_counter() - start), 1000 * (_cpu_s() - cpu) / n))
    decode = {"fps": statistics.median(r[0] for r in runs), "cpu_ms": statistics.median(r[1] for r in runs)}
    reader = open_video(film, backend)
    base, peak, cpu = _rss_mb(), 0.0, _cpu_s()
    for _, _frame in zip(range(frames), reader.frames(0)):
        until = time.perf_counter() + work_ms / 1000
        while time.perf_counter() < until:  # the consumer's own work (busy, like a miner)
            pass
        peak = max(peak, _rss_mb() - base)
    extra = 1000 * (_cpu_s() - cpu) / frames - work_ms
    return {"backend": backend, "decode": decode, "peak_mb": peak, "extra_cpu_ms": extra}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120.0, help="film length")
    ap.add_argument("--frames", type=int, default=200, help="frames the slow consumer reads")
    ap.add_argument("--work-ms", type=float, default=10.0, help="consumer work per frame (ms)")
    ap.add_argument("--measure", nargs=2, metavar=("FILM", "BACKEND"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, args.frames, args.work_ms)))
        return
    film = synthetic_film(args.seconds, 960, 540, seed=5)
    rows = []
    for backend in ("decord", "pyav"):
        out = subprocess.run([sys.executable, __file__, "--measure", str(film), backend,
                              "--frames", str(args.frames), "--work-ms", str(args.work_ms)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"960×540, {args.seconds:.0f} s film; slow consumer: {args.frames} frames, {args.work_ms:g} ms work each")
    print(f"{'backend':8} {'decode fps':>11} {'decode CPU ms/frame':>20} {'slow: peak MB':>14} "
          f"{'slow: extra CPU ms/frame':>25}")
    for r in rows:
        print(f"{r['backend']:8} {r['decode']['fps']:11.1f} {r['decode']['cpu_ms']:20.2f} {r['peak_mb']:14.0f} "
              f"{r['extra_cpu_ms']:25.2f}")
    d, p = rows
    print(f"decord/pyav: decode fps {d['decode']['fps'] / p['decode']['fps']:.2f}×, "
          f"CPU per frame {d['decode']['cpu_ms'] / p['decode']['cpu_ms']:.2f}×, "
          f"slow-consumer peak memory {d['peak_mb'] / max(p['peak_mb'], 1):.0f}×")


if __name__ == "__main__":
    main()
