"""Frames are served only to logged-in annotators: `atdkit annotate` in Debian's chromium, the
frame URLs a logged-in page loads (the frame route, and Streamlit's media files where a page
shows any), fetched again by a client without a session (plain HTTP)."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request

import pytest

from annotation_browser_harness import StreamlitServer, launch_chromium, log_in, wait_idle
from annotation_fixtures import build_root
from atdkit.labels import annotators

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n"

# frame1–3 of the task view, once decoded: their URLs (None while any is not shown yet)
FRAMES_JS = """() => {
  const imgs = [...document.querySelectorAll('.atdkit-frames img')];
  if (imgs.length < 3 || !imgs.every(i => i.complete && i.naturalWidth > 0)) return null;
  return imgs.map(i => i.src);
}"""


def _get(url: str, cookie: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_frames_need_a_session_and_stop_when_the_token_is_revoked(tmp_path):
    from playwright.sync_api import sync_playwright

    if shutil.which("chromium") is None:
        pytest.skip("chromium is not on PATH (install it with `make browser`)")
    root = build_root(tmp_path / "root", n=2, size=(320, 180))
    token = annotators.add(root, "ann1")
    srv = StreamlitServer(root.path)
    media_statuses: list[tuple[str, int]] = []
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 1100})
                page = context.new_page()
                page.on("response", lambda r: ("/media/" in r.url or "/_atdkit/frame/" in r.url)
                        and media_statuses.append((r.url, r.status)))
                log_in(page, srv.url, token)
                frames = page.wait_for_function(FRAMES_JS, timeout=30000).json_value()
                assert all("/_atdkit/frame/film0-0000/" in url for url in frames) and len(set(frames)) == 3
                # the logged-in page got every frame it asked for (the next triplet's too), from the first load on
                assert media_statuses and all(status == 200 for _, status in media_statuses), media_statuses
                session = next(c for c in context.cookies() if c["name"] == "atdkit_session")
                cookie = f"atdkit_session={session['value']}"

                for url in frames:
                    status, body = _get(url, cookie)                # the session's own cookie: the frame
                    assert status == 200 and body.startswith(PNG)
                    assert _get(url)[0] == 403                      # no session: refused
                    assert _get(url, "atdkit_session=" + session["value"][:-4] + "0000")[0] == 403  # forged
                    assert _get(url, "other=1")[0] == 403
                    assert PNG not in _get(url)[1]

                annotators.remove(root, "ann1")                     # revoked while the page is open
                for url in frames:
                    assert _get(url, cookie)[0] == 403
                page.keyboard.press("s")                            # the page's next rerun logs out
                page.get_by_text("Your token was revoked").wait_for(timeout=30000)
                wait_idle(page)
                assert page.get_by_label("Access token").count() == 1
            finally:
                browser.close()
    finally:
        srv.stop()
