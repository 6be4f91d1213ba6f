"""End to end in Debian's chromium: `streamlit run` on 127.0.0.1, two annotators, a dragged RoI."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request

import pytest

from annotation_browser_harness import REPO, StreamlitServer, launch_chromium, log_in, logged_in_page, wait_idle
from annotation_fixtures import build_root
from atdkit.labels import annotators
from atdkit.store.labels import latest_annotations, latest_votes

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "artifacts" / "annotation"


def shown_triplet(page) -> str:
    return page.locator("strong", has_text="film0-").first.inner_text()


def wait_for_triplet(page, tid: str) -> None:
    """Wait until the task view shows ``tid`` (the submission went through) and the rerun ended."""
    page.locator("strong", has_text=tid).first.wait_for(timeout=30000)
    wait_idle(page)


def drag_roi(page, box: tuple[float, float, float, float], frame_width: int = 960, steps: int = 20) -> None:
    """Drag the RoI from (x, y) to (x + w, y + h) of ``box`` (frame2 px at full resolution),
    whatever width frame2 is shown at."""
    stage = page.locator("[data-testid=atdkit-roi]").bounding_box()
    s = stage["width"] / frame_width
    x0, y0 = stage["x"] + box[0] * s, stage["y"] + box[1] * s
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, steps + 1):
        page.mouse.move(x0 + box[2] * s * k / steps, y0 + box[3] * s * k / steps)
    page.mouse.up()


def pick(page, label: str) -> None:
    page.get_by_text(label, exact=True).click()
    wait_idle(page)


@pytest.fixture
def server(tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not on PATH (install it with `make browser`)")
    root = build_root(tmp_path / "root", n=3, size=(960, 540), proposals=False)
    tokens = {n: annotators.add(root, n) for n in ("ann1", "ann2")}
    srv = StreamlitServer(root.path)
    yield root, tokens, srv
    srv.stop()


def test_two_annotators_drag_roi_and_submit(server):
    from playwright.sync_api import sync_playwright

    root, tokens, srv = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            a1 = browser.new_context(viewport={"width": 1500, "height": 1300}).new_page()
            a2 = browser.new_context(viewport={"width": 1500, "height": 1300}).new_page()
            log_in(a1, srv.url, tokens["ann1"])
            log_in(a2, srv.url, tokens["ann2"])
            assert shown_triplet(a1) == shown_triplet(a2) == "film0-0000"   # both judgements of it needed

            # ann1 draws the RoI by dragging on frame2 (shown at most 640×360 for 960×540)
            assert a1.locator("[data-testid=atdkit-roi]").bounding_box()["width"] <= 640
            drag_roi(a1, (150, 75, 300, 225))
            wait_idle(a1)
            a1.get_by_text("RoI on frame2 (full-resolution px): x=150").wait_for(timeout=30000)
            roi_shot = ARTIFACTS / "annotation_e2e_roi_drawn.png"
            a1.screenshot(path=str(roi_shot), full_page=True)
            print(f"screenshot: {roi_shot}")
            pick(a1, "rotation")
            pick(a1, "sporting")
            a1.get_by_role("button", name="Accept & submit (A)").click()
            wait_for_triplet(a1, "film0-0001")
            wait_idle(a1)
            assert shown_triplet(a1) == "film0-0001"
            shot = ARTIFACTS / "annotation_e2e_ann1.png"

            # ann2 sees none of it (blind), rejects with a free-text reason containing HTML
            pick(a2, "other")                                        # a rerun after ann1's submission
            assert shown_triplet(a2) == "film0-0000"
            assert not a2.get_by_role("radio", name="rotation").is_checked()
            assert not a2.get_by_role("radio", name="sporting").is_checked()
            a2.get_by_label("Other: explain").fill("<b>cut</b> mid-blink")
            a2.get_by_label("Other: explain").press("Enter")
            wait_idle(a2)
            a2.get_by_role("button", name="Reject & submit (X)").click()
            wait_for_triplet(a2, "film0-0001")
            wait_idle(a2)
            assert a2.locator("b", has_text="cut").count() == 0

            # keyboard: S skips the current triplet
            before = shown_triplet(a1)
            a1.keyboard.press("s")
            wait_idle(a1, settle=0.5)
            assert shown_triplet(a1) != before
            a1.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        finally:
            browser.close()

    ann = latest_annotations(root).set_index(["triplet_id", "annotator"])
    r = ann.loc[("film0-0000", "ann1")]
    assert (r["roi_x"], r["roi_y"], r["roi_w"], r["roi_h"]) == pytest.approx((150, 75, 300, 225), abs=3)
    assert (r["difficulty"], r["motion_type"], r["behavior"]) == ("easy", "rotation", "sporting")
    votes = latest_votes(root).set_index(["triplet_id", "annotator"])
    assert bool(votes.loc[("film0-0000", "ann1"), "accept"]) is True
    v2 = votes.loc[("film0-0000", "ann2")]
    assert not v2["accept"] and v2["reason"] == "other: <b>cut</b> mid-blink"
    assert ("film0-0000", "ann2") not in ann.index
    assert shot.stat().st_size > 10_000 and roi_shot.stat().st_size > 10_000


def test_keyboard_only_accept_and_reject(server):
    """A full accept (no drag: the proposal box) and a reject with keys only, keys pressed
    while a radio button has focus; an error stays beside the buttons."""
    from playwright.sync_api import sync_playwright

    root, tokens, srv = server
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_context(viewport={"width": 1500, "height": 1300}).new_page()
            page.goto(srv.url)
            page.get_by_label("Access token").fill(tokens["ann1"])
            page.keyboard.press("Enter")
            page.get_by_role("button", name="Accept & submit (A)").wait_for(timeout=30000)
            wait_idle(page)
            first = shown_triplet(page)
            # no developer menu, no Deploy button (both are there without annotate's client options)
            assert page.locator('[data-testid="stMainMenu"]').count() == 0 and page.get_by_text("Deploy").count() == 0
            page.keyboard.press("a")                                   # no motion type yet: refused
            wait_idle(page, settle=0.5)
            page.get_by_text("Not saved").wait_for(timeout=10000)
            time.sleep(1.5)
            assert page.get_by_text("Not saved").is_visible()          # the error stays
            for key in ("w", "7"):                                     # rotation, sporting
                page.keyboard.press(key)
                wait_idle(page)
            page.get_by_role("radio", name="sporting").focus()         # focus on a radio button …
            page.keyboard.press("a")                                   # … and A still submits
            page.locator("strong", has_text="film0-0001").first.wait_for(timeout=30000)
            wait_idle(page)
            second = shown_triplet(page)
            page.keyboard.press("z")                                   # scene cut
            wait_idle(page)
            page.keyboard.press("x")
            page.locator("strong", has_text="film0-0002").first.wait_for(timeout=30000)
        finally:
            browser.close()
    votes = latest_votes(root).set_index(["triplet_id", "annotator"])
    assert bool(votes.loc[(first, "ann1"), "accept"]) and votes.loc[(second, "ann1"), "reason"] == "scene cut"
    ann = latest_annotations(root).set_index("triplet_id").loc[first]
    assert (ann["difficulty"], ann["motion_type"], ann["behavior"]) == ("easy", "rotation", "sporting")
    assert (ann["roi_w"], ann["roi_h"]) == (480, 270)                  # the centred proposal of 960×540


def _post_session(url: str, value: str, origin: str | None = None) -> tuple[int, str]:
    """POST a session value to the app's cookie route as the page does: (status, Set-Cookie)."""
    request = urllib.request.Request(f"{url}/_atdkit/session", data=json.dumps({"value": value}).encode(),
                                     headers={"Origin": origin or url, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Set-Cookie", "")


def test_session_survives_reload_and_restart_and_ends_at_logout(server):
    root, tokens, srv = server
    with logged_in_page(srv.url, tokens["ann1"]) as page:
        cookie = next(c for c in page.context.cookies() if c["name"] == "atdkit_session")
        assert tokens["ann1"] not in cookie["value"] and cookie["sameSite"] == "Strict"
        assert cookie["httpOnly"] and "atdkit_session" not in page.evaluate("document.cookie")  # set by the server
        # the route that sets it: same origin only, and only for a valid session
        assert _post_session(srv.url, cookie["value"], origin="http://evil.example")[0] == 403
        assert _post_session(srv.url, cookie["value"][:-4] + "0000")[0] == 403            # forged
        status, set_cookie = _post_session(srv.url, cookie["value"])
        assert status == 200 and "httponly" in set_cookie.lower() and cookie["value"] in set_cookie
        status, set_cookie = _post_session(srv.url, "")                                     # log out: cleared
        assert status == 200 and "max-age=0" in set_cookie.lower()
        page.reload()
        page.get_by_role("button", name="Accept & submit (A)").wait_for(timeout=30000)
        srv.stop()
        again = StreamlitServer(root.path)                        # a restart (another port, same host)
        try:
            page.goto(again.url)
            page.get_by_role("button", name="Accept & submit (A)").wait_for(timeout=30000)
            assert page.get_by_text("Logged in as").count() == 1
            page.get_by_role("button", name="Log out").click()
            page.get_by_label("Access token").wait_for(timeout=30000)
            wait_idle(page)
            page.reload()
            page.get_by_label("Access token").wait_for(timeout=30000)   # the cookie is gone
        finally:
            again.stop()


def test_player_steps_changes_speed_and_zooms_to_full_resolution(server):
    root, tokens, srv = server
    with logged_in_page(srv.url, tokens["ann1"]) as page:
        which = page.locator(".atdkit-which")
        page.keyboard.press("k")                                       # pause
        page.keyboard.press("j")                                       # one back
        shown = which.inner_text()
        page.keyboard.press("l")
        page.keyboard.press("l")                                       # two forward
        ahead = which.inner_text()
        order = ["frame 1", "frame 2", "frame 3"]
        i = order.index(shown.split(" ·")[0])
        assert ahead.startswith(order[(i + 2) % 3]) and "paused" in ahead
        frames = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.atdkit-frames figure')]
            .map(f => [f.querySelector('figcaption').textContent, f.querySelector('img').src]))""")
        stage = page.locator(".atdkit-stage-img")
        assert stage.evaluate("i => i.src") == frames[ahead.split(" ·")[0].replace(" ", "")]
        page.locator(".atdkit-zoom").select_option("1")                # 100 %: full resolution
        size = stage.evaluate("i => [i.naturalWidth, i.getBoundingClientRect().width]")
        assert size[0] == 960 and abs(size[1] - 960) < 1
        page.locator(".atdkit-speed").fill("100")
        assert page.locator(".atdkit-speed-text").inner_text() == "100 ms"
        page.keyboard.press("k")                                       # play again: frames change
        seen = set()
        for _ in range(20):
            seen.add(which.inner_text().split(" ·")[0])
            time.sleep(0.05)
        assert len(seen) == 3


def test_labels_box_and_player_stay_in_the_browser_and_a_submission_runs_the_page_once(tmp_path):
    """What the latency rests on: a label key, a drawn box, "Box = proposal" and the player run
    nothing on the server and fetch no frame again; the next triplet's frames are fetched
    while the current one is looked at; a submission runs the page once (server script runs
    counted with ATDKIT_APP_TIMINGS), fetching no frame."""
    from playwright.sync_api import sync_playwright

    if shutil.which("chromium") is None:
        pytest.skip("chromium is not on PATH (install it with `make browser`)")
    root = build_root(tmp_path / "root", n=3, size=(960, 540), proposals=False)
    token = annotators.add(root, "ann1")
    runs = tmp_path / "runs.jsonl"
    srv = StreamlitServer(root.path, env={"ATDKIT_APP_TIMINGS": str(runs)})
    frames: list[str] = []

    def kinds_after(action) -> list[str]:
        before = len(runs.read_text().splitlines())
        action()
        return [json.loads(line)["kind"] for line in runs.read_text().splitlines()[before:]]

    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_context(viewport={"width": 1500, "height": 1300}).new_page()
                page.on("response", lambda r: ("/_atdkit/frame/" in r.url or "/media/" in r.url)
                        and frames.append(r.url))
                log_in(page, srv.url, token)
                wait_idle(page, settle=1.0)
                fetched = len(frames)
                assert sum("/film0-0001/" in u for u in frames) == 3               # the next triplet's, ahead

                def key(k):
                    page.keyboard.press(k)
                    wait_idle(page, settle=0.5)

                assert kinds_after(lambda: key("w")) == []                           # rotation: no run at all
                assert page.get_by_role("radio", name="rotation").is_checked()

                def drag():
                    drag_roi(page, (150, 75, 300, 225), steps=10)
                    page.get_by_text("RoI on frame2 (full-resolution px): x=150").wait_for(timeout=30000)
                    wait_idle(page, settle=0.5)

                assert kinds_after(drag) == []
                assert kinds_after(lambda: (key("p"), key("k"), key("l"))) == []     # proposal, pause, step
                assert page.get_by_text("RoI on frame2 (full-resolution px): x=240").count() == 1
                kinds_after(drag)
                assert len(frames) == fetched                                        # no frame sent again
                submitted = kinds_after(lambda: (key("7"), key("a"), wait_for_triplet(page, "film0-0001")))
                # A sends the labels and the box, and the page runs once, nothing else
                assert submitted == ["page"] and "film0-0001" == shown_triplet(page)
                assert not [u for u in frames[fetched:] if "/film0-0001/" in u]    # shown from the cache
            finally:
                browser.close()
    finally:
        srv.stop()
    ann = latest_annotations(root).set_index("triplet_id").loc["film0-0000"]
    assert (ann["roi_x"], ann["roi_y"], ann["roi_w"], ann["roi_h"]) == pytest.approx((150, 75, 300, 225), abs=3)
    assert (ann["motion_type"], ann["behavior"]) == ("rotation", "sporting")


def test_keys_typed_fast_reach_the_server_in_order(server):
    """Label keys and A typed 90 ms apart while the page is still rerunning (right after the
    next triplet appears, before its rerun ends): every label arrives before the submission
    typed after it. (Keys that each waited on their own for the rerun to end went out in
    whatever order their retries happened to fire, a submission before its label; a radio
    clicked while the page was still being drawn could lose its value.) Only the first page
    after logging in is waited for until its panel is there (keys typed before the page has
    loaded its scripts reach nothing)."""
    root, tokens, srv = server
    from playwright.sync_api import sync_playwright

    typed = {"film0-0000": "w7", "film0-0001": "e8", "film0-0002": "r9"}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_context(viewport={"width": 1500, "height": 1300}).new_page()
            page.goto(srv.url)                                      # logged in, the first page still loading
            page.get_by_label("Access token").fill(tokens["ann1"])
            page.keyboard.press("Enter")
            page.locator("[data-testid=atdkit-task]").wait_for(timeout=30000)
            for tid, (motion, behaviour) in typed.items():
                page.locator("strong", has_text=tid).first.wait_for(timeout=30000)   # not waiting for the rerun
                for key in (motion, behaviour, "a"):
                    page.keyboard.press(key)
                    page.wait_for_timeout(90)
            page.get_by_text("Nothing left for you").wait_for(timeout=60000)
        finally:
            browser.close()
    ann = latest_annotations(root).set_index("triplet_id")
    for tid, expected in (("film0-0000", ("rotation", "sporting")), ("film0-0001", ("scaling", "fetching")),
                          ("film0-0002", ("deformation", "others"))):
        assert (ann.loc[tid, "motion_type"], ann.loc[tid, "behavior"]) == expected


def test_keys_act_on_the_panel_on_screen_not_a_lookalike(server):
    """Keys act on the panel's own controls: a copy of the whole panel put first in the page
    (like a leftover of an earlier render) is never touched. (Keys that looked controls up by
    their label text clicked the copy: the label went nowhere and A was refused for a missing
    motion type.)"""
    from playwright.sync_api import sync_playwright

    root, tokens, srv = server
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_context(viewport={"width": 1500, "height": 1300}).new_page()
            log_in(page, srv.url, tokens["ann1"])
            tid = shown_triplet(page)
            page.evaluate("""() => {
                const copy = document.querySelector('[data-testid="atdkit-task"]').cloneNode(true);
                copy.dataset.testid = 'copy';
                copy.querySelectorAll('input').forEach(i => { i.name = 'copy-' + i.name; });
                document.body.prepend(copy);
            }""")
            for key in ("w", "7"):                               # rotation, sporting
                page.keyboard.press(key)
            checked = page.evaluate("""() => [...document.querySelectorAll('[data-testid="copy"] input:checked')]
                .map(i => i.value)""")
            assert "rotation" not in checked and "sporting" not in checked
            page.keyboard.press("a")
            page.locator("[data-testid=atdkit-task] strong", has_text="film0-0001").wait_for(timeout=30000)
        finally:
            browser.close()
    ann = latest_annotations(root).set_index("triplet_id").loc[tid]
    assert (ann["motion_type"], ann["behavior"]) == ("rotation", "sporting")


def test_keys_pressed_while_a_submission_is_unanswered_do_not_judge_the_next_triplet(server):
    """Between A and the server's answer the old triplet is still on screen: a label key or
    another A pressed then acts on nothing (the panel says it is saving), so the next triplet
    starts from its own defaults and is not judged unseen. The server is held (SIGSTOP) so
    that the window is certain."""
    import os
    import signal

    root, tokens, srv = server
    with logged_in_page(srv.url, tokens["ann1"], width=1500, height=1300) as page:
        first = shown_triplet(page)
        for key in ("w", "7"):
            page.keyboard.press(key)
        os.killpg(srv.proc.pid, signal.SIGSTOP)
        try:
            page.keyboard.press("a")
            page.locator("[data-testid=atdkit-task][data-state=saving]").wait_for(timeout=5000)
            for key in ("e", "8", "a"):                          # typed while the answer is out
                page.keyboard.press(key)
            assert "wait for the next triplet" in page.locator(".atdkit-status").inner_text()
        finally:
            os.killpg(srv.proc.pid, signal.SIGCONT)
        page.locator("[data-testid=atdkit-task] strong", has_text="film0-0001").wait_for(timeout=30000)
        wait_idle(page)
        assert not page.get_by_role("radio", name="scaling").is_checked()
        assert not page.get_by_role("radio", name="fetching").is_checked()
        time.sleep(1.0)                                           # nothing else was sent
    votes = latest_votes(root)
    assert list(votes["triplet_id"]) == [first]
    ann = latest_annotations(root).set_index("triplet_id").loc[first]
    assert (ann["motion_type"], ann["behavior"]) == ("rotation", "sporting")
