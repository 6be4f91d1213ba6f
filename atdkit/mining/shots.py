"""Shots and drawings: hard cuts, held drawings (also under camera pans), cadence per run of drawings.

Every frame is compared with the previous one on a small grayscale thumbnail
(luma, area-downscaled, so re-encode noise averages away) and classified as:

- ``hold``: the same drawing, camera still — almost no thumbnail pixel changes;
- ``pan``: the same drawing under a camera move — after undoing the global shift
  (phase correlation, refined to sub-pixel by Lucas–Kanade; the kernels are
  :mod:`atdkit.ops.global_motion`) almost no pixel changes. A pan over a held
  drawing is a hold of the drawing, not new drawings;
- ``change``: a new drawing in the same shot;
- ``cut``: a new shot. A cut must pass every test below, cheapest first, so large
  motion inside a shot (a hand sweeping across a face, an eye opening, a
  close-up whose framing jumps) is not taken for one:

  1. a large part of the frame changes even after undoing the global shift
     (``cut_fraction``);
  2. the colour distribution moves: RGB histograms of a nearest-neighbour sample
     of the pixels (``cut_hist``, Bhattacharyya distance);
  3. motion compensation cannot explain the new frame, over a window: each of
     the last ``cut_window`` frames is warped onto the new one by dense optical
     flow (DIS, preset "fast", on the thumbnails at half size, 160 px wide, which
     phase correlation has already made), and less than ``cut_matched`` of the
     new frame's pixels are reproduced (within ``match_tolerance`` levels) by at
     least one of them (:func:`atdkit.ops.optical_flow.matched_pixels`). Large
     in-shot motion moves pixels but keeps them — what a fast sweep covers in one
     frame was visible a frame or two before — while a cut replaces them. On the
     15 cuts of five 640×360 synthetic films (three styles) 3–37 % of pixels
     match (the monochrome film's, whose flat areas share grays, the most); in
     shot, a hand sweeping across a face close-up at 40 % of the frame width per
     frame leaves 58 % or more;
  4. the two frames are not views of the same scene: ORB features matched
     between them do not agree on one homography (OpenCV's USAC LO-RANSAC), and
     less than ``same_scene_texture`` of the textured pixels (gradient > 1.5 per
     pixel) stayed the same (|difference| ≤ 3). This keeps in-shot reframes and
     drops or debris flying over a still background from counting as cuts. Flat
     areas are left out of that count: consecutive shots often share flat colours;

  The window looks back only, since the sampler and the film segments act on a
  frame's relation as soon as it arrives; it is always the ``cut_window`` frames
  before the new one, whatever was decided about them, so each decision depends
  on those frames alone (a film segment starts tracking that many frames early,
  see :mod:`atdkit.mining.segments`). Tests 2–4 run only for the few frame pairs
  that pass test 1, so they cost little per frame.

"Changes" are measured as the fraction of thumbnail pixels whose absolute
difference exceeds ``pixel_threshold`` (0–255 scale); the noise floor of
re-encoded held drawings (mean absolute difference ≈ 0.7 at 1080p) stays far
below it after downscaling.

Cadence is recorded per *run of drawings* (:func:`cadence_runs`): a shot
animated on twos, then on threes, has a run on twos and a run on threes, and the
shot's own cadence is "mixed".
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from atdkit.ops.global_motion import phase_correlate, phase_spectrum, refine_translation, shift_image
from atdkit.ops.jit import kernel
from atdkit.ops.optical_flow import matched_pixels

THUMB_WIDTH = 320
THUMB_BLUR = 1.0  # Gaussian sigma, thumbnail pixels
COARSE = 2        # phase correlation runs on the thumbnail area-downscaled by this factor


@dataclass(frozen=True)
class ShotParams:
    pixel_threshold: float = 12.0     # thumbnail |difference| counted as a change (0–255)
    hold_fraction: float = 0.002      # below this fraction of changed pixels: same drawing
    cut_fraction: float = 0.30        # a cut changes at least this fraction after alignment…
    cut_hist: float = 0.05            # …moves the colour histogram by this (Bhattacharyya distance)…
    cut_matched: float = 0.5          # …leaves less than this share of pixels matched after motion compensation
    cut_window: int = 3               #    by any of this many frames before it (≥ 1)…
    match_tolerance: float = 3.0      #    (a matched pixel is within this of the new frame's, 0–255 luma)
    same_scene_inliers: int = 25      # …has fewer homography inliers than this (or than 30 % of matches)
    same_scene_texture: float = 0.2   # …and keeps fewer of its textured pixels unchanged than this
    min_pan: float = 0.05             # thumbnail pixels of global shift that count as a camera move


@dataclass
class FrameFeatures:
    """What the detector keeps of a frame: a grayscale thumbnail, and the frame for its colour
    histogram (computed only when a cut test needs it)."""

    thumb: np.ndarray   # h×THUMB_WIDTH float32, 0–255, slightly blurred
    frame: np.ndarray   # the H×W×3 uint8 RGB frame the features describe

    @cached_property
    def hist(self) -> np.ndarray:
        """Normalised 3-D RGB histogram (8×8×8, float32) of a nearest-neighbour sample of the frame,
        one pixel per thumbnail pixel (see :func:`frame_features`)."""
        return _colour_histogram(self.frame, *self.thumb.shape).reshape(8, 8, 8)

    @cached_property
    def coarse(self) -> np.ndarray:
        """The thumbnail area-downscaled by ``COARSE`` (at least 8 px a side), for phase correlation."""
        h, w = self.thumb.shape
        size = (max(8, w // COARSE), max(8, h // COARSE))
        return cv2.resize(self.thumb, size, interpolation=cv2.INTER_AREA) if size != (w, h) else self.thumb

    @cached_property
    def coarse8(self) -> np.ndarray:
        """:attr:`coarse` rounded to uint8 (optical flow works on 8-bit images), for the motion-compensated
        match of a cut test."""
        return np.clip(self.coarse + 0.5, 0, 255).astype(np.uint8)

    @cached_property
    def spectrum(self) -> np.ndarray:
        """The :func:`phase_spectrum` of :attr:`coarse`, computed on first use: a frame is compared
        twice (with the frame before it, then with the one after it) and its spectrum serves both."""
        return phase_spectrum(self.coarse)


@kernel
def _colour_histogram(frame: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Normalised 8×8×8 RGB histogram (flat, float32) of the rows × cols pixels of an H×W×3 uint8
    frame at rows ⌊i·H/rows⌋ and columns ⌊j·W/cols⌋ (a nearest-neighbour sample)."""
    h, w, _ = frame.shape
    at = np.empty(cols, np.int64)
    for j in range(cols):
        at[j] = (j * w) // cols
    counts = np.zeros(512, np.int32)
    for i in range(rows):
        row = frame[(i * h) // rows]
        for c in at:
            counts[(row[c, 0] >> 5) << 6 | (row[c, 1] >> 5) << 3 | row[c, 2] >> 5] += 1
    return counts.astype(np.float32) / np.float32(rows * cols)


def frame_features(frame: np.ndarray) -> FrameFeatures:
    """Features of an H×W×3 uint8 RGB frame (any size).

    The thumbnail is the frame's luma, area-downscaled to THUMB_WIDTH wide (one plane to
    average, not three). The histogram counts the colours of a nearest-neighbour sample of the
    frame, one pixel per thumbnail pixel: it only has to see the colour distribution move at a
    cut, which a sample that large shows as well as an area-averaged frame does, at a fraction
    of the cost. Only the thumbnail is computed here; the histogram when a cut test asks for it."""
    h, w = frame.shape[:2]
    tw = min(THUMB_WIDTH, w)
    th = max(8, int(round(h * tw / w)))
    luma = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), (tw, th), interpolation=cv2.INTER_AREA)
    # A light blur makes the comparison tolerant to sub-pixel resampling of outlines under pans.
    thumb = cv2.GaussianBlur(luma.astype(np.float32), (0, 0), THUMB_BLUR)
    return FrameFeatures(thumb, frame)


