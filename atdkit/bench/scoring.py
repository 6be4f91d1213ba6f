"""The metrics, declared once: each :class:`Metric` names its results column, the function that
computes it, whether higher is better, how many digits the report shows, and the weights it needs.
The results schema (:data:`RESULTS`), the runner's scoring loop and the report's columns and
formatting all iterate over :data:`METRICS`; adding a metric is one entry here (plus its function).

A :class:`Scoring` holds one prediction against its truth under a profile and computes the
per-pixel maps every metric reads (squared error, SSIM map, line maps) once, when first needed:
the RoI values are means over the RoI's part of the whole-frame maps, which equals scoring the
cropped images (an SSIM window inside the crop is the same window of the whole frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np
import pyarrow as pa

from atdkit.bench import metrics
from atdkit.errors import BadInput, WeightsMissing
from atdkit.store import schema
from atdkit.weights import WeightsSpec, resolve
from atdkit.weights.core import LPIPS_BACKBONE, LPIPS_LINEAR


class Scoring:
    """``pred`` (H×W×3 float in [0, 1], or uint8) against ``truth_u8`` (H×W×3 uint8) under
    ``profile``; ``roi``: an integer (x, y, w, h) box in pixels of this frame, or None.
    Raises BadInput for mismatched shapes."""

    def __init__(self, pred: np.ndarray, truth_u8: np.ndarray, profile: metrics.Profile | str,
                 roi: tuple[int, int, int, int] | None = None, device: str = "cpu") -> None:
        self.profile = metrics.get_profile(profile) if isinstance(profile, str) else profile
        if pred.shape != truth_u8.shape or pred.ndim != 3 or pred.shape[2] != 3:
            raise BadInput(f"prediction {pred.shape} does not match the truth {truth_u8.shape} (H×W×3 expected)")
        self.pred, self.truth_u8, self.roi, self.device = pred, truth_u8, roi, device

    @cached_property
    def taps(self) -> np.ndarray:
        p = self.profile
        return metrics.ssim_taps(p.ssim_window, p.ssim_win_size, p.ssim_sigma)

    @cached_property
    def planes(self) -> tuple[np.ndarray, np.ndarray]:
        """(prediction, truth) as the profile scores them: 3×H×W float64 in [0, 1]."""
        p = metrics.prepare_prediction(self.pred.transpose(2, 0, 1), self.profile)
        t = metrics.truth_to_float(self.truth_u8.transpose(2, 0, 1))
        k = len(self.taps)
        if p.shape[1] < k or p.shape[2] < k:
            raise BadInput(f"frame {p.shape[2]}x{p.shape[1]} is smaller than the {k}x{k} SSIM window")
        return p, t

    @cached_property
    def squared_error(self) -> np.ndarray:
        """Σ_c (pred − truth)² per pixel (H×W, [0, 1]² units)."""
        p, t = self.planes
        diff = p - t
        diff *= diff
        return diff.sum(axis=0)

    @cached_property
    def ssim_map(self) -> np.ndarray:
        p, t = self.planes
        prof = self.profile
        return metrics._ssim_map_planes(p, t, self.taps, prof.ssim_sample_covariance, prof.ssim_data_range)

    @cached_property
    def roi_squared_error(self) -> np.ndarray | None:
        """The RoI's part of :attr:`squared_error`; BadInput when the box lies outside the frame."""
        if self.roi is None:
            return None
        return metrics.crop_roi(self.squared_error, self.roi, min_side=len(self.taps))

    def roi_ssim_map(self) -> np.ndarray | None:
        crop = self.roi_squared_error
        if crop is None:
            return None
        x, y, _, _ = self.roi
        r = len(self.taps) // 2
        return self.ssim_map[:, y:y + crop.shape[0] - 2 * r, x:x + crop.shape[1] - 2 * r]

    def prediction_image(self) -> np.ndarray:
        """The scored prediction as an H×W×3 float64 image."""
        return self.planes[0].transpose(1, 2, 0)

    def truth_image(self) -> np.ndarray:
        return self.planes[1].transpose(1, 2, 0)


# ---- the metric functions (pure over a Scoring; units in each Metric's description) --------------

def _psnr(sq: np.ndarray | None, prof: metrics.Profile) -> float | None:
    return None if sq is None else metrics._psnr_from_mse(float(sq.mean()) / 3.0, prof.psnr_data_range)


def _ie(sq: np.ndarray | None) -> float | None:
    return None if sq is None else 255.0 * float(np.sqrt(sq).mean())


def _chamfer(s: Scoring) -> float | None:
    c = metrics.chamfer_line_distance(s.prediction_image(), s.truth_image())
    return None if math.isnan(c) else c


