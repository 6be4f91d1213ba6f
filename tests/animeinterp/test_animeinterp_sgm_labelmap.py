"""SGM label maps against a straightforward restatement of the official per-segment loops."""

import cv2
import numpy as np
import pytest

from atdkit.methods.animeinterp.sgm import labelmap as lm

# ---- restatement of the official algorithm: one full-image pass per fill / region / pixel ----


def ref_trapped_ball(unfilled, radius, keep_largest, max_iter=1000):
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    area = unfilled.copy()
    fills = []
    for _ in range(max_iter):
        ys, xs = np.nonzero(cv2.morphologyEx(area, cv2.MORPH_ERODE, kernel) == 255)
        if len(ys) == 0:
            break
        seed = (int(xs[0]), int(ys[0]))
        pass1 = np.full(area.shape, 255, np.uint8)
        cv2.floodFill(pass1, cv2.copyMakeBorder(255 - area, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0), seed, 0, 0, 0, 4)
        pass1 = cv2.morphologyEx(pass1, cv2.MORPH_DILATE, kernel)
        pass2 = np.full(area.shape, 255, np.uint8)
        cv2.floodFill(pass2, cv2.copyMakeBorder(pass1, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0), seed, 0, 0, 0, 4)
        fill = cv2.morphologyEx(pass2, cv2.MORPH_ERODE, kernel)
        area = cv2.bitwise_and(area, fill)
        fills.append(np.flatnonzero(fill == 0))
    if keep_largest and fills:
        biggest = max(len(f) for f in fills)
        fills = [f for f in fills if len(f) >= biggest]
    return fills


def ref_flood(area):
    fills = []
    area = area.copy()
    while True:
        ys, xs = np.nonzero(area == 255)
        if len(ys) == 0:
            return fills
        out = np.full(area.shape, 255, np.uint8)
        cv2.floodFill(out, cv2.copyMakeBorder(255 - area, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0),
                      (int(xs[0]), int(ys[0])), 0, 0, 0, 4)
        area = cv2.bitwise_and(area, out)
        fills.append(np.flatnonzero(out == 0))


def ref_fill_map(binary):
    result = binary.copy()
    fills = []
    for radius, keep in ((3, True), (2, False), (1, False)):
        found = ref_trapped_ball(result, radius, keep)
        fills += found
        for f in found:
            result.ravel()[f] = 0
    fills += ref_flood(result)
    out = np.zeros(binary.shape, np.int64)
    for i, f in enumerate(fills):
        out.ravel()[f] = i + 1
    return out


def ref_merge(image, fillmap, max_iter=10):
    h, w = fillmap.shape
    result = fillmap.copy()
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for _ in range(max_iter):
        result[fillmap == 0] = 0
        ids = np.unique(result)
        info = {}
        for j in ids:
            mask = result == j
            pts = np.nonzero(mask)
            hist = np.concatenate([np.histogram(image[..., c][mask], 25)[0] for c in range(3)]).astype(float)
            info[j] = (pts, len(pts[0]), (pts[1].min(), pts[0].min(), pts[1].max(), pts[0].max()), hist / hist.sum())
        for j in ids:
            pts, area, (x1, y1, x2, y2), hist = info[j]
            if j == 0 or area >= 500:
                continue
            bx1, by1 = max(x1 - 2, 0), max(y1 - 2, 0)
            bx2, by2 = min(x2 + 3, w), min(y2 + 3, h)
            fill = np.zeros((by2 - by1, bx2 - bx1), np.uint8)
            fill[pts[0] - by1, pts[1] - bx1] = 255
            contours, _ = cv2.findContours(fill, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            approx = cv2.approxPolyDP(contours[0], 0.02 * cv2.arcLength(contours[0], True), True)
            border = cv2.morphologyEx(fill, cv2.MORPH_DILATE, cross) - fill
            by, bx = np.nonzero(border == 255)
            pixel_ids, counts = np.unique(result[by + by1, bx + bx1], return_counts=True)
            nbrs = pixel_ids[pixel_ids != 0]
            cnts = counts[1:] if pixel_ids[0] == 0 else counts
            new_id, best, count_at_max, score = j, -1, -1, -1
            if len(nbrs) == 0:
                if area < 5:
                    new_id = 0
            else:
                new_id = nbrs[0]
                for k, n in enumerate(nbrs):
                    score = np.sum(np.min([hist, info[n][3]], axis=0))
                    if score > best:
                        best, count_at_max, new_id = score, cnts[k], n
            if (len(approx) == 1 or area == 1 or (area < 300 and len(nbrs) == 1)
                    or (area < 500 and len(nbrs) == 1 and count_at_max > 2) or area < 50
                    or (score > 0.2 and area < 150 and count_at_max > 1)
                    or (score > 0.25 and area < 250 and count_at_max > 8)):
                result[pts] = new_id
        if len(ids) == len(np.unique(result)):
            break
    return result


def ref_thinning(fillmap, max_iter=100):
    h, w = fillmap.shape
    result = fillmap.copy()
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for _ in range(max_iter):
        if not (result == 0).any():
            break
        line = np.full((h, w), 255, np.uint8)
        line[result == 0] = 0
        border = cv2.morphologyEx(line, cv2.MORPH_DILATE, cross) - line
        tmp = result.copy()
        for y, x in zip(*np.nonzero(border == 255)):
            for ok, yy, xx in ((x - 1 > 0, y, x - 1), (x - 1 > 0 and y - 1 > 0, y - 1, x - 1), (y - 1 > 0, y - 1, x),
                               (y - 1 > 0 and x + 1 < w, y - 1, x + 1), (x + 1 < w, y, x + 1),
                               (x + 1 < w and y + 1 < h, y + 1, x + 1), (y + 1 < h, y + 1, x),
                               (y + 1 < h and x - 1 > 0, y + 1, x - 1)):
                if ok and result[yy, xx] != 0:
                    tmp[y, x] = result[yy, xx]
                    break
        result = tmp
    return result


def ref_squeeze(labels, kind=None):
    """The official squeeze_label_map's rule: np.unique's counts, NumPy's default argsort, in a loop."""
    out = labels.copy()
    ids, counts = np.unique(labels, return_counts=True)
    for new, old in enumerate(np.argsort(counts, kind=kind)):
        out[labels == ids[old]] = new
    return out


def test_squeeze_numbers_equal_sized_segments_as_the_official_sort():
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 4, 60)  # 60 segments of 1-3 pixels: many ties, where the default sort is unstable
    labels = np.repeat(rng.permutation(1000)[:60] * 7, sizes)[None]
    assert np.array_equal(lm.squeeze_labels(labels), ref_squeeze(labels))
    assert not np.array_equal(lm.squeeze_labels(labels), ref_squeeze(labels, kind="stable"))  # ties matter here