@dataclass
class Relation:
    """How a frame relates to the previous one."""

    kind: str           # first | hold | pan | change | cut
    changed: float      # fraction of changed thumbnail pixels, no alignment
    aligned: float      # fraction changed after undoing the global shift
    shift: tuple[float, float]
    hist: float | None  # Bhattacharyya distance of the colour histograms; None when no cut test needed it
    matched: float | None = None  # share of pixels matched after motion compensation; None when not needed


def _changed_fraction(a: np.ndarray, b: np.ndarray, threshold: float) -> float:
    return float(np.count_nonzero(cv2.absdiff(a, b) > threshold)) / max(a.size, 1)


def global_shift(prev: FrameFeatures, cur: FrameFeatures) -> tuple[float, float]:
    """Camera translation d (thumbnail px) with cur(x) ≈ prev(x − d): phase correlation of the coarse
    thumbnails (to within a coarse pixel, at a quarter of the cost), then Lucas–Kanade refinement on
    the thumbnails that ignores moving pieces (:mod:`atdkit.ops.global_motion`)."""
    dx, dy = phase_correlate(prev.spectrum, cur.spectrum)
    (h, w), (ch, cw) = prev.thumb.shape, prev.coarse.shape
    return refine_translation(prev.thumb, cur.thumb, (dx * w / cw, dy * h / ch))


