"""SGM matching and per-segment guidance flow (SPEC §4.1 steps 4–7).

* matching degree C(x, y) = Σ_d min(p1[d,x], p3[d,y]) − size penalty − distance
  penalty, for all pairs at once (no K² Python loop);
* mutual rank-sum matching (row rank + column rank, argmin per row/column);
* validity rules, then per valid segment DIS flow between the masked,
  zero-padded patches, the forward-splatting overlap check, and the flow
  (box-centre displacement + patch flow) written for every pixel of the segment.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from scipy import ndimage

from atdkit.ops.optical_flow import dis_flow
from atdkit.ops.splatting import splat_average

SIZE_RATIO_LIMIT = 3.0
SIZE_PENALTY_WEIGHT = 1 / 20
DIST_THRESHOLD = 0.14
DIST_PENALTY_WEIGHT = 1 / 5
RANK_SUM_THRESHOLD = 0
MAX_CENTROID_SHIFT = 250.0
MAX_AREA_FRACTION = 0.12
MIN_AREA = 50
OVERLAP_THRESHOLD = 0.8
SPLAT_FLOOR = 0.05
PATCH_MIN = 16
PATCH_MARGIN = 10
DARK_MEAN = 20
# official DIS settings: medium preset, 25 variational refinement iterations, finest scale 0, 50 GD iterations
DIS_PARAMS = {"VariationalRefinementIterations": 25, "FinestScale": 0, "GradientDescentIterations": 50}


@dataclass
class Segments:
    """Per-segment statistics of a label map with ids 0..K−1."""

    labels: np.ndarray          # H×W int64
    counts: np.ndarray          # (K,) pixels
    cx: np.ndarray              # (K,) mean column (float64)
    cy: np.ndarray              # (K,) mean row
    boxes: list                 # (K,) (slice rows, slice cols) or None

    @classmethod
    def of(cls, labels: np.ndarray) -> Segments:
        h, w = labels.shape
        k = int(labels.max()) + 1
        flat = labels.reshape(-1)
        counts = np.bincount(flat, minlength=k)
        safe = np.maximum(counts, 1)
        ys, xs = np.divmod(np.arange(h * w, dtype=np.float64), w)
        return cls(labels, counts, np.bincount(flat, xs, k) / safe, np.bincount(flat, ys, k) / safe,
                   ndimage.find_objects(labels + 1, max_label=k))


def matching_degree(p1: torch.Tensor, p3: torch.Tensor, seg1: Segments, seg3: Segments) -> torch.Tensor:
    """(K1, K3) float32: histogram intersection of normalised descriptors minus the penalties."""
    a, b = p1.t().contiguous(), p3.t().contiguous()  # (K1, D), (K3, D)
    # Σ_d min(a_d, b_d) = (Σ a + Σ b − Σ |a_d − b_d|) / 2: one L1 cdist instead of a K1×K3×D tensor
    # (equal to the direct sum up to float32 summation order, ~1e-6, like any reordering of it)
    corr = (a.sum(1)[:, None] + b.sum(1)[None, :] - torch.cdist(a, b, p=1)) / 2
    n1 = seg1.counts.astype(np.float64)[:, None]
    n3 = seg3.counts.astype(np.float64)[None, :]
    ratio = np.maximum(n1 / n3, n3 / n1)
    h, w = seg1.labels.shape
    dist = np.hypot(seg1.cx[:, None] - seg3.cx[None], seg1.cy[:, None] - seg3.cy[None]) / np.hypot(h, w)
    penalty = np.where(ratio > SIZE_RATIO_LIMIT, ratio * SIZE_PENALTY_WEIGHT, 0.0)
    penalty = penalty + np.where(dist > DIST_THRESHOLD, dist * DIST_PENALTY_WEIGHT, 0.0)
    return corr - torch.from_numpy(penalty).float()


def _ranks(values: np.ndarray, axis: int) -> np.ndarray:
    """Rank of each entry along ``axis`` in descending order (ties by position)."""
    order = np.argsort(-values, axis=axis, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(values.shape[axis]).reshape((-1, 1) if axis == 0 else (1, -1)), axis)
    return ranks


def mutual_matching(corr: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """→ (rank_sum_1to3, match_1to3, rank_sum_3to1, match_3to1); rank sum 0 = each other's best."""
    values = corr.numpy()
    mutual = _ranks(values, 1) + _ranks(values, 0)
    match13, match31 = mutual.argmin(1), mutual.argmin(0)
    return mutual.min(1), match13, mutual.min(0), match31


def valid_sources(rank_sum: np.ndarray, match: np.ndarray, src: Segments, dst: Segments,
                  rank_sum_thr: int = RANK_SUM_THRESHOLD) -> np.ndarray:
    """Boolean (K_src,): the official validity rules for giving a segment guidance flow."""
    h, w = src.labels.shape
    n1 = src.counts.astype(np.float64)
    n2 = dst.counts[match].astype(np.float64)
    shift = np.hypot(dst.cx[match] - src.cx, dst.cy[match] - src.cy)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.maximum(n1 / n2, n2 / n1)
    return ((rank_sum <= rank_sum_thr) & (shift <= MAX_CENTROID_SHIFT) & (n1 < h * w * MAX_AREA_FRACTION)
            & (n1 > MIN_AREA) & (ratio < SIZE_RATIO_LIMIT))


