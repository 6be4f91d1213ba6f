"""atdkit annotation app (run by ``atdkit annotate ROOT``).

``streamlit run annotation_app/app.py -- --root ROOT`` (or ``ATDKIT_ROOT=ROOT``) runs it without
the routes of ``annotation_server.py`` (no frames shown): for development only.
Every page needs a login by token; annotators see the task view, admins also see
review/adjudication, statistics and admin (export).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import streamlit as st
from streamlit import config

if importlib.util.find_spec("atdkit") is None:  # `streamlit run` from a source checkout, atdkit not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import json  # noqa: E402

from atdkit.annotation_app import root_argument, timings  # noqa: E402
from atdkit.annotation_app.session_route import session_path  # noqa: E402
from atdkit.annotation_app.text import md_escape  # noqa: E402
from atdkit.annotation_app.workspace import Workspace  # noqa: E402
from atdkit.errors import AtdkitError  # noqa: E402
from atdkit.labels import sessions  # noqa: E402


@st.cache_resource(show_spinner=False)
def workspace(root: str) -> Workspace:
    # ATDKIT_APP_PREFETCH=0 turns off preparing the next triplet's images (benchmarks compare both).
    return Workspace(root, prefetch=os.environ.get("ATDKIT_APP_PREFETCH", "1") != "0")


def login(ws: Workspace) -> None:
    st.title("atdkit annotation")
    with st.form("login"):
        token = st.text_input("Access token", type="password", key="login-token")
        if st.form_submit_button("Log in", type="primary"):
            user = ws.login(token.strip())
            if user is None:
                st.error("Unknown or revoked token.")
            else:
                st.session_state["user"] = user.name
                st.session_state["set-cookie"] = sessions.issue(sessions.session_key(ws.root),
                                                                ws.annotator_table(), user.name)
                st.rerun()


def _cookie_script(value: str, reload: bool = False) -> str:
    """Has the server set (or, with an empty ``value``, clear) the HttpOnly session cookie
    (``session_route``); with ``reload`` the page then loads again, so that every request it
    makes carries the cookie. Served by a bare ``streamlit run app.py`` (development, without
    that route) the page sets a script-readable cookie itself instead."""
    path = json.dumps(session_path(config.get_option("server.baseUrlPath") or ""))
    fallback = json.dumps(f"{sessions.COOKIE}={value}; Path=/; Max-Age={sessions.SESSION_SECONDS if value else 0}; "
                          "SameSite=Strict")
    then = "location.reload();" if reload else ""
    return f"""<script>(() => {{
  const secure = location.protocol === "https:";
  fetch({path}, {{method: "POST", credentials: "same-origin", headers: {{"Content-Type": "application/json"}},
                 body: JSON.stringify({{value: {json.dumps(value)}, secure}})}})
    .then(r => {{ if (r.status === 404) document.cookie = {fallback} + (secure ? "; Secure" : ""); }})
    .finally(() => {{ {then} }});
}})();</script>"""


def _session_from_cookie(ws: Workspace) -> str | None:
    """The annotator named by a valid session cookie of this request (reloads, restarts)."""
    try:
        value = st.context.cookies.get(sessions.COOKIE)
    except Exception:  # no request context (tests without a browser)
        return None
    if not isinstance(value, str) or not value:  # (AppTest hands out a mock context)
        return None
    user = sessions.verify(sessions.session_key(ws.root), ws.annotator_table(), value)
    return user.name if user else None


def main() -> None:
    st.set_page_config(page_title="atdkit annotation", layout="wide")
    root = root_argument()
    if not root:
        st.error("No dataset root given: run `atdkit annotate ROOT`.")
        return
    try:
        serve(workspace(str(Path(root).resolve())))
    except AtdkitError as exc:  # a broken table or file: say which, keep serving
        st.error(md_escape(exc))


def serve(ws: Workspace) -> None:
    ss = st.session_state
    if "user" not in ss and not ss.get("logged-out"):
        name = _session_from_cookie(ws)
        if name:
            ss["user"] = name
    name = ss.get("user")
    user = ws.still_active(name) if name else None
    if name and user is None:
        ss.clear()
        ss["clear-cookie"] = True
        st.warning("Your token was revoked; log in again.")
    cookie_slot = st.empty()  # always there, so the page's elements keep their places
    if "set-cookie" in ss:
        # Just logged in: the frames (Streamlit's /media/ files) are served only to requests with
        # the session cookie (media_gate), so nothing is shown before the page reloads with it.
        cookie_slot.html(_cookie_script(ss.pop("set-cookie"), reload=True), unsafe_allow_javascript=True)
        st.info("Logging in… (reload the page if this stays)")
        return
    elif ss.pop("clear-cookie", False):
        cookie_slot.html(_cookie_script(""), unsafe_allow_javascript=True)
    if user is None:
        login(ws)
        return

    from atdkit.annotation_app.views import admin, annotate, review, statistics

    pages = {"Annotate": annotate.render}
    if user.is_admin:
        pages |= {"Review": review.render, "Statistics": statistics.render, "Admin": admin.render}
    with st.sidebar:
        st.markdown(f"Logged in as **{md_escape(user.name)}** ({user.role})")
        page = st.radio("Page", list(pages), key="page", label_visibility="collapsed")
        if st.button("Log out"):
            ss.clear()
            ss["logged-out"] = ss["clear-cookie"] = True
            st.rerun()
        notices = st.container()
    pages[page](ws, user)
    if user.is_admin:  # known once the page has read the labels; paths relative to the root
        for msg in ws.labels.bad_parts:
            notices.warning(f"Skipped {md_escape(msg.replace(str(ws.root.path) + '/', ''))}")


with timings.timed("page"):
    main()