def unchanged_texture(a: np.ndarray, b: np.ndarray, gradient: float = 1.5, tolerance: float = 3.0) -> float:
    """Fraction of a's textured pixels (Sobel gradient > ``gradient``) that b keeps within ``tolerance``."""
    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    gy = cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    textured = cv2.magnitude(gx, gy) > gradient
    n = int(np.count_nonzero(textured))
    if n < 100:
        return 0.0
    return float(np.count_nonzero(cv2.absdiff(a, b)[textured] <= tolerance)) / n


def same_scene(a: np.ndarray, b: np.ndarray, min_inliers: int = 25, min_texture: float = 0.2) -> bool:
    """True when two thumbnails show the same scene: much of a's texture is unchanged in b, or ORB matches
    between them agree on one homography (reframed, zoomed)."""
    if unchanged_texture(a, b) >= min_texture:
        return True
    orb = cv2.ORB_create(500, fastThreshold=10, edgeThreshold=15, patchSize=15)
    ka, da = orb.detectAndCompute(np.clip(a, 0, 255).astype(np.uint8), None)
    kb, db = orb.detectAndCompute(np.clip(b, 0, 255).astype(np.uint8), None)
    if da is None or db is None or len(ka) < min_inliers or len(kb) < min_inliers:
        return False
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    if len(matches) < min_inliers:
        return False
    pa = np.float32([ka[m.queryIdx].pt for m in matches])
    pb = np.float32([kb[m.trainIdx].pt for m in matches])
    # USAC's LO-RANSAC with SPRT: deterministic (its own fixed seed), and a cut — matches that agree on
    # nothing — costs it under a millisecond, where classic RANSAC runs all its 2000 iterations (~50 ms)
    _, mask = cv2.findHomography(pa, pb, cv2.USAC_DEFAULT, 3.0)
    inliers = int(mask.sum()) if mask is not None else 0
    return inliers >= min_inliers and inliers >= 0.3 * len(matches)


