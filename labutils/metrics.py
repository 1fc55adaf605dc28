"""Classification metrics computed from first principles in NumPy.

Everything comes from one confusion matrix (混淆矩阵) ``C`` whose entry ``C[i, j]`` counts the
examples of true class ``i`` predicted as class ``j``. Per class ``k``: true positives are the
diagonal ``C[k, k]``, false positives the rest of column ``k``, false negatives the rest of
row ``k``. Precision (精确率) = TP / (TP + FP), recall (召回率) = TP / (TP + FN), F1 = their
harmonic mean; a ratio with a zero denominator is reported as 0 (scikit-learn's
``zero_division=0``). Macro averages weight every class equally. The test suite checks every
number against ``sklearn.metrics``. The picture of the matrix is drawn by
:func:`labutils.plots.plot_confusion_matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ClassificationReport", "confusion_matrix", "evaluate_classifier"]


@dataclass(frozen=True)
class ClassificationReport:
    """All the usual classification metrics for one set of predictions.

    ``precision``, ``recall``, ``f1`` and ``support`` are per-class arrays aligned with
    ``labels``; ``confusion`` has true classes as rows and predicted classes as columns.
    """

    labels: np.ndarray
    accuracy: float
    precision_macro: float
    recall_macro: float
    f1_macro: float
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion: np.ndarray

    def to_frame(self) -> Any:
        """Per-class table (precision, recall, F1, support) as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame({"precision": self.precision, "recall": self.recall, "f1": self.f1,
                             "support": self.support}, index=pd.Index(self.labels, name="class"))

    def __str__(self) -> str:
        return (f"accuracy {self.accuracy:.4f} · macro precision {self.precision_macro:.4f} · "
                f"macro recall {self.recall_macro:.4f} · macro F1 {self.f1_macro:.4f} "
                f"({int(self.support.sum())} examples, {len(self.labels)} classes)")


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, with 0 where den == 0."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den != 0)
    return out


def confusion_matrix(y_true: Any, y_pred: Any, labels: Any) -> np.ndarray:
    """Count matrix ``C[i, j]`` = number of examples with true label ``labels[i]`` predicted as
    ``labels[j]``. Every value of ``y_true`` and ``y_pred`` must appear in ``labels``.
    """
    labels = np.asarray(labels)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    index = {label: i for i, label in enumerate(labels.tolist())}
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        unknown = sorted(set(np.unique(values).tolist()) - set(index))
        if unknown:
            raise ValueError(f"every value of {name} must be one of labels "
                             f"{labels.tolist()}; unknown values {unknown[:10]}")
    rows = np.array([index[v] for v in y_true.tolist()], dtype=np.int64)
    cols = np.array([index[v] for v in y_pred.tolist()], dtype=np.int64)
    k = len(labels)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    return counts


def evaluate_classifier(y_true: Any, y_pred_or_scores: Any,
                        labels: Any = None) -> ClassificationReport:
    """Accuracy, precision, recall and F1 (per class and macro-averaged) plus the confusion
    matrix. ``y_pred_or_scores`` is either predicted labels (1-D) or an ``(n, k)`` matrix of
    scores - logits or probabilities, e.g. ``model.predict(x)`` - whose arg-max is the
    prediction (column ``j`` means ``labels[j]``, or class ``j`` when ``labels`` is None). One
    column of scores is ambiguous (logit or probability?), so threshold it yourself first.
    ``labels`` fixes the classes and their order; by default the sorted classes present.
    """
    y_true = np.asarray(y_true)
    scores = np.asarray(y_pred_or_scores)
    if y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError(f"y_true must be a non-empty 1-D array of labels; got shape {y_true.shape}")
    if scores.ndim == 2 and scores.shape[1] >= 2:
        k = scores.shape[1]
        if labels is None:
            labels = np.arange(k)
        labels = np.asarray(labels)
        if len(labels) != k:
            raise ValueError(f"labels must have one entry per score column ({k}); "
                             f"got {len(labels)}")
        y_pred = labels[np.argmax(scores, axis=1)]
    elif scores.ndim == 1 or (scores.ndim == 2 and scores.shape[1] == 1):
        y_pred = scores.reshape(-1)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.all(y_pred == np.round(y_pred)):
            raise ValueError("y_pred_or_scores looks like one column of scores, not labels; "
                             "threshold it first, e.g. (p >= 0.5).astype(int) for probabilities "
                             "or (logit >= 0).astype(int) for logits, or pass an (n, k) matrix")
        if np.issubdtype(y_pred.dtype, np.floating):
            y_pred = y_pred.astype(np.int64)
    else:
        raise ValueError("y_pred_or_scores must be 1-D labels or an (n, k >= 2) score matrix; "
                         f"got shape {scores.shape}")
    if len(y_pred) != len(y_true):
        raise ValueError(f"y_true and y_pred_or_scores must have the same length; got "
                         f"{len(y_true)} and {len(y_pred)}")
    if labels is None:
        labels = np.union1d(y_true, y_pred)
    labels = np.asarray(labels)
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"labels must be unique; got {labels.tolist()}")

    cm = confusion_matrix(y_true, y_pred, labels)
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0)  # column sums: how often each class was predicted
    support = cm.sum(axis=1)  # row sums: how often each class is the truth
    precision = _safe_divide(tp, predicted)
    recall = _safe_divide(tp, support)
    f1 = _safe_divide(2 * tp, predicted + support)  # = 2PR/(P+R), without the 0/0 case
    return ClassificationReport(
        labels=labels, accuracy=float(tp.sum() / cm.sum()),
        precision_macro=float(precision.mean()), recall_macro=float(recall.mean()),
        f1_macro=float(f1.mean()), precision=precision, recall=recall, f1=f1,
        support=support, confusion=cm)

