"""Driving the app in Debian's chromium: `atdkit annotate` on a free port of 127.0.0.1, plus
helpers to wait for Streamlit reruns. Used by the browser test and benchmarks/annotate.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`atdkit annotate ROOT` as a subprocess on a free port of 127.0.0.1; ``checkout``: run the
    atdkit of another source checkout (benchmarks compare two), ``env``: extra environment."""

    def __init__(self, root: Path, checkout: Path | None = None, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(root.parent / "streamlit.log", "wb")
        environ = {**os.environ, **(env or {})}
        if checkout is not None:
            environ["PYTHONPATH"] = str(checkout)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "atdkit", "annotate", str(root), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=checkout or REPO, env=environ, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1).status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not start: {(root.parent / 'streamlit.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)  # the server's own process group (start_new_session)
            self.proc.wait(timeout=20)
        self.log.close()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)


# No script run going on or asked for (Streamlit's run state, as its own tests read it), no
# "running" indicator, no element left over from before the rerun (marked stale until it ends),
# and the task panel, where there is one, not waiting for the server to answer an action.
IDLE_JS = """() => !['running', 'rerunRequested'].includes(
                       (document.querySelector('[data-testid="stApp"]') || {dataset: {}}).dataset.testScriptState) &&
                   !document.querySelector('[data-testid="stStatusWidget"]') &&
                   !document.querySelector('[data-stale="true"]') &&
                   [...document.querySelectorAll('[data-testid="atdkit-task"]')].every(p => p.dataset.state === 'ready')"""


def wait_idle(page, settle: float = 0.15) -> None:
    """Wait until Streamlit has finished the current rerun."""
    time.sleep(settle)
    page.wait_for_function(IDLE_JS, timeout=30000)


def log_in(page, url: str, token: str) -> None:
    """Open the app, log in with ``token`` and wait for the task view (after the page's reload
    with the session cookie) to finish its rerun."""
    page.goto(url)
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Accept & submit (A)").first.wait_for(timeout=30000)
    wait_idle(page)


@contextmanager
def logged_in_page(url: str, token: str, width: int = 1400, height: int = 1100):
    """A chromium page of its own browser, logged in with ``token``; the browser closes afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            log_in(page, url, token)
            yield page
        finally:
            browser.close()
