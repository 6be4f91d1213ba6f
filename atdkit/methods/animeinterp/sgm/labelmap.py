"""Label maps for SGM: line extraction, trapped-ball filling, merging, thinning, squeezing.

A re-statement of AnimeInterp's ``gen_labelmap.py`` / ``linefiller`` pipeline
(SPEC §4.1 steps 1–2) that gives the same label map without the per-segment
full-image passes of the original:

* trapped-ball filling processes the connected components of the eroded
  unfilled area in the original's seed order (raster order of the first
  remaining pixel) with a lazy priority queue, working in local windows;
* merging computes every region's area, box and colour histogram at once and
  then visits the small regions in ascending id order (the decisions depend
  on earlier ones within an iteration, as in the original), each in its box;
* thinning is one vectorised step per iteration.

``squeeze_labels`` orders segments of equal size as the original does: NumPy's
default (unstable) ``argsort`` of the counts of ``np.unique``, so with the same
NumPy the numbering is the original's too. Images are H×W×3 uint8 in **BGR**
order, as the official ``gen_sgm.py`` reads them with ``cv2.imread``. The result
is not invariant to channel order: the merge step's colour-histogram scores can
tie exactly, and which tied neighbour wins depends on the summation order over
the channels.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage
from skimage.filters import apply_hysteresis_threshold


@dataclass(frozen=True)
class LineStyle:
    """Line-extraction parameters: hysteresis thresholds and bilateral filter (d, sigmaColor, sigmaSpace)."""

    low: float
    high: float
    bilateral: tuple[int, int, int]


STYLES = {
    "japanese": LineStyle(2, 20, (10, 10, 10)),
    "disney": LineStyle(1, 20, (30, 40, 30)),
}
BINARY_THRESHOLD = 220
TRAPPED_BALL_MAX_FILLS = 1000
FLOOD_FILL_MAX = 20000
MERGE_MAX_ITER = 10
MERGE_SMALL_AREA = 500
HIST_BINS = 25
THINNING_MAX_ITER = 100


def line_mask(image: np.ndarray, style: LineStyle | str = "disney") -> np.ndarray:
    """Binary fill mask, H×W uint8: 255 = fillable, 0 = line (SPEC §4.1 step 1).

    Bilateral filter → 5×5 Laplacian per channel → scaled so the maximum is
    255 → 3-D hysteresis (connectivity also across channels) → ×20, max over
    channels, 255 − v clipped to uint8 → threshold at 220. A frame without
    any positive Laplacian response has no lines.
    """
    style = STYLES[style] if isinstance(style, str) else style
    filtered = cv2.bilateralFilter(image, *style.bilateral)
    lap = cv2.Laplacian(filtered, ddepth=cv2.CV_32F, ksize=5)
    peak = float(lap.max())
    if peak <= 0:
        return np.full(image.shape[:2], 255, np.uint8)
    scaled = lap * np.float32(255.0 / peak)
    scaled[~apply_hysteresis_threshold(scaled, style.low, style.high)] = 0
    darkness = np.clip(255 - (scaled * 20).max(axis=2), 0, 255).astype(np.uint8)
    return cv2.threshold(darkness, BINARY_THRESHOLD, 255, cv2.THRESH_BINARY)[1]


def ball(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _window(box: tuple[int, int, int, int], pad: int, shape: tuple[int, int]) -> tuple[slice, slice]:
    y0, y1, x0, x1 = box  # inclusive-exclusive
    return slice(max(y0 - pad, 0), min(y1 + pad, shape[0])), slice(max(x0 - pad, 0), min(x1 + pad, shape[1]))


def trapped_ball_fills(unfilled: np.ndarray, radius: int, max_fills: int = TRAPPED_BALL_MAX_FILLS) -> list[np.ndarray]:
    """Trapped-ball fills of the white (255) area, in the original's creation order.

    Each fill = the ball-dilation of the 4-connected component (containing
    the seed) of the ball-eroded unfilled area, where the seed is the first
    remaining pixel in raster order of that eroded area; the fill is then
    removed from the unfilled area. Returns flat pixel indices per fill.
    """
    h, w = unfilled.shape
    kernel = ball(radius)
    current = unfilled.copy()
    eroded0 = cv2.morphologyEx(current, cv2.MORPH_ERODE, kernel) == 255
    count, comp = cv2.connectedComponents(eroded0.astype(np.uint8), connectivity=4)
    if count <= 1:
        return []
    flat = comp.ravel()
    order = np.argsort(flat, kind="stable")
    starts = np.searchsorted(flat[order], np.arange(count + 1))
    boxes = ndimage.find_objects(comp)
    heap = [(int(order[starts[k]]), k) for k in range(1, count)]  # first pixel of each component
    heapq.heapify(heap)
    fills: list[np.ndarray] = []
    while heap and len(fills) < max_fills:
        key, k = heapq.heappop(heap)
        sy, sx = boxes[k - 1]
        inner = (sy.start, sy.stop, sx.start, sx.stop)
        wy, wx = _window(inner, radius, (h, w))
        eroded = cv2.morphologyEx(current[wy, wx], cv2.MORPH_ERODE, kernel) == 255
        iy, ix = slice(sy.start - wy.start, sy.stop - wy.start), slice(sx.start - wx.start, sx.stop - wx.start)
        alive = eroded[iy, ix] & (comp[sy, sx] == k)
        local = np.flatnonzero(alive)
        if local.size == 0:
            continue
        bw = sx.stop - sx.start
        first = (sy.start + local[0] // bw) * w + sx.start + local[0] % bw
        if first != key:  # shrunk by earlier fills: re-queue at its true first pixel
            heapq.heappush(heap, (int(first), k))
            continue
        seed_y, seed_x = divmod(int(local[0]), bw)
        _, parts = cv2.connectedComponents(alive.astype(np.uint8), connectivity=4)
        piece = parts == parts[seed_y, seed_x]
        # dilate the piece by the ball inside a window padded by the radius
        dy, dx = _window(inner, radius, (h, w))
        canvas = np.zeros((dy.stop - dy.start, dx.stop - dx.start), np.uint8)
        canvas[sy.start - dy.start:sy.stop - dy.start, sx.start - dx.start:sx.stop - dx.start][piece] = 255
        grown = cv2.morphologyEx(canvas, cv2.MORPH_DILATE, kernel) == 255
        gy, gx = np.nonzero(grown)
        fill = (gy + dy.start) * w + (gx + dx.start)
        fills.append(fill)
        current.ravel()[fill] = 0
        rest = np.flatnonzero(alive & ~piece)
        if rest.size:
            heapq.heappush(heap, (int((sy.start + rest[0] // bw) * w + sx.start + rest[0] % bw), k))
    return fills


def flood_fills(unfilled: np.ndarray, max_fills: int = FLOOD_FILL_MAX) -> list[np.ndarray]:
    """4-connected components of the white area, ordered by their first pixel (raster order)."""
    count, comp = cv2.connectedComponents((unfilled == 255).astype(np.uint8), connectivity=4)
    flat = comp.ravel()
    order = np.argsort(flat, kind="stable")
    starts = np.searchsorted(flat[order], np.arange(count + 1))
    groups = [np.sort(order[starts[k]:starts[k + 1]]) for k in range(1, count)]
    groups.sort(key=lambda g: g[0])
    return groups[:max_fills]


def fill_map(binary: np.ndarray) -> np.ndarray:
    """``trapped_ball_processed`` without merging/thinning: 0 = line, fills numbered 1..N in creation order.

    Radius 3 keeping only the largest fill(s), then radius 2 and 1 keeping
    all, then plain flood fill of what is left.
    """
    result = binary.copy()
    largest = trapped_ball_fills(result, 3)
    if largest:
        biggest = max(f.size for f in largest)
        largest = [f for f in largest if f.size >= biggest]
    fills: list[np.ndarray] = []

    def mark(found: list[np.ndarray]) -> None:
        fills.extend(found)
        for f in found:
            result.ravel()[f] = 0

    mark(largest)
    mark(trapped_ball_fills(result, 2))
    mark(trapped_ball_fills(result, 1))
    fills += flood_fills(result)
    out = np.zeros(binary.shape, np.int64)
    for index, f in enumerate(fills):
        out.ravel()[f] = index + 1
    return out


def _colour_histograms(image: np.ndarray, inverse: np.ndarray, n_labels: int) -> np.ndarray:
    """(L, 3·25) L1-normalised histograms with NumPy's per-region bin edges (min..max of each channel)."""
    channels = image.shape[2]
    hists = np.zeros((n_labels, channels, HIST_BINS))
    values = np.arange(256, dtype=np.float64)
    for c in range(channels):
        counts = np.bincount(inverse * 256 + image[..., c].ravel(), minlength=n_labels * 256).reshape(n_labels, 256)
        present = counts > 0
        first = np.argmax(present, 1).astype(np.float64)
        last = (255 - np.argmax(present[:, ::-1], 1)).astype(np.float64)
        same = first == last
        first[same] -= 0.5
        last[same] += 0.5
        edges = np.linspace(first, last, HIST_BINS + 1, axis=1)  # (L, 26), as np.histogram builds them
        idx = (((values[None] - first[:, None]) / (last - first)[:, None]) * HIST_BINS).astype(np.intp)
        idx[idx == HIST_BINS] -= 1
        idx = np.clip(idx, 0, HIST_BINS - 1)  # values outside a region's range carry no count anyway
        idx -= values[None] < np.take_along_axis(edges, idx, 1)
        idx = np.clip(idx, 0, HIST_BINS - 1)
        idx += (values[None] >= np.take_along_axis(edges, idx + 1, 1)) & (idx != HIST_BINS - 1)
        slots = (np.arange(n_labels)[:, None] * HIST_BINS + idx).ravel()
        hists[:, c] = np.bincount(slots, weights=counts.ravel(), minlength=n_labels * HIST_BINS).reshape(n_labels, HIST_BINS)
    hists = hists.reshape(n_labels, channels * HIST_BINS)
    return hists / hists.sum(1, keepdims=True)


