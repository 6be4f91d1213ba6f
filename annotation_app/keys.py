"""The keyboard of the task panel: every label and every action has a key, and the keys work
whatever has focus (a radio button just clicked included), except while typing in a text
field (Escape leaves it).

Label keys come from ``atdkit.store.label_fields.LABEL_FIELDS``; the action and reject-reason
keys are declared here. The panel (``task_panel.js``) reads the map of :func:`key_map`: a key
does in the browser what the click on the same control does (a label or the box at once, a
submission as one message to the server naming the triplet on screen).
"""

from __future__ import annotations

from atdkit.store.label_fields import LABEL_FIELDS
from atdkit.store.schema import REJECT_REASONS

# action → key; the buttons' labels end with the key in brackets, e.g. "Accept & submit (A)"
ACTION_KEYS = {"accept": "a", "reject": "x", "skip": "s", "edit": "u", "proposal": "p",
               "back": "j", "play": "k", "forward": "l"}
PLAYER_ACTIONS = ("back", "play", "forward")
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


def key_map(judging: bool) -> dict[str, dict]:
    """key → what it does in the panel: ``{"action": name}`` (a button) or ``{"field": name,
    "value": option}`` (a label option, ``field`` "reason" for the reject reasons). Without
    ``judging`` (frames shown for review) only the player's keys."""
    actions = ACTION_KEYS if judging else {a: ACTION_KEYS[a] for a in PLAYER_ACTIONS}
    out: dict[str, dict] = {k: {"action": a} for a, k in actions.items()}
    if judging:
        for lf in LABEL_FIELDS:
            out.update({k: {"field": lf.name, "value": v} for k, v in zip(lf.keys, lf.values)})
        out.update({k: {"field": "reason", "value": v} for k, v in zip(REASON_KEYS, REJECT_REASONS)})
    return out
