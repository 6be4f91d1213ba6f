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
gets the current file, but ``no-cache``.

A request names a triplet id and an index, never a path: the id must be in ``triplets.parquet``
(re-read when it changes) and becomes a path only through ``DatasetRoot.frame_paths``.
"""

from __future__ import annotations

import stat
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

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

    def _answer(self, session: str | None, triplet_id: str, index: str, version: str | None) -> Response:
        # blocking (table reads when a file changed, stat): run on a worker thread
        if not self.sessions.valid(session):
            return _refusal("log in to see this frame", 403)
        if index not in INDICES or self.workspace.triplet(triplet_id) is None:
            return _refusal(f"no frame {index!r} of a triplet {triplet_id!r}", 404)
        path = self.workspace.root.frame_paths(triplet_id)[int(index) - 1]
        try:
            found = path.stat()
        except OSError:
            found = None
        if found is None or not stat.S_ISREG(found.st_mode):
            return _refusal(f"frame {index} of triplet {triplet_id!r} is missing", 404)
        cache = IMMUTABLE if version == str(found.st_mtime_ns) else REVALIDATE
        return FileResponse(path, media_type="image/png", stat_result=found, headers={"Cache-Control": cache})

    async def handle(self, request: Request) -> Response:
        return await run_in_threadpool(self._answer, session_in(request.scope), request.path_params["triplet_id"],
                                       request.path_params["index"], request.query_params.get("v"))
