"""Choosing triplets (f, f+g, f+2g) from a stream of classified frames.

Candidates are visited in order of (f1, stride); each is rejected with the
first reason that applies (cheap checks first, SSIM last), or kept:

1. ``spans cut``        — f1 and f3 are in different shots;
2. ``held drawing``     — a pair shows the same drawing (held, or panned over):
   held frames never form a pair;
3. ``unbalanced timing``— only with ``require_balanced``: the halves hold
   different numbers of drawing changes (the middle frame is not the midpoint
   of the motion). Otherwise such triplets are kept and flagged;
4. ``shot cap``         — the shot already keeps ``per_shot_cap`` triplets
   (near-duplicates removed: see 9, so the cap counts what is finally kept
   of the shot);
5. ``min spacing``      — f1 is closer than ``min_spacing`` frames to the
   previous kept triplet of the shot;
6. ``same drawings``    — an earlier candidate that reached the SSIM test picked
   the same three drawings (strides 2 and 3 over holds do this): counted once;
7. ``ssim below window`` / ``ssim above window`` — a pair's SSIM is outside
   [ssim_low, ssim_high]. Testing stops at the first failure, so the SSIMs of a
   rejected candidate that were not needed are missing. Pairs whose SSIM is
   already known (an earlier candidate needed it) are tested first, then 1–2,
   2–3, 1–3: on the synthetic anime benchmark film this computes 16 % fewer
   SSIMs than 1–3 first, for the same decisions (the order only decides which
   SSIMs of a rejected candidate are recorded);
8. whatever the caller's ``check`` says (the pipeline's: ``middle frame
   off-centre`` — frame 2 is not near the middle between frames 1 and 3, see
   :func:`atdkit.motion.middle_position`).
9. ``near-duplicate``   — with a ``duplicate_of`` check: the candidate repeats a
   triplet already kept in its shot, all three frames (a loop, a ping-pong; the
   pipeline's rule is :mod:`atdkit.mining.dedup`'s); rejected before it counts
   towards the cap and the spacing.

The same near-duplicate rule runs across the whole dataset after mining (see
:mod:`atdkit.mining.dedup`). The visiting order and the rules are
deterministic, so a film always yields the same triplets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from atdkit.mining.shots import FrameInfo


@dataclass(frozen=True)
class SamplerParams:
    strides: tuple[int, ...] = (1, 2, 3)
    ssim_low: float = 0.75
    ssim_high: float = 0.95
    min_spacing: int = 6
    per_shot_cap: int = 10
    require_balanced: bool = False

    @property
    def max_stride(self) -> int:
        return max(self.strides)


@dataclass
class Candidate:
    f1: int
    stride: int
    shot: int
    drawings: tuple[int, int, int]
    ssim_12: float | None = None
    ssim_23: float | None = None
    ssim_13: float | None = None
    mid_position: float | None = None   # set by the pipeline's check (atdkit.motion.middle_position)
    mid_detour: float | None = None
    reason: str | None = None      # None: kept
    detail: str | None = None

    @property
    def f2(self) -> int:
        return self.f1 + self.stride

    @property
    def f3(self) -> int:
        return self.f1 + 2 * self.stride

    @property
    def changes_12(self) -> int:
        return self.drawings[1] - self.drawings[0]

    @property
    def changes_23(self) -> int:
        return self.drawings[2] - self.drawings[1]

    @property
    def timing_balanced(self) -> bool:
        return self.changes_12 == self.changes_23


SSIMFn = Callable[[int, int], float]
CheckFn = Callable[[Candidate], "tuple[str, str | None] | None"]  # (reason, detail) to reject, None to keep
DuplicateFn = Callable[[Candidate, list[Candidate]], str | None]


@dataclass
class TripletSampler:
    """Feed frames in order with :meth:`add`; each call returns the candidates it settled.

    ``ssim(i, j)`` must return the SSIM of frames i < j; it is called once per pair, only for
    frames within ``2·max_stride`` of the newest frame (the caller's buffer).
    Only candidates with ``start ≤ f1 < stop`` are visited (a segment of a film:
    see :mod:`atdkit.mining.segments`); ``stop`` may be set while frames arrive,
    once the first frame of the next segment's shots is known. ``check`` (optional) sees each
    candidate that passed every other rule, with its frames still in the caller's buffer.
    """

    params: SamplerParams
    ssim: SSIMFn
    frames: dict[int, FrameInfo] = field(default_factory=dict)
    kept_per_shot: Counter = field(default_factory=Counter)
    last_kept: dict[int, int] = field(default_factory=dict)
    seen_drawings: set = field(default_factory=set)
    known: dict[tuple[int, int], float] = field(default_factory=dict)   # SSIMs computed, by frame pair
    kept_of_shot: dict[int, list[Candidate]] = field(default_factory=dict)
    start: int = 0
    stop: int | None = None
    check: CheckFn | None = None
    duplicate_of: DuplicateFn | None = None   # (candidate, kept of its shot) → the id it repeats, or None

    def __post_init__(self) -> None:
        self._next_f1 = self.start

    @property
    def done(self) -> bool:
        """True once every candidate before ``stop`` was settled."""
        return self.stop is not None and self._next_f1 >= self.stop

    def add(self, info: FrameInfo) -> list[Candidate]:
        self.frames[info.index] = info
        out: list[Candidate] = []
        while self._next_f1 + 2 * self.params.max_stride <= info.index and not self.done:
            out += self._visit(self._next_f1)
        return out

    def finish(self) -> list[Candidate]:
        """Settle the remaining candidates once the film's last frame was added."""
        out: list[Candidate] = []
        last = max(self.frames) if self.frames else -1
        while self._next_f1 + 2 * min(self.params.strides) <= last and not self.done:
            out += self._visit(self._next_f1)
        return out

    def _visit(self, f1: int) -> list[Candidate]:
        out = []
        for g in sorted(self.params.strides):
            if f1 + 2 * g in self.frames:
                out.append(self._judge(f1, g))
        self._next_f1 = f1 + 1
        # Keep only what later candidates can still look at.
        for old in [k for k in self.frames if k < self._next_f1 - 1]:
            del self.frames[old]
        for old in [k for k in self.known if k[0] < self._next_f1]:
            del self.known[old]
        return out

    def _judge(self, f1: int, g: int) -> Candidate:
        p = self.params
        a, b, c = self.frames[f1], self.frames[f1 + g], self.frames[f1 + 2 * g]
        cand = Candidate(f1, g, a.shot, (a.drawing, b.drawing, c.drawing))
        if a.shot != c.shot:
            return _reject(cand, "spans cut")
        if a.drawing == b.drawing or b.drawing == c.drawing:
            return _reject(cand, "held drawing")
        if p.require_balanced and not cand.timing_balanced:
            return _reject(cand, "unbalanced timing", f"{cand.changes_12} vs {cand.changes_23} drawing changes")
        if self.kept_per_shot[a.shot] >= p.per_shot_cap:
            return _reject(cand, "shot cap")
        last = self.last_kept.get(a.shot)
        if last is not None and f1 - last < p.min_spacing:
            return _reject(cand, "min spacing", f"{f1 - last} frames after the triplet at {last}")
        if cand.drawings in self.seen_drawings:
            return _reject(cand, "same drawings")
        self.seen_drawings.add(cand.drawings)
        pairs = (("ssim_12", (f1, f1 + g)), ("ssim_23", (f1 + g, f1 + 2 * g)), ("ssim_13", (f1, f1 + 2 * g)))
        for name, pair in sorted(pairs, key=lambda p: p[1] not in self.known):
            if pair not in self.known:
                self.known[pair] = self.ssim(*pair)
            value = self.known[pair]
            setattr(cand, name, value)
            if value < p.ssim_low:
                return _reject(cand, "ssim below window", f"{name}={value:.4f}")
            if value > p.ssim_high:
                return _reject(cand, "ssim above window", f"{name}={value:.4f}")
        if self.check is not None and (verdict := self.check(cand)) is not None:
            return _reject(cand, *verdict)
        shot_kept = self.kept_of_shot.setdefault(a.shot, [])
        if self.duplicate_of is not None and (same := self.duplicate_of(cand, shot_kept)) is not None:
            return _reject(cand, "near-duplicate", same)
        shot_kept.append(cand)
        self.kept_per_shot[a.shot] += 1
        self.last_kept[a.shot] = f1
        return cand


def _reject(cand: Candidate, reason: str, detail: str | None = None) -> Candidate:
    cand.reason, cand.detail = reason, detail
    return cand
