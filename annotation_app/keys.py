"""The task view's keyboard: every label and every action has a key, and the keys work
whatever has focus (a radio button just clicked included), except while typing in a text
field (Escape leaves it).

Label keys come from ``atdkit.store.label_fields.LABEL_FIELDS``; the action and reject-reason
keys are declared here. One small script in the page maps a key to a click on the button or
radio option it names, so a key does exactly what the click does (same rerun, same checks).
The widgets of one triplet are named by their Streamlit key (``accept-<id>``, ``motion_type-<id>``,
…), so a key pressed while triplet T is on screen clicks T's own widget, never the widget of a
triplet drawn before or after it that happens to carry the same label.
"""

from __future__ import annotations

import json
import re

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


def widget_class(key: str) -> str:
    """The CSS class Streamlit gives the element of the widget with ``key`` (``st-key-…``)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def key_map(page_buttons: dict[str, str], widgets: dict[str, str] | None = None,
            tid: str | None = None) -> dict[str, dict]:
    """key → what it clicks: ``{"button": label}`` (a plain page button, found by its text, that
    reruns nothing: the player's), ``{"widget": class}`` (the Streamlit button with that key) or
    ``{"widget": class, "value": option}`` (an option of the Streamlit radio with that key).
    ``page_buttons``: action → label; ``widgets``: action → the Streamlit key of its button;
    ``tid``: the triplet on screen, whose label and reason radios (keys ``<field>-<tid>``,
    ``reason-<tid>``) get keys (none without a triplet)."""
    out: dict[str, dict] = {ACTION_KEYS[a]: {"button": text} for a, text in page_buttons.items()}
    out.update({ACTION_KEYS[a]: {"widget": widget_class(k)} for a, k in (widgets or {}).items()})
    if tid is None:
        return out
    for lf in LABEL_FIELDS:
        group = widget_class(f"{lf.name}-{tid}")
        out.update({k: {"widget": group, "value": v} for k, v in zip(lf.keys, lf.values)})
    group = widget_class(f"reason-{tid}")
    out.update({k: {"widget": group, "value": v} for k, v in zip(REASON_KEYS, REJECT_REASONS)})
    return out


_SCRIPT = """
(() => {
  const MAP = %s;
  if (window.__atdkitKeys) { window.__atdkitKeys.map = MAP; return; }
  window.__atdkitKeys = {map: MAP};
  const typing = el => el && (el.tagName === "TEXTAREA" || el.isContentEditable ||
      (el.tagName === "INPUT" && !["radio", "checkbox", "button", "range"].includes(el.type)));
  const live = el => !el.closest('[data-stale="true"]');  // not a leftover of the previous rerun
  const usable = b => b && !b.disabled && live(b);
  const target = what => {
    if (what.button)
      return [...document.querySelectorAll("button")].find(b => b.innerText.trim() === what.button && usable(b));
    const box = [...document.querySelectorAll("." + what.widget)].find(live);
    if (!box) return null;
    if (what.value === undefined) return [...box.querySelectorAll("button")].find(usable);
    return [...box.querySelectorAll("label")].find(l => l.innerText.trim() === what.value);
  };
  // Streamlit's run state ("running", "rerunRequested", "notRunning"), as its own tests read it
  const running = () => ["running", "rerunRequested"].includes(
      (document.querySelector('[data-testid="stApp"]') || {dataset: {}}).dataset.testScriptState);
  window.addEventListener("keydown", ev => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    const el = document.activeElement;
    if (typing(el)) { if (ev.key === "Escape") el.blur(); return; }
    const key = ev.key.toLowerCase();
    if (!window.__atdkitKeys.map[key]) return;
    ev.preventDefault(); ev.stopPropagation();
    if (el && el !== document.body && el.blur) el.blur();
    pending.push({key, until: Date.now() + 60000});
    if (pending.length === 1) pump();
  }, true);
  // Keys are pressed in the order they were typed, one at a time, each on a page at rest: a
  // Streamlit widget is clicked only while no script run is going on or asked for (a click on
  // a widget of a run still being drawn can be lost) and the key after a button waits for the
  // run that button causes to end (up to 60 s each: a loaded server takes seconds); label
  // options are in the task view's form, so they rerun nothing and A sends them. Never drop a
  // key, never reorder two. What a key clicks is looked up when its turn comes, in the map of
  // the triplet on screen then (the page replaces the map first thing when it shows another
  // triplet).
  const pending = [];
  let clicked = null;  // {at, seenRunning} after a click on a Streamlit widget
  const pump = () => {
    while (pending.length) {
      if (clicked) {  // the run the last click caused: seen starting and ended (or none within 300 ms)
        if (running()) clicked.seenRunning = true;
        if (running() || (!clicked.seenRunning && Date.now() - clicked.at < 300)) { setTimeout(pump, 20); return; }
        clicked = null;
      }
      const head = pending[0], what = window.__atdkitKeys.map[head.key];
      const el = what && !(what.widget && running()) ? target(what) : null;
      if (!el && what && Date.now() < head.until) { setTimeout(pump, 50); return; }
      pending.shift();
      if (el) {
        el.click();
        if (what.widget && what.value === undefined) clicked = {at: Date.now(), seenRunning: false};
      }
    }
  };
})();
"""


def script(page_buttons: dict[str, str], widgets: dict[str, str] | None = None, tid: str | None = None) -> str:
    """The page script for :func:`key_map`'s arguments, as HTML for ``st.html``."""
    return "<script>" + _SCRIPT % json.dumps(key_map(page_buttons, widgets, tid)) + "</script>"
