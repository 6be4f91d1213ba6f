"""Procedural cel-animation films with ground truth: ``synthesize(out, …)`` / ``atdkit synth OUT.mp4``.

The film is H.264 in MP4 (PyAV); beside it, ``<name>.truth.json`` records per
frame the shot index, whether the drawing is held from the previous frame, the
drawing id, the camera offset, per piece its kind, motion type, behaviour,
pose, frame-pixel bounding box and the timing curve of its move, and
``middle``: for each stride g of :data:`~atdkit.synth.timing.MIDDLE_STRIDES`,
the triplet (f − g, f, f + g) centred on the frame — how far (px) its true
middle lies from the linear midpoint and which timing curve produced it (see
:mod:`atdkit.synth.timing`). The top level records the timing mix
(``nonlinear_share``, see :mod:`atdkit.synth.plan`). Same arguments (seed
included) ⇒ same film and same sidecar.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from atdkit.errors import BadArgument, BadInput
from atdkit.store.atomic import write_text
from atdkit.synth.plan import DEFAULT_NONLINEAR_SHARE, STYLES, FilmPlan, make_plan
from atdkit.synth.render import outline_px, piece_bbox, render_frame
from atdkit.synth.timing import MIDDLE_STRIDES, middle_offset
from atdkit.video.writer import check_encodable_size, write_h264

TRUTH_SUFFIX = ".truth.json"


def truth_path(video: str | os.PathLike) -> Path:
    """The ground-truth sidecar of a synthetic film: ``film.mp4`` → ``film.truth.json``."""
    p = Path(video)
    return p.with_name(p.stem + TRUTH_SUFFIX)


def ground_truth(plan: FilmPlan) -> dict[str, Any]:
    """Per-frame ground truth of a plan (JSON-ready)."""
    frames = []
    drawing = -1
    prev_key = None
    outline = outline_px(plan)
    for f in range(plan.n_frames):
        shot = plan.shot_of(f)
        key = (shot.index, shot.drawing_time(f))
        held = key == prev_key
        if not held:
            drawing += 1
        cam = shot.camera(f)
        t = shot.drawing_time(f)
        pieces = []
        for p in shot.pieces:
            pose = p.pose(t)
            prev_pose = p.pose(shot.drawing_time(f - 1)) if f > shot.start else pose
            pieces.append({"id": f"{shot.index}.{p.pid}", "kind": p.kind, "motion": p.motion, "behavior": p.behavior,
                           "moving": not (shot.hold_all or p.still), "changed": pose != prev_pose,
                           "curve": p.curve(t),
                           "pose": [round(v, 4) for v in pose.astuple()],
                           "bbox": piece_bbox(p, pose, cam, plan.width, plan.height, outline)})
        frames.append({"frame": f, "shot": shot.index, "cut_before": f == shot.start and f > 0, "held": held,
                       "drawing": drawing, "cadence": shot.cadence, "pan_hold": shot.hold_all,
                       "camera": [round(cam[0], 4), round(cam[1], 4)], "pieces": pieces,
                       "middle": {str(g): {"offset_px": m[0], "curve": m[1]} for g in MIDDLE_STRIDES
                                  if (m := middle_offset(plan, f, g)) is not None}})
        prev_key = key
    return {"width": plan.width, "height": plan.height, "fps": plan.fps, "n_frames": plan.n_frames,
            "seed": plan.seed, "style": plan.style, "nonlinear_share": plan.nonlinear_share,
            "n_shots": len(plan.shots), "frames": frames}


def synthesize(out: str | os.PathLike, length_s: float = 4.0, fps: float = 24, width: int = 960, height: int = 540,
               seed: int = 0, style: str = "cel", progress: bool = False,
               nonlinear_share: float = DEFAULT_NONLINEAR_SHARE) -> Path:
    """Render and encode a synthetic film to ``out`` (MP4) plus its truth sidecar; returns ``out``.
    ``nonlinear_share``: the share of moves with eased or overshooting timing (see :mod:`atdkit.synth.plan`)."""
    out = Path(out)
    try:
        check_encodable_size(width, height)
    except BadInput as exc:
        raise BadArgument(f"{out}: {exc}") from None
    if style not in STYLES:
        raise BadArgument(f"{out}: unknown style {style!r} (choose {', '.join(STYLES)})")
    if not fps > 0:
        raise BadArgument(f"{out}: fps must be positive, got {fps}")
    if not 0.0 <= nonlinear_share <= 1.0:
        raise BadArgument(f"{out}: nonlinear share must be in [0, 1], got {nonlinear_share}")
    n_frames = int(round(length_s * fps))
    if n_frames < 3:
        raise BadArgument(f"{out}: length {length_s}s at {fps} fps gives {n_frames} frames (need at least 3)")
    plan = make_plan(n_frames, fps, width, height, seed, style, nonlinear_share)
    frames = (render_frame(plan, f) for f in range(n_frames))
    if progress:
        from tqdm.auto import tqdm

        frames = tqdm(frames, total=n_frames, desc=f"synth {out.name}", unit="frame")
    write_h264(out, frames, fps=fps)
    write_text(truth_path(out), json.dumps(ground_truth(plan), separators=(",", ":")) + "\n")
    return out


def load_truth(video: str | os.PathLike) -> dict[str, Any] | None:
    """The sidecar of a synthetic film, or None when the film has none."""
    p = truth_path(video)
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInput(f"{p}: unreadable ground-truth sidecar ({exc})") from exc


def film_styles(films: list[str | os.PathLike]) -> dict[str, str]:
    """``str(film)`` → the style its sidecar records, for the synthetic films among ``films``
    (what ``atdkit mine`` and the demo record in ``films.parquet``; films without a readable
    sidecar are left out)."""
    styles = {}
    for film in films:
        try:
            truth = load_truth(film)
        except BadInput:
            continue
        if truth and truth.get("style"):
            styles[str(film)] = truth["style"]
    return styles


__all__ = ["STYLES", "film_styles", "ground_truth", "load_truth", "synthesize", "truth_path"]
