"""The plan of a synthetic cel film: shots, pieces and their timing, all drawn from one seed.

A plan is pure data (no pixels). Units: positions in pixels of the film's
frame size, world coordinates (the camera offset maps world → frame: frame =
world − camera); angles in degrees; times as frame indices.

Timing model (as in hand-drawn animation): each shot has a cadence of 1, 2 or 3
(drawings on ones, twos, threes). A piece's pose is evaluated at the *drawing
time* ``shot_start + cadence·⌊(t − shot_start)/cadence⌋``, so a drawing is held
for ``cadence`` frames; the camera moves on every frame (pans over held
drawings).

Timing mix: poses move between random keyframes, and each move (key interval)
has a timing curve. As in real animation, most moves are evenly spaced over
their drawings (``linear``: the middle drawing of a triplet is at the midpoint
of its neighbours), and a share of them — ``nonlinear_share``, 0.25 by default
(:data:`DEFAULT_NONLINEAR_SHARE`) — are the accents of an action: ease in/out
at its ends (``inout``), anticipation and overshoot (``back``) or a snap (slow
in, fast out: ``snap``). 0 gives evenly timed films, 1 every move accented.
The same share of camera pans ease in and out over their shot; the others
pan at constant speed.

Shot plan: every shot has a lead piece that acts (its motion type is drawn
uniformly from :data:`MOTIONS`, so the four types and their behaviours occur
in useful numbers) and one or two secondary pieces that hold still or move a
little (a third of the lead's amplitude).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

MOTIONS = ("translation", "rotation", "scaling", "deformation")
# What a piece's motion looks like to an annotator (documented mapping used by truth.py):
# translation with a bobbing hop reads as "walking"; a piece that shoots out and back
# (translation towards a target and return) reads as "fetching"; a pulsing deformation of a
# head-like piece with a mouth reads as "speaking"; rotation/scaling/other translation → "others".
BEHAVIORS_BY_KIND = {"walker": "walking", "fetcher": "fetching", "talker": "speaking", "prop": "others"}

STYLES = {
    # outline px at 960 wide, background palette, piece palette saturation
    "cel": {"outline": 3, "sky": ((150, 200, 240), (235, 225, 190)), "ground": (110, 150, 80), "sat": 0.75},
    "anime": {"outline": 2, "sky": ((60, 110, 220), (200, 225, 250)), "ground": (70, 120, 60), "sat": 0.95},
    "mono": {"outline": 3, "sky": ((70, 70, 70), (200, 200, 200)), "ground": (110, 110, 110), "sat": 0.0},
}


@dataclass(frozen=True)
class Pose:
    x: float
    y: float
    angle: float = 0.0
    scale: float = 1.0
    squash: float = 0.0     # >0 wide and flat, <0 tall and thin
    wobble: float = 0.0     # vertex wobble amplitude (fraction of radius)

    def lerp(self, other: Pose, a: float) -> Pose:
        return Pose(*(u + (v - u) * a for u, v in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[float, ...]:
        return (self.x, self.y, self.angle, self.scale, self.squash, self.wobble)


# The timing curves: ``linear`` is even spacing; the others are the accents (see the module doc).
LINEAR = "linear"
ACCENT_CURVES = ("inout", "back", "snap")
TIMING_CURVES = (LINEAR, *ACCENT_CURVES)
DEFAULT_NONLINEAR_SHARE = 0.25
SECONDARY_AMPLITUDE = 0.4       # a secondary piece's moves, relative to a lead's
SECONDARY_HOLD_SHARE = 0.2        # secondary pieces that hold still for the whole shot
PAN_HOLD_SHARE = 0.1             # shots that pan over one held drawing (after the first)
LEAD_RADIUS = (0.2, 0.3)          # piece radii, fractions of the frame height
SECONDARY_RADIUS = (0.12, 0.2)


def ease(kind: str, a: float) -> float:
    """Timing curves on a ∈ [0, 1] → [0, 1] (``back`` overshoots: exaggerated anticipation/follow-through)."""
    if kind == "inout":
        return 4 * a**3 if a < 0.5 else 1 - (-2 * a + 2) ** 3 / 2
    if kind == "back":
        c1, c3 = 1.70158 * 1.525, 1.70158 * 1.525 + 1
        return (2 * a) ** 2 * (c3 * 2 * a - c1) / 2 if a < 0.5 else ((2 * a - 2) ** 2 * (c3 * (2 * a - 2) + c1) + 2) / 2
    if kind == "snap":  # slow in, fast out
        return a**4
    return a


WALK_BOB_RATE = 0.3   # radians per frame of the walker's bob
TALK_RATE = 0.35      # radians per frame of the talker's pulsing


@dataclass
class Piece:
    pid: int
    kind: str                      # walker | fetcher | talker | prop
    motion: str                    # one of MOTIONS: the dominant kind of change
    radius: float
    vertices: np.ndarray           # K×2 unit-circle-ish outline in local coords
    color: tuple[int, int, int]
    keys: list[tuple[int, Pose, str]]  # (frame offset in shot, pose, timing curve into it)
    eyes: bool = True
    still: bool = False            # holds one pose for the whole shot (no bob, no pulsing)

    @property
    def behavior(self) -> str:
        return BEHAVIORS_BY_KIND[self.kind]

    def curve(self, t: float) -> str:
        """The timing curve of the move under way at shot-relative time t (``linear`` when holding)."""
        for (t0, _, _), (t1, _, kind) in zip(self.keys, self.keys[1:]):
            if t0 <= t < t1:
                return kind
        return LINEAR

    def pose(self, t: float) -> Pose:
        """Pose at shot-relative (drawing) time t, frames."""
        keys = self.keys
        if t <= keys[0][0]:
            p = keys[0][1]
        elif t >= keys[-1][0]:
            p = keys[-1][1]
        else:
            for (t0, p0, _), (t1, p1, kind) in zip(keys, keys[1:]):
                if t0 <= t <= t1:
                    p = p0.lerp(p1, ease(kind, (t - t0) / max(t1 - t0, 1e-9)))
                    break
        if self.still:
            return p
        if self.kind == "walker":  # a gentle bob over each step
            p = Pose(p.x, p.y - (1 - math.cos(t * WALK_BOB_RATE)) * self.radius * 0.05, p.angle, p.scale,
                     p.squash, p.wobble)
        if self.kind == "talker":  # mouth-like pulsing
            p = Pose(p.x, p.y, p.angle, p.scale, p.squash + 0.08 * math.sin(t * TALK_RATE), p.wobble)
        return p


@dataclass
class Shot:
    index: int
    start: int                     # first frame (inclusive)
    end: int                       # last frame (exclusive)
    cadence: int                   # 1, 2, 3
    camera0: tuple[float, float]
    camera1: tuple[float, float]
    camera_ease: str
    hold_all: bool                 # a pan over one held drawing
    bg_seed: int
    pieces: list[Piece] = field(default_factory=list)

    def drawing_time(self, frame: int) -> int:
        rel = frame - self.start
        return 0 if self.hold_all else (rel // self.cadence) * self.cadence

    def camera(self, frame: int) -> tuple[float, float]:
        a = ease(self.camera_ease, (frame - self.start) / max(self.end - self.start - 1, 1))
        return (self.camera0[0] + (self.camera1[0] - self.camera0[0]) * a,
                self.camera0[1] + (self.camera1[1] - self.camera0[1]) * a)


@dataclass
class FilmPlan:
    width: int
    height: int
    fps: float
    n_frames: int
    seed: int
    style: str
    shots: list[Shot]
    pan_margin: int
    nonlinear_share: float = DEFAULT_NONLINEAR_SHARE

    def shot_of(self, frame: int) -> Shot:
        for s in self.shots:
            if s.start <= frame < s.end:
                return s
        raise IndexError(frame)


def _blob(rng: np.random.Generator, k: int) -> np.ndarray:
    ang = np.sort(rng.uniform(0, 2 * np.pi, k)) if k > 3 else np.linspace(0, 2 * np.pi, k, endpoint=False)
    r = rng.uniform(0.7, 1.0, k)
    return np.stack([np.cos(ang) * r, np.sin(ang) * r], axis=1)


def _color(rng: np.random.Generator, sat: float) -> tuple[int, int, int]:
    import colorsys

    h = rng.uniform(0, 1)
    r, g, b = colorsys.hsv_to_rgb(h, sat * rng.uniform(0.6, 1.0), rng.uniform(0.55, 0.95))
    return int(r * 255), int(g * 255), int(b * 255)


KINDS_BY_MOTION = {"translation": ("walker", "fetcher"), "rotation": ("prop",), "scaling": ("prop",),
                   "deformation": ("talker",)}


def _piece(rng: np.random.Generator, pid: int, w: int, h: int, n_keys: int, shot_len: int, sat: float,
           margin: int, lead: str | None, nonlinear_share: float) -> Piece:
    """A piece of a shot: the lead acting ``lead`` (a motion type), or a secondary piece (``lead`` None)."""
    if lead is not None:
        kind = str(rng.choice(KINDS_BY_MOTION[lead]))
        motion, amp = lead, 1.0
    else:
        kind = str(rng.choice(["walker", "fetcher", "talker", "prop"], p=[0.35, 0.2, 0.2, 0.25]))
        motion = {"walker": "translation", "fetcher": "translation", "talker": "deformation"}.get(
            kind, str(rng.choice(["rotation", "scaling", "deformation", "translation"])))
        amp = 0.0 if rng.uniform() < SECONDARY_HOLD_SHARE else SECONDARY_AMPLITUDE
    radius = rng.uniform(*(LEAD_RADIUS if lead is not None else SECONDARY_RADIUS)) * h
    if lead is not None and lead != "translation":
        n_keys += 1  # shape changes are quicker than walks: more moves in the shot
    x0, y0 = rng.uniform(0.2 * w, 0.8 * w) + margin / 2, rng.uniform(0.35 * h, 0.75 * h)
    base = Pose(x0, y0, rng.uniform(-20, 20), 1.0, 0.0, 0.0)
    keys = [(0, base, LINEAR)]
    times = np.linspace(0, shot_len - 1, n_keys + 1)[1:]
    for i, t in enumerate(times):
        prev = keys[-1][1]
        e = str(rng.choice(ACCENT_CURVES)) if rng.uniform() < nonlinear_share else LINEAR
        if motion == "translation":
            step = rng.uniform(0.2, 0.4) * w * rng.choice([-1, 1]) * amp
            if kind == "fetcher" and i % 2 == 1:
                step = x0 - prev.x
            nx = float(np.clip(prev.x + step, 0.1 * w, 0.9 * w + margin))
            p = Pose(nx, prev.y + rng.uniform(-0.05, 0.05) * h * amp, prev.angle, prev.scale, prev.squash, prev.wobble)
        elif motion == "rotation":
            p = Pose(prev.x + rng.uniform(-0.03, 0.03) * w * amp, prev.y,
                     prev.angle + rng.uniform(60, 150) * rng.choice([-1, 1]) * amp, prev.scale, prev.squash, prev.wobble)
        elif motion == "scaling":  # grow or shrink by a quarter to a half, towards the other side of 1
            factor = rng.uniform(1.25, 1.6) ** (amp * (-1 if prev.scale > 1 else 1))
            p = Pose(prev.x, prev.y, prev.angle, float(np.clip(prev.scale * factor, 0.5, 1.8)), prev.squash, prev.wobble)
        else:  # squash and stretch: from one side to the other
            p = Pose(prev.x, prev.y, prev.angle, prev.scale, float(-np.sign(prev.squash or 1) * rng.uniform(0.2, 0.45) * amp),
                     float(rng.uniform(0.0, 0.25) * amp))
        keys.append((int(round(t)), p, e))
    return Piece(pid, kind, motion, radius, _blob(rng, int(rng.integers(5, 10))), _color(rng, sat), keys,
                 eyes=kind != "prop", still=amp == 0.0)


def make_plan(n_frames: int, fps: float = 24, width: int = 960, height: int = 540, seed: int = 0,
              style: str = "cel", nonlinear_share: float = DEFAULT_NONLINEAR_SHARE) -> FilmPlan:
    """A deterministic plan: same arguments ⇒ same plan. ``nonlinear_share`` ∈ [0, 1]: the share of
    moves timed with an accent curve (see the module doc)."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r} (choose {', '.join(STYLES)})")
    if not 0.0 <= nonlinear_share <= 1.0:
        raise ValueError(f"nonlinear_share must be in [0, 1], got {nonlinear_share}")
    rng = np.random.default_rng(seed)
    margin = int(round(0.25 * width))
    shots: list[Shot] = []
    start = 0
    while start < n_frames:
        length = int(round(rng.uniform(0.9, 1.8) * fps))
        if n_frames - (start + length) < int(0.6 * fps):
            length = n_frames - start
        idx = len(shots)
        hold_all = bool(rng.uniform() < PAN_HOLD_SHARE) and idx > 0
        pans = hold_all or rng.uniform() < 0.5
        cam0 = (float(rng.uniform(0, margin)), 0.0)
        cam1 = (float(np.clip(cam0[0] + rng.choice([-1, 1]) * rng.uniform(0.08, 0.2) * width, 0, margin)),
                float(rng.uniform(-0.02, 0.02) * height)) if pans else cam0
        shot = Shot(idx, start, start + length, int(rng.choice([1, 2, 3], p=[0.2, 0.5, 0.3])), cam0, cam1,
                    "inout" if rng.uniform() < nonlinear_share else LINEAR, hold_all, int(rng.integers(0, 2**31 - 1)))
        n_pieces = int(rng.integers(2, 4))
        lead = str(rng.choice(MOTIONS))
        shot.pieces = [_piece(rng, p, width, height, int(rng.integers(2, 4)), length, STYLES[style]["sat"], margin,
                              lead if p == 0 else None, nonlinear_share) for p in range(n_pieces)]
        shots.append(shot)
        start += length
    return FilmPlan(width, height, fps, n_frames, seed, style, shots, margin, nonlinear_share)
