"""Several annotators at once in Debian's chromium (one browser, a context each, loopback):
every stored judgement names the triplet that was on that annotator's screen when the key
was pressed, and none is lost (a refused one says so on the page and stores nothing)."""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter

import pytest

from annotation_browser_harness import StreamlitServer, launch_chromium, wait_idle
from annotation_fixtures import build_root
from atdkit.labels import annotators

pytestmark = pytest.mark.browser

N_ANNOTATORS = 4
N_TRIPLETS = 8
MAX_ROUNDS = 14  # bounded: 16 judgements plus thirds need about 6 rounds of 4 presses


def _shown(page) -> str | None:
    """The triplet id on the page, or None when nothing is left for this annotator."""
    if page.get_by_text("Nothing left for you").count():
        return None
    return page.locator("strong", has_text="film0-").first.inner_text()


def _accepts(name: str, tid: str) -> bool:
    return int(hashlib.sha256(f"{name}/{tid}".encode()).hexdigest(), 16) % 3 != 0


def test_annotators_at_once_judge_what_their_screen_shows(tmp_path):
    from playwright.sync_api import sync_playwright

    if shutil.which("chromium") is None:
        pytest.skip("chromium is not on PATH (install it with `make browser`)")
    root = build_root(tmp_path / "root", n=N_TRIPLETS, size=(320, 180))
    names = [f"ann{i}" for i in range(N_ANNOTATORS)]
    tokens = {n: annotators.add(root, n) for n in names}
    srv = StreamlitServer(root.path)
    presses: list[tuple[str, str]] = []     # (annotator, triplet on screen) at each submit key
    refused: list[tuple[str, str]] = []
    last: dict[str, tuple[str, str]] = {}
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                pages = {}
                for n in names:
                    page = browser.new_context(viewport={"width": 1400, "height": 1200}).new_page()
                    page.goto(srv.url)
                    page.get_by_label("Access token").fill(tokens[n])
                    page.keyboard.press("Enter")
                    page.get_by_role("button", name="Skip (S)").wait_for(timeout=30000)
                    pages[n] = page
                for _ in range(MAX_ROUNDS):
                    active = 0
                    for n, page in pages.items():
                        wait_idle(page)
                        if page.get_by_text("Not saved").count():     # this annotator's last press was refused
                            refused.append(last[n])
                        tid = _shown(page)
                        if tid is None:
                            continue
                        active += 1
                        accept = _accepts(n, tid)
                        for key in (("q", "4") if accept else ("z",)):  # label keys: reruns of this page
                            page.keyboard.press(key)
                            wait_idle(page)
                        tid = _shown(page)                              # what the screen shows now
                        presses.append((n, tid))
                        last[n] = (n, tid)
                        page.keyboard.press("a" if accept else "x")      # no wait: the next page goes on
                    if not active:
                        break
                for n, page in pages.items():
                    wait_idle(page)
                    if page.get_by_text("Not saved").count():
                        refused.append(last[n])
                assert all(_shown(page) is None for page in pages.values()), "not finished in the bounded rounds"
            finally:
                browser.close()
    finally:
        srv.stop()
    votes = root.votes.read()
    stored = Counter(zip(votes["annotator"], votes["triplet_id"]))
    pressed = Counter(presses)
    assert not refused, refused  # with working leases no judgement is refused in this scenario
    assert stored == pressed     # each judgement stored is one pressed on that very triplet; none lost
    assert len(presses) >= 2 * N_TRIPLETS