def relate(prev: FrameFeatures, cur: FrameFeatures, params: ShotParams = ShotParams(),
           earlier: Sequence[FrameFeatures] = ()) -> Relation:
    """Classify ``cur`` against ``prev`` (see module doc); ``earlier``: the frames before prev, newest
    first, which the motion-compensated match may also draw on (the window)."""
    changed = _changed_fraction(prev.thumb, cur.thumb, params.pixel_threshold)
    if changed < params.hold_fraction:
        return Relation("hold", changed, changed, (0.0, 0.0), None)
    dx, dy = global_shift(prev, cur)
    aligned = changed
    plausible = max(abs(dx), abs(dy)) < min(prev.thumb.shape) / 4  # else it locked onto a moving piece
    if plausible and (abs(dx) >= params.min_pan or abs(dy) >= params.min_pan):
        h, w = cur.thumb.shape
        margin = int(np.ceil(max(abs(dx), abs(dy)))) + 2    # leave out the border the shift fills in…
        if min(h, w) <= 2 * margin + 4:                     # …unless that leaves too little
            margin = 0
        moved = shift_image(prev.thumb, (dx, dy), margin)
        aligned = min(changed, _changed_fraction(moved, cur.thumb[margin:h - margin, margin:w - margin],
                                                 params.pixel_threshold))
        if aligned < params.hold_fraction:
            return Relation("pan", changed, aligned, (dx, dy), None)
    if aligned < params.cut_fraction:
        return Relation("change", changed, aligned, (dx, dy), None)
    hist = float(cv2.compareHist(prev.hist, cur.hist, cv2.HISTCMP_BHATTACHARYYA))
    if hist < params.cut_hist:
        return Relation("change", changed, aligned, (dx, dy), hist)
    matched = motion_compensated_match(cur, [prev, *earlier], params.match_tolerance)
    if matched < params.cut_matched and \
            not same_scene(prev.thumb, cur.thumb, params.same_scene_inliers, params.same_scene_texture):
        return Relation("cut", changed, aligned, (dx, dy), hist, matched)
    return Relation("change", changed, aligned, (dx, dy), hist, matched)


def motion_compensated_match(cur: FrameFeatures, window: Sequence[FrameFeatures], tolerance: float) -> float:
    """Share (0–1) of ``cur``'s pixels that at least one frame of ``window`` reproduces after motion
    compensation (:func:`atdkit.ops.optical_flow.matched_pixels` on the :attr:`FrameFeatures.coarse8`
    images)."""
    matched = np.zeros(cur.coarse8.shape, bool)
    for frame in window:
        matched |= matched_pixels(frame.coarse8, cur.coarse8, tolerance)
    return float(np.count_nonzero(matched)) / matched.size


@dataclass
class FrameInfo:
    index: int
    shot: int
    drawing: int        # film-wide drawing counter: increments on every change and cut
    relation: str       # first | hold | pan | change | cut


class ShotTracker:
    """Streams frames in order and assigns shot and drawing numbers; the first frame pushed is frame
    ``first_index`` of the film (shot 0, drawing 0)."""

    def __init__(self, params: ShotParams = ShotParams(), first_index: int = 0):
        if params.cut_window < 1:
            raise ValueError(f"cut_window must be at least 1, not {params.cut_window}")
        self.params = params
        self.first_index = first_index
        self._recent: deque[FrameFeatures] = deque(maxlen=params.cut_window)  # newest last
        self.frames: list[FrameInfo] = []

    def push(self, features: FrameFeatures) -> FrameInfo:
        index = self.first_index + len(self.frames)
        if not self._recent:
            info = FrameInfo(index, 0, 0, "first")
        else:
            last = self.frames[-1]
            kind = relate(self._recent[-1], features, self.params, list(self._recent)[-2::-1]).kind
            shot = last.shot + (kind == "cut")
            drawing = last.drawing + (kind in ("change", "cut"))
            info = FrameInfo(index, shot, drawing, kind)
        self._recent.append(features)
        self.frames.append(info)
        return info

    def shots(self) -> list[dict]:
        """Per shot: {shot, start, end (exclusive), cadence, drawings, pans, runs}: ``cadence`` is the
        shot's (see :func:`shot_cadence`), ``runs`` its runs of drawings, each {cadence, start, end
        (exclusive), drawings} (see :func:`cadence_runs`)."""
        out = []
        for shot in sorted({f.shot for f in self.frames}):
            frames = [f for f in self.frames if f.shot == shot]
            lengths = _run_lengths([f.drawing for f in frames])
            runs, at = [], frames[0].index
            for cad, n_drawings, n_frames in cadence_runs(lengths):
                runs.append({"cadence": cad, "start": at, "end": at + n_frames, "drawings": n_drawings})
                at += n_frames
            out.append({"shot": shot, "start": frames[0].index, "end": frames[-1].index + 1,
                        "cadence": shot_cadence([r["cadence"] for r in runs]), "drawings": len(lengths),
                        "pans": sum(f.relation == "pan" for f in frames), "runs": runs})
        return out


