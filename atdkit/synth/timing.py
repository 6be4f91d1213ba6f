"""How far the true middle drawing of a triplet lies from the linear midpoint of its neighbours.

For a triplet of frames (f − g, f, f + g) of one shot, every point of every
piece's outline is placed in frame pixels (camera included) at the three
frames; the piece's offset is the mean distance between the point in frame f
and the midpoint of its positions in frames f ± g. The triplet's offset is
the largest over its pieces and the camera (whose offset moves the whole
background). Units: pixels of the film's frame size. An evenly timed
translation has offset 0; rotations bend their points' paths a little even
when evenly timed (a chord is not an arc).

Its curve says what produced that largest offset: the camera's ease for the
camera; for a piece, ``uneven drawings`` when the middle drawing is not
halfway in drawing time (threes sampled at a stride of 2, say), ``move
change`` when the triplet spans a keyframe (the piece turns or starts another
move), else the timing curve of the move under way (:data:`~atdkit.synth.plan.TIMING_CURVES`).
"""

from __future__ import annotations

import numpy as np

from atdkit.synth.plan import FilmPlan, Piece
from atdkit.synth.render import piece_outline

MIDDLE_STRIDES = (1, 2, 3)  # the frame strides the truth records (the miner's default strides)
UNEVEN_DRAWINGS = "uneven drawings"
MOVE_CHANGE = "move change"


def _cause(piece: Piece, t1: int, t2: int, t3: int) -> str:
    if t2 - t1 != t3 - t2:
        return UNEVEN_DRAWINGS
    if any(t1 < k < t3 for k, _, _ in piece.keys):
        return MOVE_CHANGE
    return piece.curve(t2)


def middle_offset(plan: FilmPlan, frame: int, stride: int) -> tuple[float, str] | None:
    """(offset px, timing curve) of the triplet (frame − stride, frame, frame + stride); None when it spans a
    cut or leaves the film."""
    f1, f3 = frame - stride, frame + stride
    if f1 < 0 or f3 >= plan.n_frames:
        return None
    shot = plan.shot_of(frame)
    if not (shot.start <= f1 and f3 < shot.end):
        return None
    cams = [np.array(shot.camera(f)) for f in (f1, frame, f3)]
    best = (float(np.hypot(*(cams[1] - (cams[0] + cams[2]) / 2))), shot.camera_ease)
    if shot.hold_all:
        return best
    t1, t2, t3 = (shot.drawing_time(f) for f in (f1, frame, f3))
    for piece in shot.pieces:
        if piece.still:
            continue
        a, b, c = (piece_outline(piece, piece.pose(t)) - cam for t, cam in zip((t1, t2, t3), cams))
        offset = float(np.linalg.norm(b - (a + c) / 2, axis=1).mean())
        if offset > best[0]:
            best = (offset, _cause(piece, t1, t2, t3))
    return round(best[0], 3), best[1]
