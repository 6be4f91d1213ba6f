"""Segment-Guided Matching (SGM): AnimeInterp's rule-based coarse flow between two cels.

``SGM(...)(frame1, frame3)`` gives the official guidance flows ``guide_flo13``
and ``guide_flo31`` ((2,H,W) float32, x then y) at the working size (the
official scripts resize to 960×540 first). Stages: label maps
(:mod:`.labelmap`), per-segment descriptors (:mod:`.descriptors`), matching
degree, mutual matching, validity and per-segment DIS flows (:mod:`.matching`).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from atdkit.errors import BadArgument, WeightsMissing
from atdkit.hashing import sha256_file
from atdkit.methods.animeinterp.sgm.descriptors import (
    PRECISIONS,
    ColourShapeDescriptor,
    VGGDescriptor,
    load_vgg19,
    normalise,
)
from atdkit.methods.animeinterp.sgm.labelmap import STYLES, label_map
from atdkit.methods.animeinterp.sgm.matching import Segments, guidance_flows, matching_degree, mutual_matching

log = logging.getLogger(__name__)
OFFICIAL_SIZE = (960, 540)  # (width, height) the official scripts resize to


@dataclass
class SGMResult:
    flow13: np.ndarray          # (2,H,W) float32, frame1 → frame3
    flow31: np.ndarray          # (2,H,W) float32, frame3 → frame1
    labels1: np.ndarray         # H×W segment ids
    labels3: np.ndarray
    matched13: np.ndarray       # (K1,) segments that received flow
    matched31: np.ndarray       # (K3,)
    descriptor: str
    seconds: dict[str, float] = field(default_factory=dict)       # wall-clock per stage
    cpu_seconds: dict[str, float] = field(default_factory=dict)   # process CPU time per stage


def label_maps(frame1: np.ndarray, frame3: np.ndarray, style: str) -> tuple[np.ndarray, np.ndarray]:
    """``label_map`` of both RGB frames, given to it in BGR order as the official code does.

    Computed in two threads (OpenCV's filters release the GIL): the same maps as two sequential
    calls (the function is deterministic and shares no state); about 40 % less wall time on two
    cores at 960×540.
    """
    bgr1, bgr3 = np.ascontiguousarray(frame1[..., ::-1]), np.ascontiguousarray(frame3[..., ::-1])
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.submit(label_map, bgr1, style), pool.submit(label_map, bgr3, style)
        return first.result(), second.result()


def make_descriptor(vgg: str | os.PathLike | None = "auto", device: str = "cpu", precision: str = "float32"):
    """The VGG descriptor from a file (its forward in ``precision``), or the weight-free one.

    ``vgg="auto"`` uses the registry's ``vgg19`` file when present and falls
    back to :class:`ColourShapeDescriptor` with a warning otherwise; a path
    must exist; ``None`` selects the weight-free descriptor explicitly (which has
    no VGG forward: a precision other than float32 is then an error).
    """
    if precision not in PRECISIONS:
        raise BadArgument(f"unknown SGM VGG precision {precision!r}; choose from {sorted(PRECISIONS)}")
    if vgg is None:
        if precision != "float32":
            raise BadArgument(f"SGM: vgg_precision={precision!r} applies to the VGG-19 descriptor, "
                             "but the weight-free descriptor was chosen (vgg=None)")
        return ColourShapeDescriptor()
    if vgg == "auto":
        from atdkit import weights

        try:
            path = weights.resolve("vgg19")
        except WeightsMissing:
            msg = ("SGM: VGG-19 weights not found (`atdkit weights fetch vgg19`); using the weight-free "
                   "colour/shape segment descriptor instead of the official VGG one")
            warnings.warn(msg, stacklevel=2)
            log.warning(msg)
            return ColourShapeDescriptor()
        vgg = path
    return VGGDescriptor(load_vgg19(vgg), device, sha256_file(vgg), precision)


SGM_VERSION = 2  # bumped whenever the flows an SGM makes change (2: BGR label maps, the official tie order)


class SGM:
    """Callable SGM with fixed settings.

    ``size``: (width, height) to resize frames to (official: 960×540; None
    keeps the input size). ``style``: line-extraction parameters, "disney"
    (the official default for folders not named "Japan") or "japanese".
    ``vgg_precision``: the VGG-19 forward's number type, "float32" (official, the
    default) or "bfloat16" (opt-in: about half the descriptor time on AVX512_BF16
    CPUs, and flows that differ from float32's on some pairs); it shows in the
    descriptor's name (``vgg19-bfloat16``), hence in :attr:`settings`.
    """

    def __init__(self, vgg: str | os.PathLike | None = "auto", style: str = "disney",
                 size: tuple[int, int] | None = OFFICIAL_SIZE, device: str = "cpu",
                 vgg_precision: str = "float32"):
        if style not in STYLES:
            raise ValueError(f"unknown SGM line style {style!r}; choose from {sorted(STYLES)}")
        self.descriptor = make_descriptor(vgg, device, vgg_precision)
        self.style = style
        self.size = size

    @property
    def settings(self) -> dict:
        """What decides this SGM's flows (the key of the flows cache): the code's version, the descriptor
        (with its precision when not float32: ``vgg19-bfloat16``) and the sha256 of its weights (None for
        the weight-free one), the line style and the working size."""
        return {"version": SGM_VERSION, "descriptor": self.descriptor.name, "descriptor_sha256": getattr(self.descriptor, "sha256", None),
                "style": self.style, "size": list(self.size) if self.size else None}

    def __call__(self, frame1: np.ndarray, frame3: np.ndarray) -> SGMResult:
        """Frames: H×W×3 uint8 RGB (same size). Flows come at ``self.size`` (or the input size)."""
        seconds: dict[str, float] = {}
        cpu_seconds: dict[str, float] = {}
        clock, cpu = time.perf_counter(), time.process_time()

        def lap(stage: str) -> None:
            nonlocal clock, cpu
            now, now_cpu = time.perf_counter(), time.process_time()
            seconds[stage], cpu_seconds[stage] = now - clock, now_cpu - cpu
            clock, cpu = now, now_cpu

        if self.size is not None and (frame1.shape[1], frame1.shape[0]) != tuple(self.size):
            frame1, frame3 = cv2.resize(frame1, self.size), cv2.resize(frame3, self.size)
        labels1, labels3 = label_maps(frame1, frame3, self.style)
        lap("label_maps")
        seg1, seg3 = Segments.of(labels1), Segments.of(labels3)
        p1, p3 = (normalise(d) for d in self.descriptor((frame1, frame3), (labels1, labels3),
                                                         (len(seg1.counts), len(seg3.counts))))
        lap("descriptors")
        corr = matching_degree(p1, p3, seg1, seg3)
        rank13, match13, rank31, match31 = mutual_matching(corr)
        lap("matching")
        (flow13, ok13), (flow31, ok31) = guidance_flows(frame1, frame3, seg1, seg3, rank13, match13, rank31, match31)
        lap("segment_flows")
        return SGMResult(flow13, flow31, labels1, labels3, ok13, ok31, self.descriptor.name, seconds, cpu_seconds)