# ---- drawn test images ----


def drawn_lines(seed):
    """A line drawing with closed shapes, a leaking gap, thin strokes, specks and border contact."""
    rng = np.random.default_rng(seed)
    img = np.full((72, 96), 255, np.uint8)
    cv2.rectangle(img, (4, 4), (60, 50), 0, 1)
    cv2.circle(img, (70, 30), 14, 0, 2)
    cv2.line(img, (0, 60), (95, 58), 0, 1)
    cv2.line(img, (30, 4), (30, 30), 0, 1)
    cv2.ellipse(img, (40, 40), (12, 6), 0, 20, 340, 0, 1)  # open curve: a 1–3 px leak
    for _ in range(12):
        y, x = rng.integers(0, 72), rng.integers(0, 96)
        img[y:y + rng.integers(1, 3), x:x + rng.integers(1, 3)] = 0
    return img


def coloured(binary, seed):
    """Colour the regions of a line drawing (flat random colours plus noise), lines black."""
    rng = np.random.default_rng(seed)
    _, comp = cv2.connectedComponents((binary == 255).astype(np.uint8), connectivity=4)
    palette = rng.integers(40, 250, (comp.max() + 1, 3))
    img = palette[comp].astype(np.int64) + rng.integers(-6, 7, comp.shape + (3,))
    img[binary == 0] = 0
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fill_map_equals_the_per_fill_loop(seed):
    binary = drawn_lines(seed)
    assert np.array_equal(lm.fill_map(binary), ref_fill_map(binary))


def test_trapped_ball_respects_the_fill_limit():
    binary = drawn_lines(0)
    assert [list(f) for f in lm.trapped_ball_fills(binary, 1, max_fills=2)] == \
        [list(f) for f in ref_trapped_ball(binary, 1, False, max_iter=2)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merge_thinning_squeeze_equal_the_per_region_loops(seed):
    binary = drawn_lines(seed)
    image = coloured(binary, seed)
    fills = ref_fill_map(binary)
    merged = lm.merge_regions(image, fills)
    want = ref_merge(image, fills)
    assert np.array_equal(merged, want)
    assert len(np.unique(merged)) < len(np.unique(fills))  # the specks did merge
    thinned = lm.thin_lines(merged)
    assert np.array_equal(thinned, ref_thinning(want))
    assert np.array_equal(lm.squeeze_labels(thinned), ref_squeeze(thinned))


def test_colour_histograms_equal_numpy_histogram():
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (20, 30, 3)).astype(np.uint8)
    image[:5] = 77  # a flat region: NumPy widens the range by ±0.5
    labels = np.zeros((20, 30), np.int64)
    labels[5:12] = 1
    labels[12:, :10] = 2
    labels[12:, 10:] = 3
    got = lm._colour_histograms(image, labels.ravel(), 4)
    for j in range(4):
        mask = labels == j
        hist = np.concatenate([np.histogram(image[..., c][mask], 25)[0] for c in range(3)]).astype(float)
        np.testing.assert_array_equal(got[j], hist / hist.sum())