def _masked_patch(gray: np.ndarray, mask: np.ndarray) -> np.ndarray:
    patch = gray.copy()
    patch[~mask] = 0
    if patch[mask].mean() < DARK_MEAN:  # brighten dark segments so DIS sees texture
        patch[mask] = 0.8 * patch[mask] + 0.2 * 200
    return patch


def _pad_to(a: np.ndarray, th: int, tw: int) -> tuple[np.ndarray, int, int]:
    top, left = (th - a.shape[0]) // 2, (tw - a.shape[1]) // 2
    return np.pad(a, ((top, th - top - a.shape[0]), (left, tw - left - a.shape[1]))), top, left


def segment_flow(gray1: np.ndarray, box1, mask1: np.ndarray, gray2: np.ndarray, box2,
                 mask2: np.ndarray) -> tuple[np.ndarray, int, int, float]:
    """DIS flow between two masked segment patches on a common zero canvas.

    Returns ``(patch flow (h,w,2), top, left offsets of patch 1, overlap rate)``
    where the overlap rate is |splat(mask1) ≥ 0.05 ∧ mask2| / |splat(mask1) ≥ 0.05|
    (NaN when nothing lands).
    """
    p1 = _masked_patch(gray1[box1], mask1)
    p2 = _masked_patch(gray2[box2], mask2)
    th = max(p1.shape[0], p2.shape[0], PATCH_MIN) + PATCH_MARGIN
    tw = max(p1.shape[1], p2.shape[1], PATCH_MIN) + PATCH_MARGIN
    c1, top, left = _pad_to(p1, th, tw)
    c2 = _pad_to(p2, th, tw)[0]
    m1 = _pad_to(mask1.astype(np.float32), th, tw)[0]
    m2 = _pad_to(mask2, th, tw)[0]
    flow = dis_flow(c1, c2, "medium", **DIS_PARAMS)
    warped = splat_average(torch.from_numpy(m1)[None, None], torch.from_numpy(flow).permute(2, 0, 1)[None])[0, 0].numpy()
    landed = warped >= SPLAT_FLOOR
    total = landed.sum()
    rate = float((landed & m2).sum() / total) if total else float("nan")
    return flow, top, left, rate


@contextlib.contextmanager
def _single_threaded_torch():
    """Many tiny tensor ops (one splat per segment) run faster without the intra-op thread pool."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def guidance_flow(img1: np.ndarray, img2: np.ndarray, src: Segments, dst: Segments, rank_sum: np.ndarray,
                  match: np.ndarray, rank_sum_thr: int = RANK_SUM_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """Guidance flow from img1 to img2, (2,H,W) float32 x then y, and the accepted-segment mask (K_src,)."""
    h, w = src.labels.shape
    flow = np.zeros((2, h, w), np.float32)
    gray1 = cv2.cvtColor(img1, cv2.COLOR_RGB2GRAY)
    gray2 = cv2.cvtColor(img2, cv2.COLOR_RGB2GRAY)
    accepted = np.zeros(len(src.counts), bool)
    with _single_threaded_torch():  # once per call: resizing the thread pool per segment costs CPU time
        for s in np.flatnonzero(valid_sources(rank_sum, match, src, dst, rank_sum_thr)):
            d = int(match[s])
            box1, box2 = src.boxes[s], dst.boxes[d]
            mask1 = src.labels[box1] == s
            mask2 = dst.labels[box2] == d
            patch, top, left, rate = segment_flow(gray1, box1, mask1, gray2, box2, mask2)
            if not rate > OVERLAP_THRESHOLD:
                continue
            accepted[s] = True
            shift_x = ((box2[1].start + box2[1].stop - 1) - (box1[1].start + box1[1].stop - 1)) / 2
            shift_y = ((box2[0].start + box2[0].stop - 1) - (box1[0].start + box1[0].stop - 1)) / 2
            ys, xs = np.nonzero(mask1)
            flow[0, ys + box1[0].start, xs + box1[1].start] = shift_x + patch[ys + top, xs + left, 0]
            flow[1, ys + box1[0].start, xs + box1[1].start] = shift_y + patch[ys + top, xs + left, 1]
    return flow, accepted


def guidance_flows(img1: np.ndarray, img3: np.ndarray, seg1: Segments, seg3: Segments, rank13: np.ndarray,
                   match13: np.ndarray, rank31: np.ndarray, match31: np.ndarray):
    """Both directions of :func:`guidance_flow` in two threads (DIS releases the GIL).

    The same arrays as two sequential calls (each direction is independent and deterministic); torch is
    set to one thread here, before the threads start, so that they do not resize its pool concurrently.
    Returns ``((flow13, accepted13), (flow31, accepted31))``.
    """
    with _single_threaded_torch(), ThreadPoolExecutor(max_workers=2) as pool:
        forward = pool.submit(guidance_flow, img1, img3, seg1, seg3, rank13, match13)
        backward = pool.submit(guidance_flow, img3, img1, seg3, seg1, rank31, match31)
        return forward.result(), backward.result()
