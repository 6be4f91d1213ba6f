"""A triplet's frames at a URL of their own, behind the login and cacheable by the browser.

Frames shown through ``st.image`` live in Streamlit's media file manager under ``/media/<id>``:
ids that change with every page run, so the browser can neither cache a frame nor ask for the
next triplet's frames before the page shows them. This route serves the stored PNG of frame
``index`` (1, 2, 3) of a triplet at ``<base>/_atdkit/frame/<triplet id>/<index>?v=<st_mtime_ns>``
(``frame_url``). Like ``media_gate.MediaGate`` it answers only requests carrying a valid session
cookie of an active annotator (403 and nothing of the file otherwise, at once after a revoke).
The ``v`` of the file's current version makes the answer ``immutable`` for a year (private: the
browser's cache only), so the page can fetch the next triplet's frames ahead of time and show
them from the cache; a rewritten frame has another ``v``, so another URL. An old ``v`` still
gets the current file, but ``no-cache``: the browser asks again with the file's ETag and gets
304 while the file is unchanged.

A request names a triplet id and an index, never a path: the id must be in ``triplets.parquet``
(re-read when it changes) and becomes a path only through ``DatasetRoot.frame_paths``.
"""

from __future__ import annotations

import os
import stat
from email.utils import formatdate
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from atdkit.annotation_app.session_route import session_in
from atdkit.annotation_app.workspace import Workspace
from atdkit.labels import sessions

INDICES = ("1", "2", "3")
IMMUTABLE = "private, max-age=31536000, immutable"  # the URL names this version of the file
REVALIDATE = "private, no-cache"                     # an old or no version: ask again each time


def frame_route_path(base_url_path: str) -> str:
    """The route's Starlette path pattern under ``server.baseUrlPath``."""
    base = base_url_path.strip("/")
    tail = "_atdkit/frame/{triplet_id}/{index}"
    return f"/{base}/{tail}" if base else f"/{tail}"


def frame_url(base_url_path: str, triplet_id: str, index: int, version: int) -> str:
    """The URL of frame ``index`` (1, 2, 3) of ``triplet_id`` whose file has ``st_mtime_ns`` ``version``."""
    path = frame_route_path(base_url_path).format(triplet_id=quote(triplet_id, safe=""), index=index)
    return f"{path}?v={version}"


def _refusal(text: str, status_code: int) -> Response:
    return PlainTextResponse(text, status_code=status_code, headers={"Cache-Control": "no-store"})


class FrameRoute:
    """Starlette endpoint (``handle``, GET): a stored frame PNG for a logged-in annotator."""

    def __init__(self, root: str):
        self.workspace = Workspace(root, prefetch=False)
        self.sessions = sessions.ActiveSessions(self.workspace.root)

    def _answer(self, session: str | None, triplet_id: str, index: str, version: str | None,
                if_none_match: str | None) -> Response:
        # blocking (table reads when a file changed, the file itself): run on a worker thread
        if not self.sessions.valid(session):
            return _refusal("log in to see this frame", 403)
        if index not in INDICES or self.workspace.triplet(triplet_id) is None:
            return _refusal(f"no frame {index!r} of a triplet {triplet_id!r}", 404)
        path = self.workspace.root.frame_paths(triplet_id)[int(index) - 1]
        try:  # one open file: its version and bytes agree while the file is replaced (O_NONBLOCK: a FIFO cannot hang us)
            with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
                found = os.fstat(fh.fileno())
                if not stat.S_ISREG(found.st_mode):
                    return _refusal(f"frame {index} of triplet {triplet_id!r} is missing", 404)
                headers = {"Cache-Control": IMMUTABLE if version == str(found.st_mtime_ns) else REVALIDATE,
                           "ETag": f'"{found.st_mtime_ns:x}-{found.st_size:x}"',
                           "Last-Modified": formatdate(found.st_mtime, usegmt=True)}
                if if_none_match and headers["ETag"] in (t.strip() for t in if_none_match.split(",")):
                    return Response(status_code=304, headers=headers)  # the browser's copy is this file
                body = fh.read()
        except OSError:
            return _refusal(f"frame {index} of triplet {triplet_id!r} is missing", 404)
        return Response(body, media_type="image/png", headers=headers)

    async def handle(self, request: Request) -> Response:
        return await run_in_threadpool(self._answer, session_in(request.scope), request.path_params["triplet_id"],
                                       request.path_params["index"], request.query_params.get("v"),
                                       request.headers.get("if-none-match"))
