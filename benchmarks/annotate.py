"""Annotation app latency with 1 and with 8 annotators at once: submit → next triplet fully shown.

Real browser (Debian chromium via Playwright, one context per annotator, all driven at once
with Playwright's async API) against `atdkit annotate` on 127.0.0.1, frames 960×540 cut from
the Big Buck Bunny test clip. "Fully shown" = another triplet's id is on the page, frame1–3
the player's stage image and the RoI's frame2 are decoded (``img.complete`` and
``naturalWidth > 0``), and Streamlit's rerun has finished (no element of the previous triplet
is left).
Each annotator accepts triplets with an even number and rejects the others (labels and
reason picked by key before the clock starts, then ``--think`` seconds of looking), so two
judgements settle every triplet. Each configuration gets a fresh server and root, one after
the other in the same run; the clock starts once every annotator has logged in.

    python benchmarks/annotate.py                          # 1 and 8 annotators, this checkout
    python benchmarks/annotate.py --compare ../other       # the same, alternating with another checkout's app

Where the time goes is printed beside the latencies: CPU seconds per submission of the
server (``atdkit annotate`` and its Streamlit child), the browsers (chromium), Playwright's
driver and the rest of the machine (other jobs), from /proc; the load average before and
after each configuration; and, when the app supports ``ATDKIT_APP_TIMINGS``, its script runs
per submission by kind (the whole page; apps before the task panel also ran fragments) with their wall and
CPU time. A submission whose next triplet is not fully shown within 30 s is reported with
what was still missing on the page, what the page said, and whether its judgement was stored.

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
import json
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
from atdkit.store.labels import latest_votes  # noqa: E402

CLIP = BUNNY
SIZE = (960, 540)
TIMEOUT_S = 30  # a submission not shown after this long is reported with its cause

# Clicks the submit button and times, inside the page (performance.now, one sample per
# animation frame), until another triplet is fully shown; resolves to {first: ms until its id
# appears, full: ms until fully shown, done: nothing left} or, after TIMEOUT_MS, to
# {timeout: what was still missing} (what the page showed, so that the cause is reported).
SUBMIT_AND_TIME_JS = """([button, current, timeoutMs]) => new Promise(resolve => {
  const t0 = performance.now();
  const target = [...document.querySelectorAll('button')].find(b => b.textContent.startsWith(button));
  if (!target) { resolve({timeout: 'no button ' + button + ' on the page'}); return; }
  const buttonWasStale = !!target.closest('[data-stale="true"]');
  target.click();
  const other = () => [...document.querySelectorAll('strong')]
      .some(e => e.textContent.startsWith('bbb-') && e.textContent !== current);
  const done = () => [...document.querySelectorAll('[data-testid="stAlert"], .atdkit-done')]
      .some(e => e.textContent.includes('Nothing left'));
  const images = () => [...document.querySelectorAll(
      '.atdkit-frames img, [data-testid="stImage"] img, .atdkit-stage-img, [data-testid="atdkit-roi"] img')];
  // the task panel (frames, RoI, player), or (apps before it, for --compare) Streamlit images with
  // the RoI component or, before that, the drawing canvas
  const roi = () => !!document.querySelector('[data-testid="atdkit-roi"] img') ||
      [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
        .some(e => e.shadowRoot && [...e.shadowRoot.querySelectorAll('canvas')].some(c => c.width > 0));
  function missing() {
    if (done()) return [];
    const out = [];
    if (!other()) out.push('no other triplet id on the page');
    if (document.querySelector('[data-testid="stStatusWidget"]')) out.push('rerun still running');
    if (document.querySelector('[data-stale="true"]')) out.push('stale elements left');
    if (document.querySelector('[data-testid="atdkit-task"][data-state="saving"]')) out.push('panel still saving');
    const imgs = images();
    if (imgs.length < 4) out.push(imgs.length + ' of 4 images');
    imgs.filter(i => !(i.complete && i.naturalWidth > 0))
        .forEach(i => out.push('image not decoded: ' + (i.src || '(no src)').slice(-60)));
    if (!roi()) out.push('no RoI shown');
    return out;
  }
  let first = null;  // another triplet's id on the page (the rerun's first output arrived)
  (function tick() {
    const ms = performance.now() - t0;
    if (first === null && other()) first = ms;
    const left = missing();
    if (!left.length) resolve({first: first === null ? ms : first, full: ms, done: done()});
    else if (ms > timeoutMs) {
      const alerts = [...document.querySelectorAll('[data-testid="stAlert"]')].map(e => e.innerText.trim());
      resolve({timeout: left.join('; ') + (buttonWasStale ? '; the button clicked was stale' : '') +
               (alerts.length ? '; page says ' + JSON.stringify(alerts) : '; no message on the page')});
    } else requestAnimationFrame(tick);
  })();
})"""


def build_root(path: Path, n_triplets: int) -> list[str]:
    """A dataset root with ``n_triplets`` consecutive-frame triplets of the clip at 960×540."""
    root = DatasetRoot.create(path, name="bench-annotate")
    with av.open(str(CLIP)) as c:
        frames = [cv2.resize(f.to_ndarray(format="rgb24"), SIZE, interpolation=cv2.INTER_AREA)
                  for f in c.decode(video=0)]
    starts = len(frames) - 2
    # the 1-second clip has 22 triplets; flips and a colour-channel swap make 8 variants with
    # distinct bytes (no browser cache hits)
    variants = [(flip, swap) for swap in (False, True) for flip in (None, 1, 0, -1)]
    if n_triplets > len(variants) * starts:
        raise SystemExit(f"error: {CLIP} has {len(frames)} frames: at most {len(variants) * starts} "
                         "distinct triplets")
    rows = []
    for i in range(n_triplets):
        tid = f"bbb-{i:04d}"
        flip, swap = variants[i // starts]
        for k in range(3):
            img = frames[i % starts + k]
            img = img if flip is None else cv2.flip(img, flip)
            write_png(root.frames_dir(tid) / f"frame{k + 1}.png", img[..., ::-1] if swap else img)
        rows.append({"triplet_id": tid, "film_id": "bbb", "f1": i, "f2": i + 1, "f3": i + 2, "stride": 1,
                     "width": SIZE[0], "height": SIZE[1], "auto_difficulty": "medium", "source": "mined"})
    root.triplet_parts.append(pd.DataFrame(rows), name="bbb")
    root.materialize()
    return [r["triplet_id"] for r in rows]


# ---- CPU time per process group (Linux /proc), to say where the time goes ------------------------
_TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid → (parent pid, command name, CPU seconds so far) of every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(d)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / _TICK)
    return out


def _machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy (all cores) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / _TICK  # minus idle and iowait


def cpu_by_group(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server (``atdkit annotate`` and its Streamlit child), the
    browsers (chromium processes started by this benchmark), Playwright's driver, this Python
    process, and the whole machine."""
    procs = _processes()

    def tree(pid: int) -> set[int]:
        found, todo = set(), [pid]
        while todo:
            p = todo.pop()
            found.add(p)
            todo += [c for c, (pp, _, _) in procs.items() if pp == p and c not in found]
        return found

    server = tree(server_pid)
    ours = tree(os.getpid()) - server - {os.getpid()}
    browser = {p for p in ours if "chrom" in procs[p][1].lower()}
    return {"server": sum(procs[p][2] for p in server if p in procs),
            "browsers": sum(procs[p][2] for p in browser),
            "driver": sum(procs[p][2] for p in ours - browser),
            "benchmark": procs[os.getpid()][2] if os.getpid() in procs else 0.0,
            "machine": _machine_busy_s()}


class Run:
    """One configuration's results: (id shown, fully shown) seconds per timed submission, the
    submissions that never completed (with their cause), CPU seconds per process group while the
    annotators worked, wall time, load averages before and after, and the server's own per-rerun
    script timings (when the app supports ``ATDKIT_APP_TIMINGS``)."""

    def __init__(self):
        self.times: list[tuple[float, float]] = []
        self.failures: list[str] = []  # "triplet: cause; stored or not"
        self.submissions = 0  # warm-up ones included (the CPU times cover them)
        self.cpu: dict[str, float] = {}
        self.wall = 0.0
        self.load = (os.getloadavg()[0], 0.0)
        self.reruns: list[dict] = []


# IDLE_JS, and for apps before the task panel (--compare) their keyboard script installed
PAGE_IDLE_JS = IDLE_JS.replace("() =>", "() => (!document.querySelector('.st-key-edit') || !!window.__atdkitKeys) &&", 1)


async def _idle(page, settle: float = 0.15) -> None:
    await asyncio.sleep(settle)
    # polled every 50 ms, not on every animation frame: requestAnimationFrame polling would make
    # each of the 8 idle pages render 60 frames a second, CPU the browsers need for the timed work
    await page.wait_for_function(PAGE_IDLE_JS, polling=50, timeout=60000)


async def _annotate(browser, url: str, token: str, n: int, think: float, run: Run, ready: asyncio.Event,
                    logged_in: list) -> None:
    """One annotator: log in, wait for the others, then ``n + 2`` submissions (the first two are warm-up)."""
    page = await (await browser.new_context(viewport={"width": 1500, "height": 1300})).new_page()
    await page.goto(url)
    await page.get_by_label("Access token").fill(token)
    await page.keyboard.press("Enter")
    await page.get_by_role("button", name="Skip (S)").wait_for(timeout=120000)
    await _idle(page)
    logged_in.append(token)
    await ready.wait()
    for i in range(n + 2):
        if await page.get_by_text("Nothing left for you").count():  # the others took the rest
            break
        current = await page.locator("strong", has_text="bbb-").first.inner_text()
        accept = int(current.split("-")[1]) % 2 == 0
        for key in ("q", "4") if accept else ("z",):  # translation, speaking / scene cut
            await page.keyboard.press(key)
            await _idle(page)
        await asyncio.sleep(think)
        r = await page.evaluate(SUBMIT_AND_TIME_JS, ["Accept & submit" if accept else "Reject & submit",
                                                     current, TIMEOUT_S * 1000])
        run.submissions += 1
        if "timeout" in r:  # noted with what was missing (and whether it was stored); this annotator stops
            run.failures.append((current, token, f"nothing shown {TIMEOUT_S} s after submitting: {r['timeout']}"))
            return
        if i >= 2:
            run.times.append((r["first"] / 1000, r["full"] / 1000))
        if r["done"]:
            break
        await _idle(page)


async def _measure(root_path: Path, n: int, n_annotators: int, think: float, checkout: Path | None) -> Run:
    from playwright.async_api import async_playwright

    root = DatasetRoot.open(root_path)
    tokens = [annotators.add(root, f"bench{k}") for k in range(n_annotators)]
    timings = root_path.parent / "reruns.jsonl"
    server = StreamlitServer(root_path, checkout=checkout, env={"ATDKIT_APP_TIMINGS": str(timings)})
    run = Run()
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            try:
                ready, logged_in = asyncio.Event(), []
                tasks = [asyncio.create_task(_annotate(browser, server.url, t, n, think, run, ready, logged_in))
                         for t in tokens]
                while len(logged_in) < len(tokens) and not any(t.done() for t in tasks):
                    await asyncio.sleep(0.2)
                start, t0 = cpu_by_group(server.proc.pid), time.perf_counter()
                timings.unlink(missing_ok=True)  # logins are not timed
                ready.set()
                await asyncio.gather(*tasks)
                end, run.wall = cpu_by_group(server.proc.pid), time.perf_counter() - t0
                run.cpu = {k: end[k] - start[k] for k in end}
            finally:
                await browser.close()
    finally:
        server.stop()
    run.load = (run.load[0], os.getloadavg()[0])
    names = {t: f"bench{k}" for k, t in enumerate(tokens)}
    votes = latest_votes(root)
    stored = set(zip(votes["triplet_id"], votes["annotator"])) if len(votes) else set()
    run.failures = [f"{tid}: {cause}; the judgement was {'stored' if (tid, names[t]) in stored else 'NOT stored'}"
                    for tid, t, cause in run.failures]
    log = (root_path.parent / "streamlit.log").read_text(errors="replace").splitlines()
    errors = [line for line in log if "Traceback" in line or "Error" in line or "Exception" in line]
    if errors:  # what the server said went wrong, whether or not a submission failed
        run.failures.append(f"the server's log has {len(errors)} error line(s), the last: {errors[-1][:300]}")
    if timings.is_file():
        run.reruns = [json.loads(line) for line in timings.read_text().splitlines() if line.strip()]
    return run


def measure(root_path: Path, n: int, n_annotators: int, think: float = 0.5, checkout: Path | None = None) -> Run:
    return asyncio.run(_measure(root_path, n, n_annotators, think, checkout))


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


def _report(label: str, k: int, run: Run) -> None:
    full = [b for _, b in run.times]
    first = [a for a, _ in run.times]
    cells = (f"{pct(first, 50):8.0f} {pct(full, 50):9.0f} {pct(full, 95):9.0f}" if full
             else f"{'-':>8} {'-':>9} {'-':>9}")
    subs = max(run.submissions, 1)
    c = run.cpu
    others = c["machine"] - c["server"] - c["browsers"] - c["driver"] - c["benchmark"]
    print(f"{label:>7} {k:>10} {len(full):>5} {len(run.failures):>6} {cells}   "
          f"{1000 * c['server'] / subs:7.0f} {1000 * c['browsers'] / subs:8.0f} {1000 * c['driver'] / subs:7.0f} "
          f"{1000 * others / subs:7.0f}   {run.load[0]:5.1f}→{run.load[1]:<5.1f}")


def _report_reruns(label: str, k: int, run: Run) -> None:
    """The server's script runs (whole page or a fragment) per submission, from ATDKIT_APP_TIMINGS."""
    if not run.reruns:
        return
    subs = max(run.submissions, 1)
    for kind in sorted({r["kind"] for r in run.reruns}):
        rs = [r for r in run.reruns if r["kind"] == kind]
        wall = [r["wall_ms"] / 1000 for r in rs]
        print(f"  {label} {k} annotators, server script runs of kind {kind!r}: {len(rs) / subs:.1f} per submission, "
              f"wall p50 {pct(wall, 50):.0f} ms p95 {pct(wall, 95):.0f} ms, "
              f"CPU {sum(r['cpu_ms'] for r in rs) / subs:.0f} ms per submission")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12, help="timed submissions per annotator")
    parser.add_argument("--annotators", type=int, nargs="+", default=[1, 8], help="annotators at once, per config")
    parser.add_argument("--think", type=float, default=0.5,
                        help="seconds each annotator looks at a triplet after picking its labels (default 0.5)")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT",
                        help="also measure the app of another source checkout ('before'), alternating with this one")
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
    codes = [("before", args.compare.resolve()), ("after", None)] if args.compare else [("this", None)]
    results = []
    for k in args.annotators:
        for label, checkout in codes:
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "root"
                # two judgements settle a triplet; nobody judges one twice
                build_root(root, max(args.n + 2, k * (args.n + 2) // 2) + 4)
                results.append((label, k, measure(root, args.n, k, args.think, checkout)))
    print(f"submit → next triplet fully shown, real browser (chromium), {SIZE[0]}×{SIZE[1]} frames, "
          f"{args.n} timed submissions per annotator, {args.think:g} s looking before each; {os.cpu_count()} CPUs" +
          (f"; before = {args.compare}, after = {REPO}" if args.compare else ""))
    print("times in ms; CPU ms per submission (label keys and warm-up included) of the server, the browsers, "
          "Playwright's driver and everything else on the machine; load average (1 min) before→after")
    print(f"{'code':>7} {'annotators':>10} {'n':>5} {'failed':>6} {'id p50':>8} {'full p50':>9} {'full p95':>9}   "
          f"{'server':>7} {'browsers':>8} {'driver':>7} {'others':>7}   load")
    for label, k, run in results:
        _report(label, k, run)
    for label, k, run in results:
        _report_reruns(label, k, run)
        for f in run.failures:
            print(f"  {label} {k} annotators: submission not completed: {f}")
    full = {(label, k): [b for _, b in run.times] for label, k, run in results}
    if args.compare:
        for k in args.annotators:
            b, a = full.get(("before", k)), full.get(("after", k))
            if b and a:
                print(f"after / before, {k} annotator(s), fully shown: p50 {pct(a, 50) / pct(b, 50):.2f}×, "
                      f"p95 {pct(a, 95) / pct(b, 95):.2f}×")
    mine = "after" if args.compare else "this"
    for k, target in ((1, 300), (8, 1000)):
        if full.get((mine, k)):
            p95 = pct(full[(mine, k)], 95)
            print(f"target p95 ≤ {target} ms with {k}: {'met' if p95 <= target else 'NOT met'} ({p95:.0f} ms)")


if __name__ == "__main__":
    main()
