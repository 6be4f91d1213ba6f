"""Pixels of a synthetic cel film: painted backgrounds, flat outlined pieces, a moving camera.

All drawing is deterministic (OpenCV rasterisation, seeded noise), so the same
plan always renders the same frames.
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from atdkit.synth.plan import STYLES, FilmPlan, Piece, Pose, Shot

SUBPIXEL_BITS = 4  # OpenCV fixed-point shift for anti-aliased polygons


def _smooth_outline(vertices: np.ndarray, per_edge: int = 6) -> np.ndarray:
    """Closed Catmull-Rom spline through the vertices (unit coordinates) → M×2."""
    p = vertices
    k = len(p)
    out = []
    for i in range(k):
        p0, p1, p2, p3 = p[i - 1], p[i], p[(i + 1) % k], p[(i + 2) % k]
        for t in np.linspace(0, 1, per_edge, endpoint=False):
            t2, t3 = t * t, t * t * t
            out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t3))
    return np.asarray(out)


def piece_outline(piece: Piece, pose: Pose) -> np.ndarray:
    """World-coordinate outline (M×2) of a piece in a pose."""
    pts = _smooth_outline(piece.vertices)
    theta = np.arctan2(pts[:, 1], pts[:, 0])
    pts = pts * (1 + pose.wobble * np.sin(3 * theta + piece.pid))[:, None]
    s = 1 + pose.squash
    pts = pts * np.array([s, 1 / s]) * piece.radius * pose.scale
    a = math.radians(pose.angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return pts @ rot.T + np.array([pose.x, pose.y])


def _to_fixed(pts: np.ndarray) -> np.ndarray:
    return np.round(pts * (1 << SUBPIXEL_BITS)).astype(np.int32).reshape(-1, 1, 2)


def outline_px(plan: FilmPlan) -> int:
    return max(1, int(round(STYLES[plan.style]["outline"] * plan.width / 960)))


def draw_piece(img: np.ndarray, piece: Piece, pose: Pose, camera: tuple[float, float], outline: int) -> None:
    cam = np.array(camera)
    pts = piece_outline(piece, pose) - cam
    cv2.fillPoly(img, [_to_fixed(pts)], piece.color, cv2.LINE_AA, SUBPIXEL_BITS)
    cv2.polylines(img, [_to_fixed(pts)], True, (25, 20, 30), outline, cv2.LINE_AA, SUBPIXEL_BITS)
    if piece.eyes:
        a = math.radians(pose.angle)
        r = piece.radius * pose.scale
        for side in (-1, 1):
            ex, ey = side * 0.3 * r, -0.25 * r
            c = np.array([pose.x + ex * math.cos(a) - ey * math.sin(a), pose.y + ex * math.sin(a) + ey * math.cos(a)]) - cam
            axes = (max(1.0, 0.14 * r * (1 + pose.squash)), max(1.0, 0.2 * r / (1 + pose.squash)))
            center = tuple(int(v) for v in np.round(c * (1 << SUBPIXEL_BITS)))
            ax = tuple(int(v) for v in np.round(np.array(axes) * (1 << SUBPIXEL_BITS)))
            cv2.ellipse(img, center, ax, pose.angle, 0, 360, (250, 250, 250), -1, cv2.LINE_AA, SUBPIXEL_BITS)
            cv2.ellipse(img, center, ax, pose.angle, 0, 360, (25, 20, 30), max(1, outline - 1), cv2.LINE_AA, SUBPIXEL_BITS)
            pupil = tuple(int(v) for v in np.round(np.array(axes) * 0.45 * (1 << SUBPIXEL_BITS)))
            cv2.ellipse(img, center, pupil, 0, 0, 360, (20, 20, 20), -1, cv2.LINE_AA, SUBPIXEL_BITS)


def piece_bbox(piece: Piece, pose: Pose, camera: tuple[float, float], width: int, height: int,
               outline: int) -> list[float] | None:
    """Frame-pixel bounding box [x, y, w, h] of the drawn piece, clipped to the frame; None when off-screen."""
    pts = piece_outline(piece, pose) - np.array(camera)
    half = outline / 2 + 1
    x0, y0 = pts.min(axis=0) - half
    x1, y1 = pts.max(axis=0) + half
    x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1)
    if x1 <= x0 or y1 <= y0:
        return None
    return [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2)]


def vertical_margin(plan: FilmPlan) -> int:
    return int(round(0.05 * plan.height))


@lru_cache(maxsize=8)
def _background_cached(plan_key: tuple, bg_seed: int) -> np.ndarray:
    width, height, style, margin, vm = plan_key
    rng = np.random.default_rng(bg_seed)
    st = STYLES[style]
    h, w = height + 2 * vm, width + margin
    top, bottom = np.array(st["sky"][0], float), np.array(st["sky"][1], float)
    tint = rng.uniform(-40, 40, 3) * (1 if st["sat"] else 0) + rng.uniform(-15, 15)
    grad = np.linspace(0, 1, h)[:, None, None]
    img = (top + (bottom - top) * grad + tint) * np.ones((1, w, 1))
    # painted texture: soft multi-scale noise, like brush work on a background painting
    for scale, amp in ((64, 14.0), (16, 6.0)):
        noise = rng.normal(0, 1, (h // scale + 2, w // scale + 2)).astype(np.float32)
        noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC)
        img += amp * noise[..., None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    ground = tuple(int(v) for v in np.clip(np.array(st["ground"]) + rng.uniform(-30, 30, 3) * (st["sat"] > 0), 0, 255))
    xs = np.arange(0, w + 8, 8)
    horizon = h * rng.uniform(0.55, 0.7) + np.sin(xs / w * rng.uniform(2, 6) * np.pi + rng.uniform(0, 6)) * h * 0.05
    hill = np.concatenate([np.stack([xs, horizon], 1), [[w, h], [0, h]]]).astype(np.int32)
    cv2.fillPoly(img, [hill], ground, cv2.LINE_AA)
    for _ in range(int(rng.integers(2, 5))):  # background props: painted, softly outlined
        cx, cy = rng.uniform(0, w), rng.uniform(0.3 * h, 0.6 * h)
        bw, bh = rng.uniform(0.04, 0.1) * w, rng.uniform(0.1, 0.25) * h
        col = tuple(int(v) for v in np.clip(np.array(ground) * rng.uniform(0.6, 1.3), 0, 255))
        pts = np.array([[cx - bw, cy + bh], [cx - bw, cy], [cx, cy - bh * 0.6], [cx + bw, cy], [cx + bw, cy + bh]], np.int32)
        cv2.fillPoly(img, [pts], col, cv2.LINE_AA)
        cv2.polylines(img, [pts], True, (60, 50, 50), 2, cv2.LINE_AA)
    img = cv2.GaussianBlur(img, (3, 3), 0)
    return img


def background(plan: FilmPlan, shot: Shot) -> np.ndarray:
    """The painted background canvas of a shot, RGB uint8, (H + 2·vm) × (W + pan margin)."""
    return _background_cached((plan.width, plan.height, plan.style, plan.pan_margin, vertical_margin(plan)), shot.bg_seed)


def render_frame(plan: FilmPlan, frame: int) -> np.ndarray:
    """Frame ``frame`` of the film as H×W×3 uint8 RGB."""
    shot = plan.shot_of(frame)
    cx, cy = shot.camera(frame)
    vm = vertical_margin(plan)
    m = np.float32([[1, 0, -cx], [0, 1, -(cy + vm)]])
    img = cv2.warpAffine(background(plan, shot), m, (plan.width, plan.height), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT)
    t = shot.drawing_time(frame)
    outline = outline_px(plan)
    for piece in shot.pieces:
        draw_piece(img, piece, piece.pose(t), (cx, cy), outline)
    return img
