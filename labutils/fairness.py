"""Group fairness metrics (公平性指标) for a binary decision, from one confusion matrix per group.

For every value of a sensitive attribute (敏感属性) :func:`group_metrics` reports the group's
size, base rate (share of true positives), selection rate (选择率, share predicted positive),
true-positive rate (真阳性率, TPR), false-positive rate (假阳性率, FPR) and precision (精确率,
PPV); a rate whose denominator is zero is NaN. :func:`group_differences` turns that table
into the usual gaps, each the largest minus the smallest value over the groups:
demographic parity (人口统计均等, selection rates; Calders & Verwer 2010, Dwork et al. 2012),
equal opportunity (机会均等, TPRs; Hardt, Price & Srebro, NeurIPS 2016) and equalized odds
(均等几率, the larger of the TPR and FPR gaps). :func:`threshold_for_rate` finds the
threshold that gives a chosen rate, the building block of per-group post-processing (后处理).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from labutils._validate import check_scalar

__all__ = ["group_differences", "group_metrics", "threshold_for_rate"]


def _binary(name: str, values: Any) -> np.ndarray:
    """``values`` as a 1-D int array of 0/1 (bools and 0/1 numbers accepted)."""
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array; got shape {arr.shape}")
    if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0/1 or False/True; got values "
                         f"{sorted(set(arr.tolist()), key=str)[:5]}")
    return arr.astype(np.int64)


def group_metrics(y_true: Any, y_pred: Any, groups: Any) -> Any:
    """One row per group (sorted) with ``n``, ``base_rate``, ``selection_rate``, ``tpr``,
    ``fpr`` and ``ppv`` of the 0/1 decisions ``y_pred`` against the 0/1 outcomes ``y_true``
    (1 = the positive class, e.g. "repaid" or "approved"), as a pandas DataFrame."""
    import pandas as pd
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = _binary("y_true", y_true), _binary("y_pred", y_pred)
    groups = np.asarray(groups)
    if not (len(y_true) == len(y_pred) == len(groups)) or groups.ndim != 1:
        raise ValueError(f"y_true, y_pred and groups must be 1-D and of one length; got "
                         f"{len(y_true)}, {len(y_pred)} and shape {groups.shape}")
    rows = {}
    for g in pd.unique(groups):
        mask = groups == g
        (tn, fp), (fn, tp) = confusion_matrix(y_true[mask], y_pred[mask], labels=[0, 1])
        n = int(mask.sum())
        rows[g] = {"n": n, "base_rate": (tp + fn) / n, "selection_rate": (tp + fp) / n,
                   "tpr": tp / (tp + fn) if tp + fn else math.nan,
                   "fpr": fp / (fp + tn) if fp + tn else math.nan,
                   "ppv": tp / (tp + fp) if tp + fp else math.nan}
    table = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    table.index.name = "group"
    return table


def group_differences(table: Any) -> Any:
    """The gaps (largest minus smallest over groups) in a :func:`group_metrics` table, as a
    pandas Series: ``demographic_parity_difference`` (selection rate),
    ``equal_opportunity_difference`` (TPR), ``fpr_difference`` and
    ``equalized_odds_difference`` (the larger of the TPR and FPR gaps)."""
    import pandas as pd

    missing = {"selection_rate", "tpr", "fpr"} - set(getattr(table, "columns", ()))
    if missing:
        raise ValueError(f"table must be a group_metrics DataFrame; missing columns "
                         f"{sorted(missing)}")

    def spread(column: str) -> float:
        return float(table[column].max() - table[column].min())

    tpr, fpr = spread("tpr"), spread("fpr")
    return pd.Series({"demographic_parity_difference": spread("selection_rate"),
                      "equal_opportunity_difference": tpr, "fpr_difference": fpr,
                      "equalized_odds_difference": max(tpr, fpr)})


def threshold_for_rate(scores: Any, rate: float) -> float:
    """The largest threshold ``t`` among ``scores`` with ``mean(scores >= t) >= rate``: the
    ``ceil(rate * n)``-th largest score. Applied to the scores of one group's true
    positives it gives the threshold that reaches TPR ``rate`` in that group (equal
    opportunity); applied to all of a group's scores, selection rate ``rate``."""
    rate = check_scalar("rate", rate, "real", min=0.0, max=1.0, include_min=False)
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 1 or len(arr) == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"scores must be a non-empty 1-D array of finite numbers; got shape "
                         f"{arr.shape}")
    k = math.ceil(round(rate * len(arr), 9))  # round: 0.7 * 10 is 7.000000000000001
    return float(np.sort(arr)[::-1][k - 1])
