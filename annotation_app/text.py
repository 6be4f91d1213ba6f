"""Showing untrusted text (ids, names, reasons) safely in Streamlit markdown."""

import re

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def md_escape(text: object) -> str:
    """Backslash-escape every ASCII punctuation character, so markdown, links and HTML
    tags in ``text`` render literally (CommonMark allows escaping any of them)."""
    return _PUNCT.sub(r"\\\1", str(text)).replace("\n", " ")
