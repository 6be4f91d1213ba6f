"""Kappa and IoU against hand-computed cases."""

import math

import pandas as pd
import pytest

from atdkit.labels.agreement import agreement_table, box_iou, cohen_kappa, mean_pairwise_iou, pairwise_kappa


def test_kappa_binary_hand_computed():
    # pairs: (Y,Y)×4 (Y,N)×2 (N,Y)×1 (N,N)×3 → p_o = 0.7; A: 6 Y, B: 5 Y → p_e = 0.5; kappa = 0.4
    a = ["Y"] * 6 + ["N"] * 4
    b = ["Y"] * 4 + ["N"] * 2 + ["Y"] + ["N"] * 3
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_kappa_three_categories_hand_computed():
    # p_o = 4/6; p_e = (2·2 + 2·3 + 2·1)/36 = 1/3 → kappa = (2/3 − 1/3)/(2/3) = 0.5
    a = ["easy", "easy", "medium", "medium", "hard", "hard"]
    b = ["easy", "medium", "medium", "medium", "hard", "easy"]
    assert cohen_kappa(a, b) == pytest.approx(0.5)


def test_kappa_perfect_opposite_and_undefined():
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert cohen_kappa([1, 0, 1, 0], [0, 1, 0, 1]) == pytest.approx(-1.0)
    assert math.isnan(cohen_kappa([1, 1], [1, 1]))  # p_e = 1
    assert math.isnan(cohen_kappa([], []))
    with pytest.raises(ValueError):
        cohen_kappa([1], [1, 0])


def test_iou_hand_computed():
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert box_iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0
    # pairs: 1/3, 0, 0 → 1/9
    assert mean_pairwise_iou([(0, 0, 10, 10), (5, 0, 10, 10), (50, 50, 1, 1)]) == pytest.approx(1 / 9)
    assert math.isnan(mean_pairwise_iou([(0, 0, 1, 1)]))


def test_pairwise_kappa_weights_pairs_by_shared_items():
    # pair (a, b): 4 shared items, kappa 1; pair (a, c): 2 items, kappa −1 → (4·1 + 2·−1)/6 = 1/3
    rows = [("t1", "a", True), ("t1", "b", True), ("t2", "a", False), ("t2", "b", False),
            ("t3", "a", True), ("t3", "b", True), ("t4", "a", False), ("t4", "b", False),
            ("t5", "a", True), ("t5", "c", False), ("t6", "a", False), ("t6", "c", True)]
    df = pd.DataFrame(rows, columns=["triplet_id", "annotator", "accept"])
    k, n, pairs = pairwise_kappa(df, "accept", min_shared=1)
    assert n == 6 and k == pytest.approx(1 / 3)
    assert sorted(zip(pairs["a"], pairs["b"], pairs["n"])) == [("a", "b", 4), ("a", "c", 2)]


def test_agreement_table_uses_only_accepting_annotations():
    votes = pd.DataFrame([("t1", "a", True), ("t1", "b", True), ("t2", "a", True), ("t2", "b", False)],
                         columns=["triplet_id", "annotator", "accept"])
    ann = pd.DataFrame([("t1", "a", 0, 0, 10, 10, "easy", "translation", "walking"),
                        ("t1", "b", 5, 0, 10, 10, "easy", "rotation", "walking"),
                        ("t2", "a", 0, 0, 10, 10, "hard", "scaling", "eating"),
                        ("t2", "b", 0, 0, 10, 10, "hard", "scaling", "eating")],  # b rejected t2: ignored
                       columns=["triplet_id", "annotator", "roi_x", "roi_y", "roi_w", "roi_h",
                                "difficulty", "motion_type", "behavior"])
    table = agreement_table(votes, ann, min_shared=1).set_index("measure")
    assert table.loc["mean RoI IoU", "value"] == pytest.approx(1 / 3)
    assert table.loc["mean RoI IoU", "n"] == 1
    # t1 only: one shared item each, one label each → p_e = 1 → undefined
    assert math.isnan(table.loc["kappa difficulty", "value"])
    # accept/reject: a = [T, T], b = [T, F] → p_o = 1/2, p_e = (2·1)/4 = 1/2 → kappa 0
    assert table.loc["kappa accept/reject", "value"] == pytest.approx(0.0)


def test_pairs_with_too_few_shared_items_are_left_out_and_listed():
    from atdkit.labels.agreement import MIN_SHARED_ITEMS, agreement_pairs

    # a–b share 10 items (agree on all, both labels used) → kappa 1; a–c share 9 items, all opposite
    rows = [(f"t{i}", who, i % 2 == 0) for i in range(10) for who in ("a", "b")]
    rows += [(f"t{i}", "c", i % 2 == 1) for i in range(9)]
    votes = pd.DataFrame(rows, columns=["triplet_id", "annotator", "accept"])
    assert MIN_SHARED_ITEMS == 10
    k, n, pairs = pairwise_kappa(votes, "accept")
    assert (k, n) == (pytest.approx(1.0), 10)               # a–c (9 items, kappa −1) left out
    assert sorted(zip(pairs["a"], pairs["b"], pairs["n"], pairs["used"])) == \
        [("a", "b", 10, True), ("a", "c", 9, False), ("b", "c", 9, False)]
    row = agreement_table(votes, votes.iloc[0:0]).set_index("measure").loc["kappa accept/reject"]
    assert (row["n"], row["pairs"], row["pairs_left_out"]) == (10, 1, 2)
    listed = agreement_pairs(votes, votes.iloc[0:0])
    assert list(listed["measure"].unique()) == ["kappa accept/reject"] and len(listed) == 3
