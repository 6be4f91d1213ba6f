"""The task view's keyboard: every label and every action has a key, and the keys work
whatever has focus (a radio button just clicked included), except while typing in a text
field (Escape leaves it).

Label keys come from ``atdkit.store.label_fields.LABEL_FIELDS``; the action and reject-reason
keys are declared here. One small script in the page maps a key to a click on the button or
radio option it names, so a key does exactly what the click does (same rerun, same checks).
"""

from __future__ import annotations

import json

from atdkit.store.label_fields import LABEL_FIELDS
from atdkit.store.schema import REJECT_REASONS

# action → key; the buttons' labels end with the key in brackets, e.g. "Accept & submit (A)"
ACTION_KEYS = {"accept": "a", "reject": "x", "skip": "s", "edit": "u", "proposal": "p",
               "back": "j", "play": "k", "forward": "l"}
REASON_KEYS = "zcvbn"  # one per REJECT_REASONS, in order
REASON_TITLE = "Reject reason"

if len(REASON_KEYS) != len(REJECT_REASONS):
    raise ValueError(f"{len(REASON_KEYS)} reject-reason keys for {len(REJECT_REASONS)} reasons")


def label(text: str, action: str) -> str:
    """A button label that names its key: ``label("Skip", "skip")`` → ``"Skip (S)"``."""
    return f"{text} ({ACTION_KEYS[action].upper()})"


def radio_title(title: str, keys: str) -> str:
    """A radio group's label that lists its keys in option order."""
    return f"{title} (keys {' '.join(keys.upper())})"


def key_map(buttons: dict[str, str]) -> dict[str, dict]:
    """key → what it clicks: ``{"button": label}`` or ``{"radio": group label, "value": option}``.
    ``buttons``: action → the button label shown on the page."""
    out: dict[str, dict] = {ACTION_KEYS[a]: {"button": text} for a, text in buttons.items()}
    for lf in LABEL_FIELDS:
        group = radio_title(lf.title, lf.keys)
        out.update({k: {"radio": group, "value": v} for k, v in zip(lf.keys, lf.values)})
    group = radio_title(REASON_TITLE, REASON_KEYS)
    out.update({k: {"radio": group, "value": v} for k, v in zip(REASON_KEYS, REJECT_REASONS)})
    return out


_SCRIPT = """
(() => {
  const MAP = %s;
  if (window.__atdkitKeys) { window.__atdkitKeys.map = MAP; return; }
  window.__atdkitKeys = {map: MAP};
  const typing = el => el && (el.tagName === "TEXTAREA" || el.isContentEditable ||
      (el.tagName === "INPUT" && !["radio", "checkbox", "button", "range"].includes(el.type)));
  const live = el => !el.closest('[data-stale="true"]');  // not a leftover of the previous rerun
  const button = text => [...document.querySelectorAll("button")]
      .find(b => b.innerText.trim() === text && !b.disabled && live(b));
  const option = (group, value) => {
    const g = [...document.querySelectorAll('[data-testid="stRadio"]')].filter(live).find(g =>
        (g.querySelector('[data-testid="stWidgetLabel"]') || {innerText: ""}).innerText.trim() === group);
    return g && [...g.querySelectorAll("label")].find(l => l.innerText.trim() === value);
  };
  window.addEventListener("keydown", ev => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    const el = document.activeElement;
    if (typing(el)) { if (ev.key === "Escape") el.blur(); return; }
    const what = window.__atdkitKeys.map[ev.key.toLowerCase()];
    if (!what) return;
    ev.preventDefault(); ev.stopPropagation();
    if (el && el !== document.body && el.blur) el.blur();
    pending.push({what, tries: 600});
    if (pending.length === 1) pump();
  }, true);
  // Keys are pressed in the order they were typed, one after the other. During a rerun every
  // element is a leftover: the key at the head waits for the new ones (up to 60 s: a loaded
  // server takes seconds) and the keys after it wait behind it, so a label key typed before A
  // always reaches the server before the submission (never drop a key, never reorder two).
  const pending = [];
  const pump = () => {
    while (pending.length) {
      const head = pending[0];
      const target = head.what.button ? button(head.what.button) : option(head.what.radio, head.what.value);
      if (!target && head.tries-- > 0) { setTimeout(pump, 100); return; }
      pending.shift();
      if (target) { target.click(); if (pending.length) { setTimeout(pump, 0); return; } }
    }
  };
})();
"""


def script(buttons: dict[str, str]) -> str:
    """The page script for ``buttons`` (action → label), as HTML for ``st.html``."""
    return "<script>" + _SCRIPT % json.dumps(key_map(buttons)) + "</script>"