def _run_lengths(drawings: list[int]) -> list[int]:
    runs: list[int] = []
    for i, d in enumerate(drawings):
        if i and d == drawings[i - 1]:
            runs[-1] += 1
        else:
            runs.append(1)
    return runs


def cadence_runs(lengths: list[int]) -> list[tuple[str, int, int]]:
    """Runs of drawings of one shot from how many frames each drawing is held, in order:
    (cadence, drawings, frames) per run. Cadence "1", "2", "3": on ones/twos/threes; "hold": one
    drawing held four frames or more; "mixed": drawings of irregular lengths.

    Consecutive drawings held equally long form a run; a lone drawing of another length between two
    runs of one cadence belongs to them (an accent in the timing), other lone drawings form "mixed"
    runs. When a shot has more than three drawings, its first and last drawings, which the cuts may
    have cut short, take the cadence of the drawing next to them if they are not held longer."""
    if not lengths:
        return []
    if len(lengths) == 1:
        return [("hold", 1, lengths[0])]
    labels = [str(n) if n <= 3 else "hold" for n in lengths]
    if len(lengths) > 3:  # a cut-short end drawing takes its neighbour's cadence when it fits in it
        for end, inner in ((0, 1), (-1, -2)):
            if labels[inner] != "hold" and lengths[end] <= int(labels[inner]):
                labels[end] = labels[inner]
    stretches: list[list] = []  # [label, drawings, frames]
    for label, n in zip(labels, lengths):
        if stretches and stretches[-1][0] == label != "hold":
            stretches[-1][1] += 1
            stretches[-1][2] += n
        else:
            stretches.append([label, 1, n])

    def regular(st: list) -> bool:
        return st[0] == "hold" or st[1] >= 2

    runs: list[list] = []
    for i, st in enumerate(stretches):
        before, after = stretches[i - 1] if i else None, stretches[i + 1] if i + 1 < len(stretches) else None
        if not regular(st) and before and after and regular(before) and regular(after) \
                and before[0] == after[0] != "hold":
            runs[-1][1] += st[1]      # an accent inside one cadence: part of the run before…
            runs[-1][2] += st[2]
            continue
        label = st[0] if regular(st) else "mixed"
        if runs and runs[-1][0] == label != "hold":  # …which the run after continues
            runs[-1][1] += st[1]
            runs[-1][2] += st[2]
        else:
            runs.append([label, st[1], st[2]])
    return [(label, n, frames) for label, n, frames in runs]


def shot_cadence(run_cadences: list[str]) -> str:
    """A shot's cadence from its runs' (:func:`cadence_runs`): the one cadence of all its animated runs
    ("1", "2" or "3"; held drawings between them do not change it), "hold" when no run is animated, or
    "mixed" (runs of different cadences, or irregular timing)."""
    animated = {c for c in run_cadences if c != "hold"}
    if not animated:
        return "hold"
    return animated.pop() if len(animated) == 1 and "mixed" not in animated else "mixed"


def cadence_at(shots: list[dict], index: int) -> str | None:
    """The cadence of the run of drawings holding frame ``index`` (shots as :meth:`ShotTracker.shots`
    gives them), or None when no shot covers it."""
    for shot in shots:
        if shot["start"] <= index < shot["end"]:
            return next((r["cadence"] for r in shot["runs"] if r["start"] <= index < r["end"]), None)
    return None
