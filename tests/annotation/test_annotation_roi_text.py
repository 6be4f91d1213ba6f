"""Canvas boxes ↔ frame2 pixels, the proposal fallback, and escaping untrusted text."""

import pytest

from atdkit.annotation_app.roi import boxes_from_canvas, drawing_for
from atdkit.annotation_app.text import md_escape
from atdkit.annotation_app.workspace import proposal_box
from atdkit.labels.judgements import Box


def test_boxes_from_canvas_applies_scale_origin_and_sign():
    json_data = {"objects": [
        {"type": "path", "left": 1},
        {"type": "rect", "left": 10, "top": 20, "width": 30, "height": 40, "scaleX": 2, "scaleY": 0.5},
        {"type": "Rect", "left": 50, "top": 50, "width": 20, "height": 10, "originX": "center", "originY": "bottom"},
        {"type": "LabeledRect", "left": 100, "top": 100, "width": -20, "height": -10},
    ]}
    assert boxes_from_canvas(json_data) == [Box(10, 20, 60, 20), Box(40, 40, 20, 10), Box(80, 90, 20, 10)]
    assert boxes_from_canvas(None) == [] and boxes_from_canvas({"objects": []}) == []
    assert boxes_from_canvas(drawing_for(Box(1, 2, 3, 4))) == [Box(1, 2, 3, 4)]


def test_proposal_box_clips_and_falls_back_to_centre():
    assert proposal_box({"prop_x": 10.0, "prop_y": 5.0, "prop_w": 500.0, "prop_h": 20.0}, 100, 50) == Box(10, 5, 90, 20)
    assert proposal_box({"prop_x": float("nan")}, 100, 50) == Box(25, 12.5, 50, 25)
    assert proposal_box({"prop_x": 200.0, "prop_y": 0.0, "prop_w": 5.0, "prop_h": 5.0}, 100, 50) == Box(25, 12.5, 50, 25)


def test_md_escape_neutralises_markdown_and_html():
    text = '<script>alert(1)</script> **b** [x](javascript:y)'
    out = md_escape(text)
    assert "<" not in out.replace("\\<", "") and "[" not in out.replace("\\[", "")
    assert out.replace("\\", "") == text
