"""SGM seconds per 960×540 frame pair, stage by stage, on synthetic and real footage.

Footage: a drawn synthetic cel pair (many flat-colour shapes with outlines, moved between
frames), two frames of the 1943 cel cartoon in shared/testdata, and two frames of Big Buck
Bunny (real but not cel animation), all resized to 960×540 as the official scripts do.
Descriptors: the VGG-19 path with random weights (same cost as the released ImageNet
weights, which cannot be downloaded here) in float32 (the default: official arithmetic) and
in bfloat16 (``SGM(vgg_precision="bfloat16")``, opt-in), side by side, and the weight-free
colour/shape descriptor. The variants run interleaved, repeat by repeat, so that they share
the machine's load; prints medians of repeats, the bfloat16/float32 ratios, whether the
bfloat16 flows equal the float32 ones on each pair (segments whose flow changed, pixels, the
largest difference), the VGG forward alone in both precisions (the floor of the VGG path; its
kernel time is the first touch of freshly mapped memory for the activations) and the official
scripts' reference (≈ 209 s per pair).

``--flow-check`` instead compares the bfloat16 flows with the float32 ones on 12 real pairs
(six of the cartoon, six of Big Buck Bunny) with two random weight sets.

Run: .venv/bin/python benchmarks/sgm.py [--repeats 3] [--threads 2] [--cpu-time] [--flow-check]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from atdkit.methods.animeinterp.sgm import SGM, OFFICIAL_SIZE, SGMResult
from atdkit.methods.animeinterp.sgm.descriptors import VGG19Features, VGGDescriptor
from footage import BUNNY, PIGS  # benchmarks/footage.py

STAGES = ("label_maps", "descriptors", "matching", "segment_flows")


def synthetic_pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frames = [np.full((540, 960, 3), (230, 225, 210), np.uint8) for _ in range(2)]
    for _ in range(60):
        colour = tuple(int(c) for c in rng.integers(30, 250, 3))
        x, y, r = int(rng.integers(40, 920)), int(rng.integers(40, 500)), int(rng.integers(8, 45))
        dx, dy = (int(v) for v in rng.integers(-25, 26, 2))
        for k, frame in enumerate(frames):
            centre = (x + k * dx, y + k * dy)
            if rng.random() < 0.5:
                cv2.circle(frame, centre, r, colour, -1)
                cv2.circle(frame, centre, r, (0, 0, 0), 2)
            else:
                cv2.rectangle(frame, (centre[0] - r, centre[1] - r // 2), (centre[0] + r, centre[1] + r // 2), colour, -1)
                cv2.rectangle(frame, (centre[0] - r, centre[1] - r // 2), (centre[0] + r, centre[1] + r // 2), (0, 0, 0), 2)
    return frames[0], frames[1]


def cartoon_pair() -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    im = Image.open(PIGS)
    out = []
    for i in (10, 12):
        im.seek(i)
        out.append(np.array(im.convert("RGB")))
    return out[0], out[1]


def bunny_pair() -> tuple[np.ndarray, np.ndarray]:
    import av

    with av.open(str(BUNNY)) as container:
        frames = [f.to_ndarray(format="rgb24") for f, _ in zip(container.decode(video=0), range(12))]
    return frames[0], frames[10]


def real_pairs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Frame pairs (i, i+2) of the real clips: six of the 1943 cartoon, two of Big Buck Bunny's one
    second and four of its first 30 s (titles, then motion inside shots)."""
    from PIL import Image

    from atdkit.video import open_video

    pairs = {}
    with Image.open(PIGS) as im:
        frames = []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append(np.array(im.convert("RGB")))
    for a in (0, 6, 10, 16, 22, 27):
        pairs[f"pigs {a}/{a + 2}"] = frames[a], frames[a + 2]
    for path, starts in ((BUNNY, (0, 12)), (BUNNY.with_name("big_buck_bunny_0_30.webm"), (120, 320, 450, 650))):
        with open_video(path) as video:
            for a in starts:
                pairs[f"{path.stem} {a}/{a + 2}"] = video[a], video[a + 2]
    return pairs


