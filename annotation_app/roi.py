"""The RoI box on frame2: a small page component (frame2 and one box; drag to draw a new box)
and the checks on what it sends back. Boxes here are in canvas (display) pixels; the task
view scales them to frame2's full resolution.

The component sends the box only when a drag ends with a box at least ``MIN_BOX_PX`` wide and
high (a click keeps the box there was); it sends nothing when it mounts, so showing a triplet
costs no extra rerun.
"""

from __future__ import annotations

import base64
import functools
import math
from dataclasses import astuple

import streamlit as st

from atdkit.labels.judgements import Box

MIN_BOX_PX = 4  # canvas pixels: a rectangle narrower or lower than this is a click, not a drawn box

_CSS = """
.atdkit-roi { position: relative; max-width: 100%; user-select: none; touch-action: none; cursor: crosshair; }
.atdkit-roi img { display: block; width: 100%; height: 100%; pointer-events: none; }
.atdkit-roi-box { position: absolute; box-sizing: border-box; border: 2px solid #ff4b00;
                  background: rgba(255, 75, 0, 0.12); pointer-events: none; }
"""

# data: {image: data URL of frame2 at the canvas size, width, height: canvas px, box: [x, y, w, h], min: px}
_JS = """
export default function ({ data, setStateValue, parentElement }) {
  let stage = parentElement.querySelector(".atdkit-roi");
  if (!stage) {
    stage = document.createElement("div");
    stage.className = "atdkit-roi";
    stage.dataset.testid = "atdkit-roi";
    stage.innerHTML = '<img alt="frame2 for the RoI" draggable="false"><div class="atdkit-roi-box"></div>';
    parentElement.appendChild(stage);
  }
  const img = stage.querySelector("img"), frame = stage.querySelector(".atdkit-roi-box");
  if (img.getAttribute("src") !== data.image) img.src = data.image;
  stage.style.width = data.width + "px";
  stage.style.aspectRatio = data.width + " / " + data.height;
  const draw = b => {
    const [x, y, w, h] = b.map(v => 100 * v);
    Object.assign(frame.style, {left: x / data.width + "%", top: y / data.height + "%",
                                width: w / data.width + "%", height: h / data.height + "%"});
  };
  let kept = data.box;
  draw(kept);
  const at = ev => {  // canvas px, inside the frame
    const r = stage.getBoundingClientRect();
    return [Math.min(Math.max((ev.clientX - r.left) * data.width / r.width, 0), data.width),
            Math.min(Math.max((ev.clientY - r.top) * data.height / r.height, 0), data.height)];
  };
  let start = null;
  const spanned = ev => {
    const [x, y] = at(ev);
    return [Math.min(x, start[0]), Math.min(y, start[1]), Math.abs(x - start[0]), Math.abs(y - start[1])];
  };
  stage.onpointerdown = ev => { if (ev.button !== 0) return; start = at(ev); stage.setPointerCapture(ev.pointerId); };
  stage.onpointermove = ev => { if (start) draw(spanned(ev)); };
  stage.onpointerup = ev => {
    if (!start) return;
    const box = spanned(ev);
    start = null;
    if (box[2] >= data.min && box[3] >= data.min) { kept = box; setStateValue("box", box); }
    draw(kept);  // a click (or a box too small) keeps the box there was
  };
  stage.onpointercancel = () => { start = null; draw(kept); };
}
"""

@functools.cache
def _roi_component():
    """Registered once per process, on first use inside a running app."""
    return st.components.v2.component("atdkit.roi_box", css=_CSS, js=_JS, isolate_styles=False)


def box_from_component(value) -> Box | None:
    """The box the component sent (``[x, y, w, h]``, canvas px), or None when there is none or it
    is not a box of at least ``MIN_BOX_PX`` with finite coordinates."""
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        return None
    try:
        x, y, w, h = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w < MIN_BOX_PX or h < MIN_BOX_PX:
        return None
    return Box(x, y, w, h)


def draw_box(key: str, jpeg: bytes, size: tuple[int, int], box: Box) -> Box | None:
    """Show frame2 (``jpeg``, ``size`` = (width, height) canvas px) with ``box``; the box the
    annotator has drawn since it was mounted under ``key``, or None."""
    result = _roi_component()(
        key=key, data={"image": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
                       "width": size[0], "height": size[1], "box": list(astuple(box)), "min": MIN_BOX_PX},
        default={"box": None}, on_box_change=lambda: None, width="content")
    return box_from_component(result.get("box"))
