"""What ``atdkit annotate`` serves: the annotation app (``app.py``) as a Streamlit ``st.App``
whose media files (the frames) are behind the login (``media_gate.MediaGate``), whose
session cookie is set by the server, HttpOnly (``session_route.SessionRoute``), and whose
frames also have cacheable URLs of their own behind the login (``frame_route.FrameRoute``).

``streamlit run annotation_app/annotation_server.py -- --root ROOT`` (Streamlit sees the
``st.App`` below and serves it; ``app.py`` runs for each session as usual).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route
from streamlit import config

if importlib.util.find_spec("atdkit") is None:  # `streamlit run` from a source checkout, atdkit not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atdkit.annotation_app import APP_SCRIPT, root_argument  # noqa: E402
from atdkit.annotation_app.frame_route import FrameRoute, frame_route_path  # noqa: E402
from atdkit.annotation_app.media_gate import MediaGate, media_prefix  # noqa: E402
from atdkit.annotation_app.session_route import SessionRoute, session_path  # noqa: E402

_root = root_argument()
if not _root:
    raise SystemExit("annotation server: no dataset root given (--root ROOT after `--`, or ATDKIT_ROOT)")

_root = str(Path(_root).resolve())
_base = config.get_option("server.baseUrlPath") or ""
app = st.App(APP_SCRIPT,
             routes=[Route(session_path(_base), SessionRoute(_root).handle, methods=["POST"]),
                     Route(frame_route_path(_base), FrameRoute(_root).handle, methods=["GET"])],
             middleware=[Middleware(MediaGate, root=_root, prefix=media_prefix(_base))])
