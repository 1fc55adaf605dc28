"""labutils.metrics: NumPy metrics equal scikit-learn's, input handling. The confusion-matrix
plot is tested in test_plots.py."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from labutils.metrics import confusion_matrix, evaluate_classifier


def _check_against_sklearn(report, y_true, y_pred, labels):
    kw = dict(labels=labels, zero_division=0)
    assert report.accuracy == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-12)
    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, average=None, **kw)
    np.testing.assert_allclose(report.precision, p, atol=1e-12)
    np.testing.assert_allclose(report.recall, r, atol=1e-12)
    np.testing.assert_allclose(report.f1, f, atol=1e-12)
    np.testing.assert_array_equal(report.support, s)
    for ours, average_of in ((report.precision_macro, skm.precision_score),
                             (report.recall_macro, skm.recall_score),
                             (report.f1_macro, skm.f1_score)):
        assert ours == pytest.approx(average_of(y_true, y_pred, average="macro", **kw), abs=1e-12)
    np.testing.assert_array_equal(report.confusion,
                                  skm.confusion_matrix(y_true, y_pred, labels=labels))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_sklearn_on_random_predictions(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 5, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 5, 300))
    report = evaluate_classifier(y_true, y_pred)
    np.testing.assert_array_equal(report.labels, np.arange(5))
    _check_against_sklearn(report, y_true, y_pred, np.arange(5))


def test_small_example_by_hand():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 0, 2]
    r = evaluate_classifier(y_true, y_pred)
    # confusion rows = true, columns = predicted
    np.testing.assert_array_equal(r.confusion, [[1, 1, 0], [1, 2, 0], [0, 0, 1]])
    np.testing.assert_allclose(r.precision, [1 / 2, 2 / 3, 1])
    np.testing.assert_allclose(r.recall, [1 / 2, 2 / 3, 1])
    assert r.accuracy == pytest.approx(4 / 6)
    assert "accuracy 0.6667" in str(r)
    table = r.to_frame()
    assert list(table.columns) == ["precision", "recall", "f1", "support"]
    assert table["support"].tolist() == [2, 3, 1]


def test_class_never_predicted_counts_as_zero_like_sklearn():
    y_true = np.array([0, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1])  # class 2 never predicted: precision 0/0 -> 0
    report = evaluate_classifier(y_true, y_pred)
    assert report.precision[2] == 0 and report.f1[2] == 0
    _check_against_sklearn(report, y_true, y_pred, [0, 1, 2])


def test_scores_matrix_uses_argmax_and_column_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 3))
    y_true = rng.integers(0, 3, 50)
    report = evaluate_classifier(y_true, logits)
    assert report.confusion.shape == (3, 3)
    _check_against_sklearn(report, y_true, logits.argmax(axis=1), [0, 1, 2])
    names = np.array(["cat", "dog", "eel"])
    named = evaluate_classifier(names[y_true], logits, labels=names)
    np.testing.assert_array_equal(named.confusion, report.confusion)
    # a class absent from the predictions still gets its row and column
    lopsided = np.zeros((4, 3))
    lopsided[:, 0] = 1
    assert evaluate_classifier([0, 1, 2, 0], lopsided).confusion.shape == (3, 3)


def test_string_labels_and_explicit_order():
    y_true = ["b", "a", "c", "a"]
    y_pred = ["b", "a", "a", "a"]
    report = evaluate_classifier(y_true, y_pred, labels=["c", "b", "a"])
    _check_against_sklearn(report, y_true, y_pred, ["c", "b", "a"])


def test_confusion_matrix_function():
    np.testing.assert_array_equal(confusion_matrix([1, 1, 0], [1, 0, 0], labels=[0, 1]),
                                  [[1, 0], [1, 1]])


@pytest.mark.parametrize("y_true, y_pred, labels, message", [
    ([0, 1, 1], [0.2, 0.7, 0.9], None, "threshold it first"),
    ([0, 1], [0, 1, 1], None, "same length"),
    ([0, 1, 2], np.zeros((3, 2)), None, "must be one of labels"),
    ([0, 1], np.zeros((2, 3)), [0, 1], "one entry per score column"),
    ([0, 1], [0, 1], [0, 0, 1], "labels must be unique"),
    ([[0, 1]], [0, 1], None, "y_true must be a non-empty 1-D array"),
    ([0, 1], np.zeros((2, 2, 2)), None, "1-D labels or an"),
    ([0, 5], [0, 1], [0, 1], "unknown values"),
])
def test_invalid_inputs(y_true, y_pred, labels, message):
    with pytest.raises(ValueError, match=message):
        evaluate_classifier(y_true, y_pred, labels=labels)


def test_integer_valued_floats_are_labels():
    report = evaluate_classifier([0, 1, 1], np.array([0.0, 1.0, 0.0]))
    assert report.accuracy == pytest.approx(2 / 3)
