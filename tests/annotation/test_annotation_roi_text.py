"""What the task panel sends, the proposal fallback, and escaping untrusted text."""

import pytest

from atdkit.annotation_app.task_panel import read_action
from atdkit.annotation_app.text import md_escape
from atdkit.annotation_app.workspace import proposal_box
from atdkit.errors import BadInput
from atdkit.labels.judgements import Box


def test_the_panel_s_action_is_read_strictly_and_names_its_triplet():
    sent = {"action": "accept", "tid": "f-1", "seq": 7, "labels": {"motion_type": "rotation", "bogus": "x"},
            "reason": None, "note": "", "box": [10, 20.5, 30, 40]}
    a = read_action(sent)
    assert (a.action, a.tid, a.seq, a.box) == ("accept", "f-1", 7, Box(10, 20.5, 30, 40))
    assert a.labels == {"difficulty": None, "motion_type": "rotation", "behavior": None}  # only known fields
    assert read_action({"action": "edit", "tid": None, "seq": 8}).tid is None
    for bad in (None, "accept", {"action": "delete", "tid": "f-1", "seq": 1}, {"action": "skip", "seq": 1},
                {"action": "accept", "tid": "f-1"}, {"action": "accept", "tid": "f-1", "seq": True},
                {**sent, "box": [0, 0, float("nan"), 9]}, {**sent, "box": [1, 2, 3]}, {**sent, "box": ["a", 0, 9, 9]},
                {**sent, "labels": ["rotation"]}, {**sent, "reason": 3}, {**sent, "tid": 5}):
        with pytest.raises(BadInput, match="the page sent"):
            read_action(bad)


def test_proposal_box_clips_and_falls_back_to_centre():
    assert proposal_box({"prop_x": 10.0, "prop_y": 5.0, "prop_w": 500.0, "prop_h": 20.0}, 100, 50) == Box(10, 5, 90, 20)
    assert proposal_box({"prop_x": float("nan")}, 100, 50) == Box(25, 12.5, 50, 25)
    assert proposal_box({"prop_x": 200.0, "prop_y": 0.0, "prop_w": 5.0, "prop_h": 5.0}, 100, 50) == Box(25, 12.5, 50, 25)


def test_md_escape_neutralises_markdown_and_html():
    text = '<script>alert(1)</script> **b** [x](javascript:y)'
    out = md_escape(text)
    assert "<" not in out.replace("\\<", "") and "[" not in out.replace("\\[", "")
    assert out.replace("\\", "") == text
