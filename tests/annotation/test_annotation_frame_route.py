"""The frame route (``frame_route.FrameRoute``) in a small Starlette app served by uvicorn on a
loopback port, over plain HTTP (urllib; starlette's TestClient needs httpx, not installed): frames
only for a valid session, only of known triplets, cacheable for good only at their current version."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pandas as pd
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from annotation_fixtures import build_root, moving_square
from atdkit.annotation_app import workspace
from atdkit.annotation_app.frame_route import FrameRoute, frame_route_path, frame_url
from atdkit.annotation_app.session_route import session_in
from atdkit.labels import annotators, sessions
from atdkit.store.frames import write_png

PNG = b"\x89PNG\r\n\x1a\n"
TID = "film0-0000"


class Client:
    """GET and POST to a served app: (status, headers, body), errors included."""

    def __init__(self, url: str):
        self.url = url

    def request(self, path: str, headers: dict | None = None, method: str = "GET"):
        request = urllib.request.Request(self.url + path, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def get(self, path: str, headers: dict | None = None):
        return self.request(path, headers)


@contextmanager
def _client(root, base: str = ""):
    """The frame route of ``root`` alone in a Starlette app, served on a free loopback port."""
    route = Route(frame_route_path(base), FrameRoute(str(root.path)).handle, methods=["GET"])
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[route]), log_level="warning", lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        yield Client(f"http://127.0.0.1:{sock.getsockname()[1]}")
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def served(tmp_path):
    """(root, client, Cookie header of ann1's session)."""
    root = build_root(tmp_path / "root", n=2, size=(64, 48))
    annotators.add(root, "ann1")
    value = sessions.issue(sessions.session_key(root), annotators.read_annotators(root), "ann1")
    with _client(root) as client:
        yield root, client, {"Cookie": f"{sessions.COOKIE}={value}"}


def _url(root, tid: str = TID, index: int = 1, base: str = "") -> str:
    """The URL of a frame at its current version."""
    return frame_url(base, tid, index, root.frame_paths(tid)[index - 1].stat().st_mtime_ns)


def test_paths_and_urls_under_the_base_url_path():
    assert frame_route_path("") == "/_atdkit/frame/{triplet_id}/{index}"
    assert frame_route_path("/atd/") == "/atd/_atdkit/frame/{triplet_id}/{index}"
    assert frame_url("", "a b/c", 2, 17) == "/_atdkit/frame/a%20b%2Fc/2?v=17"
    assert frame_url("atd", TID, 3, 5) == f"/atd/_atdkit/frame/{TID}/3?v=5"


def test_a_session_gets_the_stored_png_cacheable_only_at_its_version(served):
    root, client, cookie = served
    for index in (1, 2, 3):
        status, headers, body = client.get(_url(root, index=index), cookie)
        assert status == 200 and body == root.frame_paths(TID)[index - 1].read_bytes() and body.startswith(PNG)
        assert headers["Content-Type"] == "image/png"
        assert headers["Cache-Control"] == "private, max-age=31536000, immutable"
        assert headers["ETag"] and headers["Last-Modified"]
    stale = frame_url("", TID, 1, root.frame_paths(TID)[0].stat().st_mtime_ns - 1)
    for url in (stale, _url(root).split("?")[0]):                          # an old version, or none
        status, headers, body = client.get(url, cookie)
        assert status == 200 and headers["Cache-Control"] == "private, no-cache"
        assert body == root.frame_paths(TID)[0].read_bytes()


def test_a_rewritten_frame_has_a_new_url(served):
    root, client, cookie = served
    path = root.frame_paths(TID)[1]
    old = _url(root, index=2)
    write_png(path, moving_square(64, 48, 30, seed=9))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))          # whatever the clock's resolution
    new = _url(root, index=2)
    assert new != old
    status, headers, body = client.get(old, cookie)
    assert headers["Cache-Control"] == "private, no-cache" and body == path.read_bytes()
    status, headers, body = client.get(new, cookie)
    assert headers["Cache-Control"].endswith("immutable") and body == path.read_bytes()


def test_an_unchanged_frame_answers_304_to_its_etag_and_a_changed_one_the_new_file(served):
    root, client, cookie = served
    stale = frame_url("", TID, 1, root.frame_paths(TID)[0].stat().st_mtime_ns - 1)   # revalidated each time
    status, headers, body = client.get(stale, cookie)
    etag = headers["ETag"]
    assert status == 200 and etag and body
    status, headers, body = client.get(stale, {**cookie, "If-None-Match": f'"other", {etag}'})
    assert status == 304 and body == b"" and headers["ETag"] == etag
    assert client.get(stale, {**cookie, "If-None-Match": etag})[0] == 304
    assert client.get(stale, {"If-None-Match": etag})[0] == 403                      # never without a session
    path = root.frame_paths(TID)[0]
    write_png(path, moving_square(64, 48, 30, seed=9))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))              # another version
    status, headers, body = client.get(stale, {**cookie, "If-None-Match": etag})
    assert status == 200 and body == path.read_bytes() and headers["ETag"] != etag


