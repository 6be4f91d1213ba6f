"""Streamlit's media files only for logged-in annotators.

The frames the app shows with ``st.image`` (and any other image or download it makes) are
held by Streamlit's media file manager and fetched by the browser from ``/media/<id>``,
a route Streamlit serves to anyone. ``MediaGate`` is an ASGI middleware in front of it:
a request under ``/media/`` passes only when it carries a valid session cookie
(``atdkit.labels.sessions``: signed, unexpired, its annotator still active with the same
token), otherwise it gets 403 and nothing of the file. A token revoked or re-issued while
a page is open ends that page's access to media at once.
"""

from __future__ import annotations

from starlette.requests import cookie_parser
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from atdkit.errors import BadInput
from atdkit.labels import annotators, sessions
from atdkit.store.dataset import DatasetRoot


def media_prefix(base_url_path: str) -> str:
    """The path prefix of Streamlit's media route under ``server.baseUrlPath``."""
    base = base_url_path.strip("/")
    return f"/{base}/media/" if base else "/media/"


class MediaGate:
    """ASGI middleware: requests whose path starts with ``prefix`` need a valid session cookie."""

    def __init__(self, app: ASGIApp, root: str, prefix: str = "/media/"):
        self.app = app
        self.root = DatasetRoot.open(root)
        self.prefix = prefix
        self.people = annotators.WatchedAnnotators(self.root)

    def allowed(self, cookie_header: str) -> bool:
        """True when the Cookie header holds a session of an active annotator."""
        value = cookie_parser(cookie_header).get(sessions.COOKIE)
        if not value:
            return False
        try:
            return sessions.verify(sessions.session_key(self.root), self.people.table(), value) is not None
        except (BadInput, OSError, ValueError):  # unreadable annotators or secret: closed, not open
            return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            cookie = b"; ".join(v for k, v in scope["headers"] if k == b"cookie").decode("latin-1")
            if not self.allowed(cookie):
                refusal = PlainTextResponse("log in to see this file", status_code=403,
                                            headers={"Cache-Control": "no-store"})
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
