"""RoI boxes from the page component, the proposal fallback, and escaping untrusted text."""

import pytest

from atdkit.annotation_app.roi import MIN_BOX_PX, box_from_component
from atdkit.annotation_app.text import md_escape
from atdkit.annotation_app.workspace import proposal_box
from atdkit.labels.judgements import Box


def test_a_box_from_the_component_is_four_finite_numbers_at_least_min_box_px():
    assert box_from_component([10, 20.5, 30, 40]) == Box(10, 20.5, 30, 40)
    assert box_from_component((0, 0, MIN_BOX_PX, MIN_BOX_PX)) == Box(0, 0, MIN_BOX_PX, MIN_BOX_PX)
    for bad in (None, [], [1, 2, 3], [1, 2, 3, 4, 5], [0, 0, MIN_BOX_PX - 1, 50], [0, 0, 50, 0.5],
                [0, 0, float("nan"), 9], ["a", 0, 9, 9], {"x": 1}, "1,2,3,4"):
        assert box_from_component(bad) is None, bad


def test_proposal_box_clips_and_falls_back_to_centre():
    assert proposal_box({"prop_x": 10.0, "prop_y": 5.0, "prop_w": 500.0, "prop_h": 20.0}, 100, 50) == Box(10, 5, 90, 20)
    assert proposal_box({"prop_x": float("nan")}, 100, 50) == Box(25, 12.5, 50, 25)
    assert proposal_box({"prop_x": 200.0, "prop_y": 0.0, "prop_w": 5.0, "prop_h": 5.0}, 100, 50) == Box(25, 12.5, 50, 25)


def test_md_escape_neutralises_markdown_and_html():
    text = '<script>alert(1)</script> **b** [x](javascript:y)'
    out = md_escape(text)
    assert "<" not in out.replace("\\<", "") and "[" not in out.replace("\\[", "")
    assert out.replace("\\", "") == text
