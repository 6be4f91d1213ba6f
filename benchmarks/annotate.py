"""Annotation app latency with 1 and with 8 annotators at once: submit → next triplet fully shown.

Real browser (Debian chromium via Playwright, one context per annotator, all driven at once
with Playwright's async API) against `atdkit annotate` on 127.0.0.1, frames 960×540 cut from
the Big Buck Bunny test clip. "Fully shown" = another triplet's id is on the page, frame1–3
and the player's stage image are decoded (``img.complete`` and ``naturalWidth > 0``), the
RoI canvas exists, and Streamlit's rerun has finished (no element of the previous triplet
is left).
Each annotator accepts triplets with an even number and rejects the others (labels and
reason picked by key before the clock starts), so two judgements settle every triplet. Each configuration
gets a fresh server and root, one after the other in the same run.

    .venv/bin/python benchmarks/annotate.py [--n 20] [--annotators 1 8]

Targets: p95 ≤ 300 ms with one annotator, ≤ 1 s with eight (2-core machine).

``--data-work`` times instead, without a browser, the label and queue work of one task-view
rerun on a root holding 8 annotators' 400 judgements, with another judgement stored before
each rerun (as when 8 people work): reading the label parts and deriving the latest votes,
progress, renewing the lease, choosing the triplet to prefetch. Run it with PYTHONPATH set to
another checkout to compare that checkout's code on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "annotation"))

from annotation_browser_harness import CHROMIUM_ARGS, IDLE_JS, StreamlitServer  # noqa: E402

from atdkit.labels import annotators  # noqa: E402
from footage import BUNNY  # noqa: E402  (benchmarks/footage.py)
from atdkit.store.dataset import DatasetRoot  # noqa: E402
from atdkit.store.frames import write_png  # noqa: E402

CLIP = BUNNY
SIZE = (960, 540)
THINK_S = 0.5  # pause before each submission (a person looks for seconds; prefetching happens meanwhile)

# Clicks the submit button and times, inside the page (performance.now, one sample per
# animation frame), until another triplet is fully shown; resolves to [ms until its id
# appears, ms until fully shown].
SUBMIT_AND_TIME_JS = """([button, current]) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  [...document.querySelectorAll('button')].find(b => b.textContent.startsWith(button)).click();
  const other = () => [...document.querySelectorAll('strong')]
      .some(e => e.textContent.startsWith('bbb-') && e.textContent !== current);
  const done = () => [...document.querySelectorAll('[data-testid="stAlert"]')]
      .some(e => e.textContent.includes('Nothing left'));
  function shown() {
    if (done()) return true;
    if (!other() || document.querySelector('[data-testid="stStatusWidget"]') ||
        document.querySelector('[data-stale="true"]')) return false;
    const imgs = [...document.querySelectorAll('[data-testid="stImage"] img, .atdkit-stage-img')];
    // the canvas component renders in a shadow root
    const canvases = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
      .flatMap(e => e.shadowRoot ? [...e.shadowRoot.querySelectorAll('canvas')] : []);
    return imgs.length >= 4 && imgs.every(i => i.complete && i.naturalWidth > 0) &&
           canvases.some(c => c.width > 0);
  }
  let first = null;  // another triplet's id on the page (the rerun's first output arrived)
  (function tick() {
    const ms = performance.now() - t0;
    if (first === null && other()) first = ms;
    if (shown()) resolve([first === null ? ms : first, ms, done()]);
    else if (ms > 60000) reject(new Error('no next triplet 60 s after submitting ' + current));
    else requestAnimationFrame(tick);
  })();
})"""


def build_root(path: Path, n_triplets: int) -> list[str]:
    """A dataset root with ``n_triplets`` consecutive-frame triplets of the clip at 960×540."""
    root = DatasetRoot.create(path, name="bench-annotate")
    with av.open(str(CLIP)) as c:
        frames = [cv2.resize(f.to_ndarray(format="rgb24"), SIZE, interpolation=cv2.INTER_AREA)
                  for f in c.decode(video=0)]
    starts = len(frames) - 2
    if n_triplets > 4 * starts:
        raise SystemExit(f"error: {CLIP} has {len(frames)} frames: at most {4 * starts} distinct triplets")
    rows = []
    for i in range(n_triplets):
        tid = f"bbb-{i:04d}"
        # the 1-second clip has 22 triplets; flips make 4 variants with distinct bytes (no browser cache hits)
        flip = (None, 1, 0, -1)[i // starts]
        for k in range(3):
            img = frames[i % starts + k]
            write_png(root.frames_dir(tid) / f"frame{k + 1}.png", img if flip is None else cv2.flip(img, flip))
        rows.append({"triplet_id": tid, "film_id": "bbb", "f1": i, "f2": i + 1, "f3": i + 2, "stride": 1,
                     "width": SIZE[0], "height": SIZE[1], "auto_difficulty": "medium", "source": "mined"})
    root.triplet_parts.append(pd.DataFrame(rows), name="bbb")
    root.materialize()
    return [r["triplet_id"] for r in rows]


async def _idle(page, settle: float = 0.15) -> None:
    await asyncio.sleep(settle)
    await page.wait_for_function(IDLE_JS, timeout=60000)


async def _annotate(browser, url: str, token: str, n: int, times: list, failures: list) -> None:
    """One annotator: log in, then ``n + 2`` submissions (the first two are warm-up)."""
    page = await (await browser.new_context(viewport={"width": 1500, "height": 1300})).new_page()
    await page.goto(url)
    await page.get_by_label("Access token").fill(token)
    await page.keyboard.press("Enter")
    await page.get_by_role("button", name="Skip (S)").wait_for(timeout=60000)
    await _idle(page)
    for i in range(n + 2):
        if await page.get_by_text("Nothing left for you").count():  # the others took the rest
            break
        current = await page.locator("strong", has_text="bbb-").first.inner_text()
        accept = int(current.split("-")[1]) % 2 == 0
        for key in ("q", "4") if accept else ("z",):  # translation, speaking / scene cut
            await page.keyboard.press(key)
            await _idle(page)
        await asyncio.sleep(THINK_S)
        try:
            first, full, finished = await page.evaluate(
                SUBMIT_AND_TIME_JS, ["Accept & submit" if accept else "Reject & submit", current])
        except Exception as exc:  # noted and printed; this annotator stops
            alerts = await page.locator('[data-testid="stAlert"]').all_inner_texts()
            failures.append(f"{current}: {str(exc).splitlines()[0]}; page says {alerts}")
            return
        if i >= 2:
            times.append((first / 1000, full / 1000))
        if finished:
            break
        await _idle(page)


async def _measure(root_path: Path, n: int, n_annotators: int) -> list[tuple[float, float]]:
    from playwright.async_api import async_playwright

    root = DatasetRoot.open(root_path)
    tokens = [annotators.add(root, f"bench{k}") for k in range(n_annotators)]
    server = StreamlitServer(root_path)
    times: list[tuple[float, float]] = []
    failures: list[str] = []
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            try:
                await asyncio.gather(*(_annotate(browser, server.url, t, n, times, failures) for t in tokens))
            finally:
                await browser.close()
    finally:
        server.stop()
    for f in failures:
        print(f"{n_annotators} annotators: submission not completed: {f}", file=sys.stderr)
    return times


def measure(root_path: Path, n: int, n_annotators: int) -> list[tuple[float, float]]:
    return asyncio.run(_measure(root_path, n, n_annotators))


def data_work(n_reruns: int = 40) -> list[float]:
    """Seconds of label and queue work per task-view rerun (see the module docstring)."""
    from atdkit.labels import judgements
    from atdkit.labels.judgements import Box, Judgement
    from atdkit.labels.queue import Queue
    from atdkit.store.labels import LabelsCache
    from annotation_fixtures import build_root as small_root

    def judge(root, tid, who, accept):
        judgements.write(root, Judgement(tid, who, accept, reason=None if accept else "scene cut",
                                         roi=Box(1, 1, 10, 10) if accept else None,
                                         labels={"difficulty": "easy", "motion_type": "translation",
                                                 "behavior": "speaking"} if accept else {}))

    with tempfile.TemporaryDirectory() as tmp:
        root = small_root(Path(tmp) / "root", n=200 + n_reruns, size=(32, 24))
        tids = list(root.triplets()["triplet_id"])
        for i in range(400):  # 8 annotators, 50 judgements each, two per triplet
            judge(root, tids[i // 2], f"bench{i % 8}", i % 3 != 0)
        labels = LabelsCache(root)
        queue = Queue(root, tids, labels)
        shown = queue.next_for("me")
        times = []
        for i in range(n_reruns):
            judge(root, tids[200 + i], f"other{i % 8}", False)
            t0 = time.perf_counter()
            labels.votes(humans_only=True)
            labels.annotations()
            queue.progress("me")
            queue.hold("me", shown)
            queue.peek_for("me", {shown})
            times.append(time.perf_counter() - t0)
    return times


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="timed submissions per annotator")
    parser.add_argument("--annotators", type=int, nargs="+", default=[1, 8], help="annotators at once, per config")
    parser.add_argument("--data-work", action="store_true", help="time the label/queue work of one rerun only")
    args = parser.parse_args()
    if args.data_work:
        t = data_work()
        import atdkit
        print(f"label and queue work per task-view rerun (atdkit from {Path(atdkit.__file__).parent.parent}), "
              f"400 judgements stored, {len(t)} reruns: p50 {pct(t, 50):.1f} ms, p95 {pct(t, 95):.1f} ms; "
              f"load average {os.getloadavg()[0]:.1f}")
        return
    if shutil.which("chromium") is None:
        sys.exit("error: chromium is not on PATH (make browser)")
    results = {}
    for k in args.annotators:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "root"
            # two judgements settle a triplet; nobody judges one twice
            build_root(root, max(args.n + 2, k * (args.n + 2) // 2) + 4)
            results[k] = measure(root, args.n, k)
    load = os.getloadavg()
    print(f"submit → next triplet fully shown, real browser (chromium), {SIZE[0]}×{SIZE[1]} frames, "
          f"{args.n} timed submissions per annotator; {os.cpu_count()} CPUs, load average "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")
    print(f"{'annotators':>10} {'n':>5} {'id p50':>8} {'full p50':>9} {'full p95':>9}   (ms)")
    full = {}
    for k, t in results.items():
        first, full[k] = [a for a, _ in t], [b for _, b in t]
        print(f"{k:>10} {len(t):>5} {pct(first, 50):8.0f} {pct(full[k], 50):9.0f} {pct(full[k], 95):9.0f}")
    if 1 in full and 8 in full:
        print(f"ratio 8 / 1 annotators (fully shown): p50 {pct(full[8], 50) / pct(full[1], 50):.2f}×, "
              f"p95 {pct(full[8], 95) / pct(full[1], 95):.2f}×")
    for k, target in ((1, 300), (8, 1000)):
        if k in full:
            print(f"target p95 ≤ {target} ms with {k}: {'met' if pct(full[k], 95) <= target else 'NOT met'}")


if __name__ == "__main__":
    main()
