"""Chapter 5, notebook 06 (applications) exercises: intersection over union of two boxes, the
grid cell YOLO makes responsible for a box, and NDCG@k of a ranked list. Ids are
``"05.06.<name>"``; each checker compares the learner's function with a reference on fixed
inputs and names the usual slips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register
from labutils.detection import iou as _iou_matrix

# --- iou -------------------------------------------------------------------------------------


def _iou(a: Any, b: Any) -> float:
    return float(_iou_matrix(np.array([a], dtype=float), np.array([b], dtype=float))[0, 0])


def _no_clamp(a: Any, b: Any) -> float:
    inter = (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def _sum_of_areas(a: Any, b: Any) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]))


def _inclusive(a: Any, b: Any) -> float:
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    area_a = (a[2] - a[0] + 1) * (a[3] - a[1] + 1)
    area_b = (b[2] - b[0] + 1) * (b[3] - b[1] + 1)
    return w * h / (area_a + area_b - w * h)


def _over_smaller(a: Any, b: Any) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return inter / min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))


# Partial overlap, disjoint diagonally (both gaps negative), disjoint in x only, touching,
# one box inside the other, identical boxes, non-square boxes with float corners.
_IOU_CASES = [
    ((0, 0, 4, 4), (2, 2, 6, 6)),
    ((0, 0, 2, 2), (3, 3, 5, 5)),
    ((0, 0, 4, 4), (6, 1, 9, 3)),
    ((0, 0, 4, 4), (4, 0, 8, 4)),
    ((0, 0, 8, 8), (2, 2, 6, 6)),
    ((3, 1, 9, 5), (3, 1, 9, 5)),
    ((1.5, 0.0, 7.5, 3.0), (4.0, 1.0, 10.0, 6.5)),
]
_IOU_SLIPS = [
    (_no_clamp, "clip the overlap's width and height at 0 before multiplying: for boxes apart "
                "in both x and y, two negative gaps multiply to a positive 'intersection'."),
    (_sum_of_areas, "the union counts the shared area once: area_a + area_b - intersection."),
    (_inclusive, "here x1 and y1 are exclusive edges, so the width is x1 - x0 (no + 1)."),
    (_over_smaller, "divide by the union of the two boxes, not by the smaller box's area."),
]


@register("iou", "intersection over union of two boxes (x0, y0, x1, y1)")
def _check_iou(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _iou, _IOU_CASES, _IOU_SLIPS,
        "intersection = max(0, min(x1s) - max(x0s)) * max(0, min(y1s) - max(y0s)); "
        "union = area_a + area_b - intersection.", tol=1e-9)


# --- yolo_cell -------------------------------------------------------------------------------

def _cell(box: Any, canvas_size: int, grid: int) -> tuple[float, ...]:
    x0, y0, x1, y1 = box
    cell = canvas_size / grid
    cx, cy = (x0 + x1) / 2 / cell, (y0 + y1) / 2 / cell
    col, row = min(int(cx), grid - 1), min(int(cy), grid - 1)
    return row, col, cx - col, cy - row


def _swapped(box: Any, canvas_size: int, grid: int) -> tuple[float, ...]:
    row, col, tx, ty = _cell(box, canvas_size, grid)
    return col, row, tx, ty


def _corner(box: Any, canvas_size: int, grid: int) -> tuple[float, ...]:
    x0, y0 = box[0], box[1]
    return _cell((x0, y0, x0, y0), canvas_size, grid)


def _pixels(box: Any, canvas_size: int, grid: int) -> tuple[float, ...]:
    row, col, tx, ty = _cell(box, canvas_size, grid)
    cell = canvas_size / grid
    return row, col, tx * cell, ty * cell


def _whole_canvas(box: Any, canvas_size: int, grid: int) -> tuple[float, ...]:
    row, col, _, _ = _cell(box, canvas_size, grid)
    return row, col, (box[0] + box[2]) / 2 / canvas_size, (box[1] + box[3]) / 2 / canvas_size


# Off-diagonal cells (so a row/col swap shows), a centre exactly on a cell border, a
# non-square box, another grid and canvas, a centre in the last cell.
_CELL_CASES = [
    ((8, 0, 20, 12), 32, 4),
    ((2, 18, 14, 30), 32, 4),
    ((0, 0, 16, 16), 32, 4),
    ((5, 3, 21, 13), 48, 6),
    ((30, 40, 46, 48), 48, 4),
    ((22, 22, 32, 32), 32, 4),
]
_CELL_SLIPS = [
    (_swapped, "row counts cells downward, so it comes from the centre's y; col comes from x."),
    (_corner, "the responsible cell is the one holding the box's centre ((x0 + x1) / 2, "
              "(y0 + y1) / 2), not its top-left corner."),
    (_pixels, "tx and ty are fractions of the cell size (0 <= tx < 1), not pixels."),
    (_whole_canvas, "tx and ty are measured from the cell's top-left corner in cell units "
                    "(centre / cell_size - col), not as a fraction of the canvas."),
]


@register("yolo_cell", "the grid cell holding a box's centre and the centre's offset in it")
def _check_yolo_cell(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _cell, _CELL_CASES, _CELL_SLIPS,
        "cell = canvas_size / grid; cx = (x0 + x1) / 2 / cell; col = int(cx); tx = cx - col "
        "(the same with y for row and ty); return (row, col, tx, ty).", tol=1e-9)


# --- ndcg_at_k -------------------------------------------------------------------------------

def _disc(k: int) -> np.ndarray:
    return 1 / np.log2(np.arange(2, k + 2))


def _ndcg(relevance: Any, n_relevant: int, k: int) -> float:
    dcg = float(np.sum(np.asarray(relevance[:k], dtype=float) * _disc(k)))
    return dcg / float(_disc(k)[:min(n_relevant, k)].sum())


def _dcg_only(relevance: Any, n_relevant: int, k: int) -> float:
    return float(np.sum(np.asarray(relevance[:k], dtype=float) * _disc(k)))


def _ideal_from_list(relevance: Any, n_relevant: int, k: int) -> float:
    hits = int(np.sum(relevance[:k]))
    return _dcg_only(relevance, n_relevant, k) / float(_disc(k)[:hits].sum()) if hits else 0.0


def _ideal_uncapped(relevance: Any, n_relevant: int, k: int) -> float:
    ideal = float((1 / np.log2(np.arange(2, n_relevant + 2))).sum())
    return _dcg_only(relevance, n_relevant, k) / ideal


def _shifted(relevance: Any, n_relevant: int, k: int) -> float:
    disc = 1 / np.log2(np.arange(3, k + 3))
    dcg = float(np.sum(np.asarray(relevance[:k], dtype=float) * disc))
    return dcg / float(disc[:min(n_relevant, k)].sum())


# More liked movies than k, fewer than k, no hit at all, hits not at the top, a list longer
# than k (items after k must not count), k = 1.
_NDCG_CASES = [
    ([1, 0, 1, 0, 0], 8, 5),
    ([0, 1, 0, 0, 1], 3, 5),
    ([0, 0, 0, 0], 2, 4),
    ([0, 0, 1, 1, 0, 0], 2, 6),
    ([1, 0, 0, 1, 1, 1], 4, 3),
    ([0, 1], 1, 1),
    ([1, 1, 0], 5, 3),
]
_NDCG_SLIPS = [
    (_dcg_only, "divide the DCG by the ideal DCG (IDCG) so that a perfect list scores 1."),
    (_ideal_from_list, "the ideal list holds all the user's liked movies (min(n_relevant, k) of "
                       "them fit), not only the ones your list happened to find."),
    (_ideal_uncapped, "only k items fit in the ideal list: sum the ideal discounts over "
                      "min(n_relevant, k) positions, not n_relevant."),
    (_shifted, "the discount at rank i (counting from 1) is 1 / log2(i + 1): 1 at the top."),
]


@register("ndcg_at_k", "NDCG@k of a ranked 0/1 relevance list")
def _check_ndcg_at_k(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _ndcg, _NDCG_CASES, _NDCG_SLIPS,
        "DCG = sum over the first k ranks of rel_i / log2(i + 1); IDCG = sum of 1 / log2(i + 1) "
        "for i = 1 .. min(n_relevant, k); return DCG / IDCG.", tol=1e-9)
