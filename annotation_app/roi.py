"""RoI boxes between the drawing canvas (display pixels) and frame2 (full-resolution pixels)."""

from __future__ import annotations

from atdkit.labels.judgements import Box

_ORIGIN = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}
RECT_TYPES = ("rect", "Rect", "LabeledRect")
MIN_BOX_PX = 4  # canvas pixels: a rectangle narrower or lower than this is a click, not a drawn box


def boxes_from_canvas(json_data: dict | None) -> list[Box]:
    """Every rectangle on the canvas (Fabric.js JSON), oldest first, in canvas pixels.
    Scale and origin are applied; negative sizes (a drag up or left) are normalised."""
    objects = (json_data or {}).get("objects") or []
    boxes = []
    for o in objects:
        if not isinstance(o, dict) or o.get("type") not in RECT_TYPES:
            continue
        w = float(o.get("width", 0)) * float(o.get("scaleX", 1))
        h = float(o.get("height", 0)) * float(o.get("scaleY", 1))
        x = float(o.get("left", 0)) - _ORIGIN.get(o.get("originX", "left"), 0.0) * w
        y = float(o.get("top", 0)) - _ORIGIN.get(o.get("originY", "top"), 0.0) * h
        if w < 0:
            x, w = x + w, -w
        if h < 0:
            y, h = y + h, -h
        boxes.append(Box(x, y, w, h))
    return boxes


def drawing_for(box: Box, stroke: str = "#ff4b00", fill: str = "rgba(255, 75, 0, 0.12)") -> dict:
    """A canvas ``initial_drawing`` holding one rectangle (canvas pixels)."""
    return {"objects": [{
        "type": "Rect", "left": box.x, "top": box.y, "width": box.w, "height": box.h,
        "originX": "left", "originY": "top", "scaleX": 1, "scaleY": 1, "angle": 0,
        "stroke": stroke, "strokeWidth": 2, "fill": fill, "strokeUniform": True,
    }]}