_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def _dense_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(labels, return_inverse=True, return_counts=True)`` for small non-negative ints, without sorting."""
    counts = np.bincount(labels.ravel())
    ids = np.flatnonzero(counts)
    lut = np.zeros(len(counts), np.int64)
    lut[ids] = np.arange(len(ids))
    return ids, lut[labels.ravel()], counts[ids]


def _first_contour_is_a_point(region: np.ndarray) -> bool:
    """The original's ``len(approxPolyDP(contours[0], 0.02·perimeter)) == 1`` test."""
    contours = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    return len(cv2.approxPolyDP(contours[0], 0.02 * cv2.arcLength(contours[0], True), True)) == 1


def merge_regions(image: np.ndarray, fillmap: np.ndarray, max_iter: int = MERGE_MAX_ITER) -> np.ndarray:
    """``my_merge_fill``: absorb small regions into a neighbour with the most similar colours.

    Per iteration, regions with area < 500 are visited in ascending id order;
    neighbours (4-connected border of the region's start-of-iteration pixels,
    read from the *current* labels) are ranked by colour-histogram
    intersection; the rules of SPEC §4.1 step 6 decide (including the quirk
    that ``score`` is the last neighbour's). Stops when the label count is stable.
    """
    h, w = fillmap.shape
    result = fillmap.copy()
    lines = fillmap == 0
    for _ in range(max_iter):
        result[lines] = 0
        ids, inverse, areas = _dense_labels(result)
        hists = _colour_histograms(image, inverse, len(ids))
        start = result.copy()
        boxes = ndimage.find_objects(inverse.reshape(h, w) + 1)
        for li in np.flatnonzero((ids != 0) & (areas < MERGE_SMALL_AREA)):
            label, area = ids[li], areas[li]
            sy, sx = boxes[li]
            wy, wx = _window((sy.start, sy.stop, sx.start, sx.stop), 2, (h, w))
            region = (start[wy, wx] == label).astype(np.uint8) * 255
            border = (cv2.morphologyEx(region, cv2.MORPH_DILATE, _CROSS) - region) == 255
            view = result[wy, wx]
            pixel_ids, counts = np.unique(view[border], return_counts=True)
            nonzero = pixel_ids != 0
            neighbours, contact = pixel_ids[nonzero], counts[nonzero]
            new_id = label
            count_at_max = -1
            score = -1.0
            if neighbours.size == 0:
                if area < 5:
                    new_id = 0
            else:
                scores = np.minimum(hists[li][None], hists[np.searchsorted(ids, neighbours)]).sum(1)
                best = int(np.argmax(scores))  # first maximum, as the strict '>' scan
                new_id, count_at_max, score = neighbours[best], contact[best], scores[-1]
            single = neighbours.size == 1
            if (area == 1
                    or (area < 300 and single)
                    or (area < 500 and single and count_at_max > 2)
                    or area < 50
                    or (score > 0.2 and area < 150 and count_at_max > 1)
                    or (score > 0.25 and area < 250 and count_at_max > 8)
                    or _first_contour_is_a_point(region)):  # the costliest rule last
                view[region == 255] = new_id
        if len(ids) == np.count_nonzero(np.bincount(result.ravel())):
            break
    return result


