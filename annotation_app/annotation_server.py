"""What ``atdkit annotate`` serves: the annotation app (``app.py``) as a Streamlit ``st.App``
whose media files (the frames) are behind the login (``media_gate.MediaGate``).

``streamlit run annotation_app/annotation_server.py -- --root ROOT`` (Streamlit sees the
``st.App`` below and serves it; ``app.py`` runs for each session as usual).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

if importlib.util.find_spec("atdkit") is None:  # `streamlit run` from a source checkout, atdkit not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atdkit.annotation_app import APP_SCRIPT, root_argument  # noqa: E402
from atdkit.annotation_app.media_gate import MediaGate, media_prefix  # noqa: E402

_root = root_argument()
if not _root:
    raise SystemExit("annotation server: no dataset root given (--root ROOT after `--`, or ATDKIT_ROOT)")

app = st.App(APP_SCRIPT, middleware=[Middleware(
    MediaGate, root=str(Path(_root).resolve()), prefix=media_prefix(config.get_option("server.baseUrlPath") or ""))])
