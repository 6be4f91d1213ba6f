"""The session cookie, set and cleared by the server, so that it is ``HttpOnly`` (no script in
the page can read it).

Right after a login the page posts the signed session value (``atdkit.labels.sessions``) to
``<base>/_atdkit/session``; the server answers, when the value is a valid session of an active
annotator, with ``Set-Cookie: atdkit_session=…; HttpOnly; SameSite=Strict; Path=/; Max-Age=…``
(``Secure`` when the page is served over HTTPS). An empty value clears the cookie (log out, a
revoked token). Only same-origin requests are answered (their ``Origin`` names this host).
``session_in`` reads that cookie back out of a request, for the routes behind the login.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.requests import Request, cookie_parser
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from atdkit.labels import sessions
from atdkit.store.dataset import DatasetRoot

MAX_BODY = 2048  # bytes: a session value is ~100


def session_path(base_url_path: str) -> str:
    """The route's path under ``server.baseUrlPath``."""
    base = base_url_path.strip("/")
    return f"/{base}/_atdkit/session" if base else "/_atdkit/session"


def session_in(scope: Scope) -> str | None:
    """The session cookie's value in an HTTP request's Cookie header(s) (ASGI ``scope``), or None."""
    header = b"; ".join(v for k, v in scope.get("headers", ()) if k == b"cookie").decode("latin-1")
    return cookie_parser(header).get(sessions.COOKIE) or None


class SessionRoute:
    """Starlette endpoint (``handle``): POST ``{"value": SESSION, "secure": bool}`` sets the cookie, an empty
    value clears it; 403 for other origins and for a value that is not a valid session."""

    def __init__(self, root: str):
        self.sessions = sessions.ActiveSessions(DatasetRoot.open(root))

    async def handle(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if not origin or urlsplit(origin).netloc != request.headers.get("host"):
            return PlainTextResponse("cross-origin request refused", status_code=403)
        body = await request.body()
        try:
            data = json.loads(body[:MAX_BODY]) if len(body) <= MAX_BODY else None
            value, secure = str(data.get("value") or ""), bool(data.get("secure"))
        except (ValueError, AttributeError, TypeError):
            return PlainTextResponse("expected {\"value\": …, \"secure\": …}", status_code=400)
        response = PlainTextResponse("ok", headers={"Cache-Control": "no-store"})
        if not value:
            response.delete_cookie(sessions.COOKIE, path="/", secure=secure, httponly=True, samesite="strict")
            return response
        if not self.sessions.valid(value):
            return PlainTextResponse("not a valid session", status_code=403)
        response.set_cookie(sessions.COOKIE, value, max_age=sessions.SESSION_SECONDS, path="/", secure=secure,
                            httponly=True, samesite="strict")
        return response
