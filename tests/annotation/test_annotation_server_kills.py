"""The annotation server SIGKILLed between submissions (seeded moments), restarted, and the annotator
going on in the same browser: every judgement made is stored exactly once, none lost, none doubled."""

from __future__ import annotations

import os
import random
import signal
import shutil
import time

import pytest
from annotation_browser_harness import StreamlitServer, launch_chromium, wait_idle
from annotation_fixtures import build_root

from atdkit.labels import annotators
from atdkit.store.labels import latest_annotations, latest_votes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUBMISSIONS = 5


def _kill(server: StreamlitServer) -> None:
    os.killpg(server.proc.pid, signal.SIGKILL)  # the whole server: atdkit annotate and its Streamlit child
    server.proc.wait(timeout=20)
    server.log.close()


def _shown(page) -> str:
    return page.locator("strong", has_text="film0-").first.inner_text()


def _open(page, url: str, token: str) -> None:
    """Open the app; log in only when the session cookie did not carry over (it should)."""
    page.goto(url)
    accept = page.get_by_role("button", name="Accept & submit (A)").first
    login = page.get_by_label("Access token")
    deadline = time.time() + 30
    while time.time() < deadline and not accept.is_visible() and not login.is_visible():
        time.sleep(0.1)
    if login.is_visible():
        login.fill(token)
        page.keyboard.press("Enter")
    accept.wait_for(timeout=30000)
    wait_idle(page)


def _next_shown(page, before: str) -> str:
    deadline = time.time() + 30
    while time.time() < deadline:
        wait_idle(page)
        now = _shown(page)
        if now != before:
            return now
        time.sleep(0.1)
    raise AssertionError(f"the next triplet never replaced {before}")


@pytest.mark.parametrize("seed", [1, 2])
def test_server_killed_between_submissions_keeps_every_judgement_once(tmp_path, seed):
    from playwright.sync_api import sync_playwright

    if shutil.which("chromium") is None:
        pytest.skip("chromium is not on PATH (install it with `make browser`)")
    root = build_root(tmp_path / "root", n=SUBMISSIONS + 1, size=(960, 540), proposals=False)
    token = annotators.add(root, "ann1")
    kill_after = set(random.Random(seed).sample(range(1, SUBMISSIONS), 2))  # two kills per trial
    judged: list[str] = []
    server = StreamlitServer(root.path)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
                _open(page, server.url, token)
                for n in range(1, SUBMISSIONS + 1):
                    shown = _shown(page)
                    for key in ("w", "7"):  # rotation, sporting
                        page.keyboard.press(key)
                        wait_idle(page)
                    page.keyboard.press("a")
                    _next_shown(page, shown)  # stored: the app moved on
                    judged.append(shown)
                    if n in kill_after:
                        _kill(server)
                        server = StreamlitServer(root.path)
                        _open(page, server.url, token)
            finally:
                browser.close()
    finally:
        server.stop()
    votes = latest_votes(root)
    mine = votes[votes["annotator"] == "ann1"]
    assert sorted(mine["triplet_id"]) == sorted(judged) and len(set(judged)) == SUBMISSIONS
    assert mine["accept"].all()
    stored = root.votes.read()
    assert len(stored[stored["annotator"] == "ann1"]) == SUBMISSIONS  # each judgement written exactly once
    ann = latest_annotations(root).set_index("triplet_id").loc[judged]
    assert (ann["motion_type"] == "rotation").all() and (ann["behavior"] == "sporting").all()