def he_init(model: VGG19Features) -> VGG19Features:
    """The model's convolutions re-drawn with He-normal weights and zero biases (activations keep their scale
    through the layers, as trained VGG weights roughly do; PyTorch's default init shrinks them)."""
    for layer in model.modules():
        if isinstance(layer, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            torch.nn.init.zeros_(layer.bias)
    return model


def flow_check() -> None:
    """bfloat16 against float32 on every real pair, with two random weight sets: are the flows equal?"""
    torch.manual_seed(0)
    default = VGG19Features().eval().requires_grad_(False)
    torch.manual_seed(1)
    he = he_init(VGG19Features()).eval().requires_grad_(False)
    pairs = real_pairs()
    changed = 0
    for wname, model in (("default init, seed 0", default), ("He init, seed 1", he)):
        sgms = {}
        for precision in ("float32", "bfloat16"):
            sgms[precision] = SGM(vgg=None, size=OFFICIAL_SIZE)
            sgms[precision].descriptor = VGGDescriptor(model, precision=precision)
        for name, pair in pairs.items():
            difference = flow_difference(sgms["float32"](*pair), sgms["bfloat16"](*pair))
            changed += difference != "flows equal"
            print(f"{wname:22} {name:34} {difference}", flush=True)
    print(f"bfloat16 flows differ from float32 on {changed} of {2 * len(pairs)} (pair, weights)")


def run(sgms: dict[str, SGM], pair, repeats: int, cpu: bool) -> tuple[dict[str, dict[str, float]], dict[str, SGMResult]]:
    """Each SGM on the pair, ``repeats`` times, interleaved → (median seconds per stage and in total, the last result)."""
    rows: dict[str, list[dict]] = {name: [] for name in sgms}
    last: dict[str, SGMResult] = {}
    for _ in range(repeats):
        for name, sgm in sgms.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            result = last[name] = sgm(*pair)
            row = dict(result.cpu_seconds if cpu else result.seconds)
            row["total"] = (time.process_time() - start_cpu) if cpu else (time.perf_counter() - start)
            row["segments"] = len(result.matched13)
            row["matched"] = int(result.matched13.sum() + result.matched31.sum())
            rows[name].append(row)
    return {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in rows.items()}, last


def flow_difference(a: SGMResult, b: SGMResult) -> str:
    """How b's flows differ from a's: 'equal', or segments given flow differently, pixels, largest difference."""
    if all(np.array_equal(x, y) for x, y in ((a.flow13, b.flow13), (a.flow31, b.flow31),
                                             (a.matched13, b.matched13), (a.matched31, b.matched31))):
        return "flows equal"
    segments = int((a.matched13 != b.matched13).sum() + (a.matched31 != b.matched31).sum())
    pixels = int((a.flow13 != b.flow13).any(0).sum() + (a.flow31 != b.flow31).any(0).sum())
    largest = max(float(np.abs(a.flow13 - b.flow13).max()), float(np.abs(a.flow31 - b.flow31).max()))
    share = pixels / (2 * a.flow13.shape[1] * a.flow13.shape[2])
    return (f"flows differ: {segments} segment(s) accepted differently, {pixels} px ({share:.2%}) changed, "
            f"up to {largest:.1f} px")


def vgg_forward_seconds(model: VGG19Features, dtype: torch.dtype, repeats: int, cpu: bool) -> tuple[float, float]:
    """Median (seconds, of them kernel CPU seconds) of the bare batched channels-last forward of two
    960×540 frames (≈ 250 GMAC) with the model and input in ``dtype``."""
    x = torch.rand(2, 3, 540, 960).to(dtype).contiguous(memory_format=torch.channels_last)
    times, kernel = [], []
    with torch.inference_mode():
        model(x)
        for _ in range(repeats):
            start, start_cpu, start_sys = time.perf_counter(), time.process_time(), os.times().system
            model(x)
            times.append((time.process_time() - start_cpu) if cpu else (time.perf_counter() - start))
            kernel.append(os.times().system - start_sys)
    return statistics.median(times), statistics.median(kernel)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--cpu-time", action="store_true",
                        help="report process CPU seconds instead of wall-clock (on a shared, loaded machine, "
                             "CPU seconds of a 1-thread run approximate the wall time on an idle core)")
    parser.add_argument("--flow-check", action="store_true",
                        help="instead of timing: compare bfloat16 with float32 flows on 12 real pairs, two weight sets")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    if args.flow_check:
        flow_check()
        return
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    clock = "process CPU seconds" if args.cpu_time else "wall-clock seconds"
    print(f"{args.threads} thread(s), CPU only, load average at start {load}; frames resized to 960×540; {clock}")
    torch.manual_seed(0)
    model = VGG19Features().eval().requires_grad_(False)
    before, after = "vgg19 float32 (default)", "vgg19 bfloat16 (opt-in)"
    descriptors = {before: VGGDescriptor(model), after: VGGDescriptor(model, precision="bfloat16"), "weight-free": None}
    pairs = {"synthetic cels": synthetic_pair(), "pigs_in_a_polka (cel)": cartoon_pair(),
             "big_buck_bunny (3-D)": bunny_pair()}
    header = f"{'footage':24} {'descriptor':25} " + " ".join(f"{s:>13}" for s in STAGES) + f" {'total s':>8} {'K':>5} {'matched':>7}"
    print(header)
    for name, pair in pairs.items():
        sgms = {}
        for dname, descriptor in descriptors.items():
            sgms[dname] = SGM(vgg=None, size=OFFICIAL_SIZE)
            if descriptor is not None:
                sgms[dname].descriptor = descriptor
        medians, last = run(sgms, pair, args.repeats, args.cpu_time)
        for dname, med in medians.items():
            print(f"{name:24} {dname:25} " + " ".join(f"{med[s]:13.2f}" for s in STAGES)
                  + f" {med['total']:8.2f} {int(med['segments']):5d} {int(med['matched']):7d}")
        b, a = medians[before], medians[after]
        print(f"{'':24} bfloat16/float32: descriptors {a['descriptors'] / b['descriptors']:.2f}×, "
              f"total {a['total'] / b['total']:.2f}×; {flow_difference(last[before], last[after])}")
    forward = {dtype: vgg_forward_seconds(d.model, d.dtype, args.repeats, args.cpu_time)
               for dtype, d in (("float32", descriptors[before]), ("bfloat16", descriptors[after]))}
    print("VGG-19 forward to relu4_1 alone, both 960×540 frames in one batch (the floor of the VGG path's "
          "descriptors): " + ", ".join(f"{k} {s:.2f} s (kernel {sys_s:.2f} s)" for k, (s, sys_s) in forward.items())
          + f"; bfloat16/float32 {forward['bfloat16'][0] / forward['float32'][0]:.2f}×")
    print("target: < 2 s per pair;  official scripts ≈ 209 s per pair (label maps 118 s, matching 55 s, "
          "per-segment flows 23 s) on this kind of machine")


if __name__ == "__main__":
    main()
