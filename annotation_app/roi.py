"""RoI boxes between the drawing canvas (display pixels) and frame2 (full-resolution pixels)."""

from __future__ import annotations

from atdkit.labels.judgements import Box

_ORIGIN = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}
RECT_TYPES = ("rect", "Rect", "LabeledRect")


def box_from_canvas(json_data: dict | None) -> Box | None:
    """The last rectangle drawn on the canvas (Fabric.js JSON), in canvas pixels;
    None when there is none. Scale and origin are applied; negative sizes (a drag
    up or left) are normalised."""
    objects = (json_data or {}).get("objects") or []
    rects = [o for o in objects if isinstance(o, dict) and o.get("type") in RECT_TYPES]
    if not rects:
        return None
    o = rects[-1]
    w = float(o.get("width", 0)) * float(o.get("scaleX", 1))
    h = float(o.get("height", 0)) * float(o.get("scaleY", 1))
    x = float(o.get("left", 0)) - _ORIGIN.get(o.get("originX", "left"), 0.0) * w
    y = float(o.get("top", 0)) - _ORIGIN.get(o.get("originY", "top"), 0.0) * h
    if w < 0:
        x, w = x + w, -w
    if h < 0:
        y, h = y + h, -h
    return Box(x, y, w, h)


def drawing_for(box: Box, stroke: str = "#ff4b00", fill: str = "rgba(255, 75, 0, 0.12)") -> dict:
    """A canvas ``initial_drawing`` holding one rectangle (canvas pixels)."""
    return {"objects": [{
        "type": "Rect", "left": box.x, "top": box.y, "width": box.w, "height": box.h,
        "originX": "left", "originY": "top", "scaleX": 1, "scaleY": 1, "angle": 0,
        "stroke": stroke, "strokeWidth": 2, "fill": fill, "strokeUniform": True,
    }]}