def test_a_frame_that_is_not_a_file_is_missing_without_hanging(served):
    root, client, cookie = served
    path = root.frame_paths(TID)[2]
    path.unlink()
    os.mkfifo(path)                                                               # opening it to read would block
    status, _, body = client.get(_url(root, index=3), cookie)
    assert status == 404 and b"missing" in body


def test_no_valid_session_gets_403_and_nothing_of_the_file(served):
    root, client, cookie = served
    value = cookie["Cookie"].split("=", 1)[1]
    for headers in ({}, {"Cookie": "other=1"}, {"Cookie": f"{sessions.COOKIE}={value[:-4]}0000"},
                    {"Cookie": f"{sessions.COOKIE}="}):
        status, answer, body = client.get(_url(root), headers)
        assert status == 403 and PNG not in body and answer["Cache-Control"] == "no-store"
    assert client.get(_url(root), {"Cookie": f"a=1; {cookie['Cookie']}; b=2"})[0] == 200


def test_a_revoked_token_is_refused_at_once(served):
    root, client, cookie = served
    assert client.get(_url(root), cookie)[0] == 200
    annotators.remove(root, "ann1")
    status, _, body = client.get(_url(root), cookie)
    assert status == 403 and PNG not in body


def test_an_unreadable_annotators_table_refuses(served):
    root, client, cookie = served
    annotators.annotators_path(root).write_bytes(b"not parquet")
    assert client.get(_url(root), cookie)[0] == 403


def test_only_frames_1_to_3_of_known_triplets(served):
    root, client, cookie = served
    shutil.copytree(root.frames_dir(TID), root.frames_dir("film0-9999"))  # on disk, not in triplets.parquet
    urls = [frame_url("", tid, 1, 0) for tid in ("film0-9999", "nope", f"../{TID}", f"{TID}/../{TID}", "..", "")]
    urls += ["/_atdkit/frame/../1", f"/_atdkit/frame/..%2F{TID}/1"]
    urls += [f"/_atdkit/frame/{TID}/{index}" for index in ("0", "4", "x", "01", "-1")]
    for url in urls:
        status, _, body = client.get(url, cookie)
        assert status == 404 and PNG not in body, url
    root.frame_paths(TID)[2].unlink()                                          # a known triplet's missing frame
    status, headers, _ = client.get(frame_url("", TID, 3, 0), cookie)
    assert status == 404 and headers["Cache-Control"] == "no-store"
    assert client.request(_url(root), cookie, method="POST")[0] == 405


def test_triplets_added_later_are_served(served, monkeypatch):
    root, client, cookie = served
    monkeypatch.setattr(workspace, "TRIPLETS_RECHECK_S", 0.0)
    tid = "film1-0000"
    assert client.get(frame_url("", tid, 1, 0), cookie)[0] == 404
    for k in range(3):
        write_png(root.frames_dir(tid) / f"frame{k + 1}.png", moving_square(64, 48, 5 + k, seed=3))
    row = {"triplet_id": tid, "film_id": "film1", "f1": 0, "f2": 1, "f3": 2, "stride": 1, "width": 64,
           "height": 48, "auto_difficulty": "easy", "source": "mined"}
    root.triplet_parts.append(pd.DataFrame([row]), name="film1")
    root.materialize()
    status, _, body = client.get(_url(root, tid), cookie)
    assert status == 200 and body == root.frame_paths(tid)[0].read_bytes()


def test_under_a_base_url_path(served):
    root, _, cookie = served
    with _client(root, base="atd") as client:
        assert client.get(_url(root, base="atd"), cookie)[0] == 200
        assert client.get(_url(root), cookie)[0] == 404


def test_session_in_reads_every_cookie_header():
    headers = [(b"cookie", b"a=1"), (b"cookie", f"{sessions.COOKIE}=v.1.s".encode()), (b"host", b"x")]
    assert session_in({"type": "http", "headers": headers}) == "v.1.s"
    assert session_in({"type": "http", "headers": [(b"cookie", b"a=1")]}) is None
    assert session_in({"type": "http", "headers": []}) is None