def _lpips(s: Scoring) -> float:
    from atdkit.bench.lpips import load_lpips

    model = load_lpips(s.device)
    if model is None:
        raise WeightsMissing("LPIPS weights not found: run `atdkit weights fetch lpips-alexnet-backbone "
                             "lpips-alex-lin-v0.1`")
    return model.distance(metrics.prepare_prediction(s.pred, s.profile), metrics.truth_to_float(s.truth_u8))


@dataclass(frozen=True)
class Metric:
    """One metric. ``name``: results column; ``compute``: Scoring → value (None: not defined here);
    ``digits``: decimals the report shows; ``region``: ``frame`` or ``roi`` (a bad RoI leaves the
    frame metrics standing); ``weights``: files it needs (absent ⇒ the column stays null);
    ``cap``: the value +inf counts as in means (PSNR of a perfect prediction); ``breakdown``:
    shown per category and in paired comparisons."""

    name: str
    compute: Callable[[Scoring], float | None]
    higher_is_better: bool
    digits: int
    description: str
    region: str = "frame"
    weights: tuple[WeightsSpec, ...] = ()
    cap: float | None = None
    breakdown: bool = False
    optional: bool = False  # the runner may leave it out (``--no-chamfer``)

    def fmt(self, value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return f"{value:.{self.digits}f}"

    def available(self) -> bool:
        """Whether every weights file it needs is present."""
        try:
            for spec in self.weights:
                resolve(spec)
        except WeightsMissing:
            return False
        return True


PSNR_CAP = 100.0

METRICS: tuple[Metric, ...] = (
    Metric("psnr", lambda s: _psnr(s.squared_error, s.profile), True, 2,
           "whole-frame PSNR, dB (+inf for a perfect prediction)", cap=PSNR_CAP, breakdown=True),
    Metric("ssim", lambda s: metrics.mean_of_planes(s.ssim_map), True, 4,
           "whole-frame SSIM under the profile, [-1, 1]", breakdown=True),
    Metric("ie", lambda s: _ie(s.squared_error), False, 2,
           "whole-frame interpolation error, mean per-pixel RGB distance in 0-255 units", breakdown=True),
    Metric("roi_psnr", lambda s: _psnr(s.roi_squared_error, s.profile), True, 2,
           "PSNR inside the RoI, dB", region="roi", cap=PSNR_CAP),
    Metric("roi_ssim", lambda s: None if s.roi is None else metrics.mean_of_planes(s.roi_ssim_map()), True, 4,
           "SSIM of the windows inside the RoI", region="roi"),
    Metric("roi_ie", lambda s: _ie(s.roi_squared_error), False, 2, "IE inside the RoI, 0-255 units", region="roi"),
    Metric("chamfer", _chamfer, False, 2,
           "chamfer distance between the line drawings, pixels (null when one drawing is empty)", optional=True),
    Metric("lpips", _lpips, False, 4, "LPIPS AlexNet-lin v0.1 distance (lower is more similar)",
           weights=(LPIPS_BACKBONE, LPIPS_LINEAR)),
)
BY_NAME = {m.name: m for m in METRICS}

RESULTS: pa.Schema = schema.results_schema([m.name for m in METRICS])


def selected(chamfer: bool = True) -> tuple[Metric, ...]:
    """The metrics a run computes: all whose weights are present, the optional ones unless left out."""
    return tuple(m for m in METRICS if (chamfer or not m.optional) and m.available())


def score_metrics(s: Scoring, chosen: tuple[Metric, ...]) -> tuple[dict[str, float | None], str | None]:
    """Every chosen metric of ``s``: (values, the first error's text or None). A metric that fails
    leaves its value null and the others standing."""
    values: dict[str, float | None] = {}
    error = None
    for m in chosen:
        try:
            values[m.name] = m.compute(s)
        except Exception as exc:
            values[m.name] = None
            error = error or (str(exc) if isinstance(exc, (BadInput, WeightsMissing))
                              else f"{type(exc).__name__}: {exc}".splitlines()[0])
    return values, error


def score(pred: np.ndarray, truth_u8: np.ndarray, profile: metrics.Profile | str = metrics.DEFAULT_PROFILE,
          roi: tuple[int, int, int, int] | None = None, with_chamfer: bool = True) -> dict[str, float | None]:
    """The weight-free metrics of one prediction against its uint8 truth (None where not computed).
    Raises BadInput for mismatched sizes, a frame smaller than the SSIM window or an RoI outside it."""
    s = Scoring(pred, truth_u8, profile, roi)
    return {m.name: (m.compute(s) if (with_chamfer or not m.optional) else None) for m in METRICS if not m.weights}
