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

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from atdkit.annotation_app.session_route import session_in
from atdkit.labels import sessions
from atdkit.store.dataset import DatasetRoot


def media_prefix(base_url_path: str) -> str:
    """The path prefix of Streamlit's media route under ``server.baseUrlPath``."""
    base = base_url_path.strip("/")
    return f"/{base}/media/" if base else "/media/"


class MediaGate:
    """ASGI middleware: requests whose path starts with ``prefix`` need a valid session cookie."""

    def __init__(self, app: ASGIApp, root: str, prefix: str = "/media/"):
        self.app = app
        self.prefix = prefix
        self.sessions = sessions.ActiveSessions(DatasetRoot.open(root))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            if not self.sessions.valid(session_in(scope)):
                refusal = PlainTextResponse("log in to see this file", status_code=403,
                                            headers={"Cache-Control": "no-store"})
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