# thinning: neighbour order left, up-left, up, up-right, right, down-right, down, down-left,
# each with the original's guards (x − 1 > 0 and y − 1 > 0, so row/column 0 never donate)
_THIN_STEPS = ((0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1))


def thin_lines(fillmap: np.ndarray, max_iter: int = THINNING_MAX_ITER) -> np.ndarray:
    """Give line pixels (0) that 4-touch a region the label of their first labelled neighbour, repeatedly."""
    h, w = fillmap.shape
    result = fillmap.copy()
    for _ in range(max_iter):
        line = result == 0
        if not line.any():
            break
        touching = np.zeros_like(line)
        touching[:, 1:] |= ~line[:, :-1]
        touching[:, :-1] |= ~line[:, 1:]
        touching[1:] |= ~line[:-1]
        touching[:-1] |= ~line[1:]
        ys, xs = np.nonzero(line & touching)
        new = np.zeros(ys.size, result.dtype)
        done = np.zeros(ys.size, bool)
        for dy, dx in _THIN_STEPS:
            ok = ~done
            ok &= (xs - 1 > 0) if dx < 0 else (xs + 1 < w) if dx > 0 else True
            ok &= (ys - 1 > 0) if dy < 0 else (ys + 1 < h) if dy > 0 else True
            vals = result[np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1)]
            take = ok & (vals != 0)
            new[take] = vals[take]
            done |= take
        if not done.any():
            break
        result[ys[done], xs[done]] = new[done]
    return result


def squeeze_labels(labels: np.ndarray) -> np.ndarray:
    """Relabel to 0..K−1 by ascending pixel count (smallest segment 0). Segments of equal size are
    ordered by NumPy's default argsort of the counts, as the official ``squeeze_label_map`` does."""
    ids, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    rank = np.empty(len(ids), np.int64)
    rank[np.argsort(counts)] = np.arange(len(ids))
    return rank[inverse.reshape(labels.shape)]


def label_map(image: np.ndarray, style: LineStyle | str = "disney") -> np.ndarray:
    """The full pipeline: H×W×3 uint8 BGR → H×W int64 segment ids 0..K−1 (by ascending size)."""
    fills = fill_map(line_mask(image, style))
    return squeeze_labels(thin_lines(merge_regions(image, fills)))
