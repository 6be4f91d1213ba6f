"""Annotation app latency: from submitting a judgement to the next triplet fully shown.

Real browser (Debian chromium via Playwright) against `atdkit annotate` on 127.0.0.1,
frames 960×540 cut from the Big Buck Bunny test clip. "Fully shown" = the next triplet's
id is on the page, frame1–3 and the flipbook are decoded (``img.complete`` and
``naturalWidth > 0``), the RoI canvas exists, and Streamlit's rerun has finished (no
element of the previous triplet is left on the page).
Two server configurations in one run: next triplet's images prefetched (the default)
and not prefetched (``ATDKIT_APP_PREFETCH=0``). Submissions alternate reject and accept
(the labels for an accept are picked before the clock starts).

    .venv/bin/python benchmarks/annotate.py [--n 30]

Target: p95 ≤ 300 ms with prefetch.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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

from annotation_browser_harness import StreamlitServer, launch_chromium, wait_idle  # noqa: E402

from atdkit.labels import annotators  # noqa: E402
from footage import BUNNY  # noqa: E402  (benchmarks/footage.py)
from atdkit.store.dataset import DatasetRoot  # noqa: E402
from atdkit.store.frames import write_png  # noqa: E402

CLIP = BUNNY
SIZE = (960, 540)
THINK_S = 0.5  # pause before each submission (a person looks for seconds; prefetching happens meanwhile)

# Clicks the submit button and times, inside the page (performance.now, one sample per
# animation frame), until the next triplet is fully shown; resolves to [ms until its id
# appears, ms until fully shown].
SUBMIT_AND_TIME_JS = """([button, tid]) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  [...document.querySelectorAll('button')].find(b => b.textContent.startsWith(button)).click();
  function shown() {
    const strong = [...document.querySelectorAll('strong')].some(e => e.textContent === tid);
    if (!strong || document.querySelector('[data-testid="stStatusWidget"]') ||
        document.querySelector('[data-stale="true"]')) return false;
    const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')];
    // the canvas component renders in a shadow root
    const canvases = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
      .flatMap(e => e.shadowRoot ? [...e.shadowRoot.querySelectorAll('canvas')] : []);
    return imgs.length >= 4 && imgs.every(i => i.complete && i.naturalWidth > 0) &&
           canvases.some(c => c.width > 0);
  }
  let first = null;  // the new triplet's id on the page (the rerun's first output arrived)
  (function tick() {
    const ms = performance.now() - t0;
    if (first === null && [...document.querySelectorAll('strong')].some(e => e.textContent === tid)) first = ms;
    if (shown()) resolve([first, ms]);
    else if (ms > 30000) reject(new Error(tid + ' not shown after 30 s'));
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


def measure(root_path: Path, n: int, prefetch: bool) -> list[float]:
    from playwright.sync_api import sync_playwright

    token = annotators.add(DatasetRoot.open(root_path), f"bench{int(prefetch)}")
    os.environ["ATDKIT_APP_PREFETCH"] = "1" if prefetch else "0"
    server = StreamlitServer(root_path)
    times = []
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_context(viewport={"width": 1500, "height": 1300}).new_page()
            page.goto(server.url)
            page.get_by_label("Access token").fill(token)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("button", name="Accept & submit (A)").wait_for(timeout=30000)
            wait_idle(page)
            for i in range(n + 2):  # the first two are warm-up
                current = page.locator("strong", has_text="bbb-").first.inner_text()
                following = f"bbb-{int(current.split('-')[1]) + 1:04d}"
                accept = i % 2 == 1
                if accept:
                    wait_idle(page)
                    for label in ("translation", "walking"):
                        page.get_by_text(label, exact=True).click()
                        wait_idle(page)
                wait_idle(page)
                time.sleep(THINK_S)
                try:
                    first, full = page.evaluate(SUBMIT_AND_TIME_JS,
                                                ["Accept & submit" if accept else "Reject & submit", following])
                except Exception as exc:
                    state = page.evaluate("""() => ({txt: [...document.querySelectorAll('strong, [data-testid=stAlert]')].map(e => e.textContent),
                      status: !!document.querySelector('[data-testid="stStatusWidget"]'),
                      stale: [...document.querySelectorAll('[data-stale="true"]')].map(e => e.textContent.slice(0, 60)),
                      imgs: [...document.querySelectorAll('[data-testid="stImage"] img')].map(i => [i.complete, i.naturalWidth]),
                      canv: [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')].map(e => e.shadowRoot ? e.shadowRoot.querySelectorAll('canvas').length : -1)})""")
                    raise RuntimeError(f"after submitting {current} (prefetch={prefetch}): {exc}; page: {state}")
                if i >= 2:
                    times.append((first / 1000, full / 1000))
                wait_idle(page)
            browser.close()
    finally:
        server.stop()
    return times


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="timed submissions per configuration")
    args = parser.parse_args()
    if shutil.which("chromium") is None:
        sys.exit("error: chromium is not on PATH (make browser)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        build_root(root, 2 * (args.n + 3))
        results = {name: measure(root, args.n, prefetch) for name, prefetch in (("prefetched", True),
                                                                                  ("no prefetch", False))}
    load = os.getloadavg()
    print(f"submit → next triplet shown, real browser (chromium), {SIZE[0]}×{SIZE[1]} frames, n={args.n} each; "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")
    print(f"{'config':<12} {'id p50':>8} {'full p50':>9} {'full p95':>9} {'full mean':>10}   (ms)")
    full = {}
    for name, t in results.items():
        first, full[name] = [a for a, _ in t], [b for _, b in t]
        print(f"{name:<12} {pct(first, 50):8.0f} {pct(full[name], 50):9.0f} {pct(full[name], 95):9.0f} "
              f"{statistics.mean(full[name]) * 1000:10.0f}")
    a, b = full["prefetched"], full["no prefetch"]
    print(f"ratio no-prefetch / prefetched (fully shown): p50 {pct(b, 50) / pct(a, 50):.2f}×, "
          f"p95 {pct(b, 95) / pct(a, 95):.2f}×")
    print(f"target p95 ≤ 300 ms (prefetched, fully shown): {'met' if pct(a, 95) <= 300 else 'NOT met'}")

if __name__ == "__main__":
    main()