def test_line_mask_finds_the_outlines_of_a_drawn_cel(make_cel):
    img = make_cel()
    mask = lm.line_mask(img, "japanese")
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    assert mask[35, 40 - 16] == 0 and mask[35, 40] == 255  # disc outline is line, its inside is not
    assert np.all(lm.line_mask(np.full((20, 20, 3), 128, np.uint8)) == 255)  # flat frame: no lines


def test_label_map_segments_a_drawn_cel(make_cel):
    labels = lm.label_map(make_cel(), "japanese")
    assert labels.min() == 0 and (labels >= 0).all()
    counts = np.bincount(labels.ravel())
    assert np.all(np.diff(counts) >= 0)  # ids ordered by size
    disc = labels[35, 40]
    assert labels[35, 45] == disc and labels[5, 5] != disc and labels[75, 60] != disc


def test_full_pipeline_equals_the_loops_on_a_real_cartoon_crop(pigs_frames):
    image = pigs_frames[0][60:160, 60:220]
    binary = lm.line_mask(image, "disney")
    fills = lm.fill_map(binary)
    assert np.array_equal(fills, ref_fill_map(binary)) and fills.max() > 50
    want = ref_squeeze(ref_thinning(ref_merge(image, fills)))
    assert np.array_equal(lm.label_map(image, "disney"), want)


def test_sgm_gives_the_label_map_the_frame_in_bgr_as_the_official_code(tmp_path):
    """gen_sgm.py reads frames with cv2.imread (BGR) and its label-map code works on that order."""
    from atdkit.methods.animeinterp.sgm import label_maps

    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[:, :32] = (200, 40, 10)
    rgb[:, 32:] = (10, 40, 200)
    rgb[:, 31:33] = 0
    seen = []
    real = lm.label_map

    def spy(image, style):
        seen.append(image.copy())
        return real(image, style)

    import atdkit.methods.animeinterp.sgm as sgm_module

    sgm_module.label_map, before = spy, sgm_module.label_map
    try:
        label_maps(rgb, rgb, "disney")
    finally:
        sgm_module.label_map = before
    assert len(seen) == 2 and all(np.array_equal(s, rgb[..., ::-1]) for s in seen)


def test_tied_colour_scores_break_by_channel_order_so_the_label_map_needs_bgr():
    """A small region S (16 px, uniform colour) between two large regions A and B whose colour
    histograms give S exactly equal intersection scores, built from the merge arithmetic:

    S's L1-normalised 75-bin histogram is 1/3 in the middle bin (12) of each channel block, so the
    score with a neighbour is the sum of three non-zero terms x_c = (the neighbour's pixels in its own
    middle bin of channel c) / (3·area). NumPy sums a 75-long row with eight accumulators, the three
    terms (at 12, 37, 62) landing in accumulators 4, 5, 6: the score is (x0 + x1) + x2. A has middle-bin
    counts (1, 1, 14) over R, G, B and B the reverse (14, 1, 1): the exact sums are equal, but in float64
    (x0 + x1) + x2 ≠ (x2 + x1) + x0, so which neighbour has the larger score, and absorbs S (area < 50
    always merges), flips with the channel order. The official code sees BGR (cv2.imread)."""
    h, w = 30, 60
    fills = np.full((h, w), 2, np.int64)
    fills[:, 30:] = 3
    fills[13:17, 28:32] = 1  # S, touching A (label 2) and B (label 3)
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[13:17, 28:32] = 60
    middle_counts = {2: (1, 1, 14), 3: (14, 1, 1)}
    for label, counts in middle_counts.items():
        ys, xs = np.nonzero(fills == label)
        for c, k in enumerate(counts):
            values = np.where(np.arange(ys.size) % 2 == 0, 0, 250).astype(np.uint8)  # range 0..250 per channel
            values[1:1 + k] = 125  # 125 is the middle bin of 0..250
            rgb[ys, xs, c] = values
    area = int((fills == 2).sum())
    x = np.array(middle_counts[2]) / (3.0 * area)
    assert (x[0] + x[1]) + x[2] != (x[2] + x[1]) + x[0]  # tied exactly, not in float64
    bgr = np.ascontiguousarray(rgb[..., ::-1])

    official = lm.merge_regions(bgr, fills)
    assert np.array_equal(official, ref_merge(bgr, fills))  # the official loop, on the official input
    wrong = lm.merge_regions(rgb, fills)
    winner = {official[14, 29], wrong[14, 29]}
    assert winner == {2, 3}  # S went to B with BGR and to A with RGB (or the reverse): not the same
    maps = {name: lm.squeeze_labels(lm.thin_lines(m)) for name, m in (("bgr", official), ("rgb", wrong))}
    for name, labels in maps.items():
        assert len(np.unique(labels)) == 2  # S merged into one of its neighbours
    # different partitions, not a renumbering: S's pixels join A's segment in one and B's in the other
    assert (maps["bgr"][14, 29] == maps["bgr"][0, 0]) != (maps["rgb"][14, 29] == maps["rgb"][0, 0])
