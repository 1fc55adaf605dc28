"""labutils.fairness: per-group rates and their gaps on a table small enough to count by
hand, the threshold rule, and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labutils.fairness import group_differences, group_metrics, threshold_for_rate

# Group "a": 5 rows, outcomes 1 1 1 0 0, decisions 1 1 0 1 0 -> TP 2, FN 1, FP 1, TN 1.
# Group "b": 4 rows, outcomes 1 0 0 0,   decisions 1 1 0 0   -> TP 1, FN 0, FP 1, TN 2.
Y_TRUE = [1, 1, 1, 0, 0, 1, 0, 0, 0]
Y_PRED = [1, 1, 0, 1, 0, 1, 1, 0, 0]
GROUPS = ["a", "a", "a", "a", "a", "b", "b", "b", "b"]


def test_group_metrics_by_hand() -> None:
    t = group_metrics(Y_TRUE, Y_PRED, GROUPS)
    assert list(t.index) == ["a", "b"] and t.index.name == "group"
    assert list(t.columns) == ["n", "base_rate", "selection_rate", "tpr", "fpr", "ppv"]
    assert t.loc["a"].tolist() == pytest.approx([5, 3 / 5, 3 / 5, 2 / 3, 1 / 2, 2 / 3])
    assert t.loc["b"].tolist() == pytest.approx([4, 1 / 4, 2 / 4, 1.0, 1 / 3, 1 / 2])


def test_group_differences_by_hand() -> None:
    d = group_differences(group_metrics(Y_TRUE, Y_PRED, GROUPS))
    assert d["demographic_parity_difference"] == pytest.approx(0.1)
    assert d["equal_opportunity_difference"] == pytest.approx(1 / 3)
    assert d["fpr_difference"] == pytest.approx(1 / 6)
    assert d["equalized_odds_difference"] == pytest.approx(1 / 3)


def test_bools_work_and_an_empty_denominator_is_nan() -> None:
    t = group_metrics(np.array([True, False, False, True]),
                      np.array([True, True, False, False]), np.array([1, 2, 2, 3]))
    assert t.loc[1, "tpr"] == 1.0 and math.isnan(t.loc[1, "fpr"])
    assert math.isnan(t.loc[2, "tpr"]) and t.loc[2, "fpr"] == 0.5 and t.loc[2, "ppv"] == 0.0
    assert t.loc[3, "tpr"] == 0.0 and math.isnan(t.loc[3, "ppv"])


def test_threshold_for_rate_exact() -> None:
    scores = [0.9, 0.1, 0.5, 0.7, 0.3, 0.8, 0.2, 0.6, 0.4, 0.0]
    assert threshold_for_rate(scores, 0.7) == 0.3  # 7 of 10 scores are >= 0.3
    assert threshold_for_rate(scores, 0.65) == 0.3  # at least 6.5 -> 7 scores
    assert threshold_for_rate(scores, 0.1) == 0.9
    assert threshold_for_rate(scores, 1.0) == 0.0
    s = np.array(scores)
    for rate in (0.15, 0.35, 0.5, 0.95):
        t = threshold_for_rate(s, rate)
        assert (s >= t).mean() >= rate and not (s > t).mean() >= rate


@pytest.mark.parametrize("call, match", [
    (lambda: group_metrics([0, 2], [0, 1], [0, 0]), "y_true must hold only 0/1"),
    (lambda: group_metrics([0, 1], [0, 1], [0, 0, 1]), "must be 1-D and of one length"),
    (lambda: group_metrics([], [], []), "y_true must be a non-empty 1-D array"),
    (lambda: group_differences({"tpr": 1}), "table must be a group_metrics DataFrame"),
    (lambda: threshold_for_rate([0.1, 0.2], 0.0), r"rate must be a number in \(0, 1\]"),
    (lambda: threshold_for_rate([], 0.5), "scores must be a non-empty 1-D array"),
])
def test_bad_arguments(call, match) -> None:
    with pytest.raises(ValueError, match=match):
        call()
