"""Single-shot object detection in miniature (目标检测), the idea of YOLO (Redmon et al. 2016):
digits pasted on a blank canvas, a grid whose cells each predict "is an object centred here,
where is its box, which class is it", and the geometry that turns such a grid into boxes.

Boxes are ``(x0, y0, x1, y1)`` in pixels: x runs right (columns), y runs down (rows), and a
box covers pixels ``x0 <= x < x1``, ``y0 <= y < y1``. A grid target has shape
``(grid, grid, 5 + n_classes)``: objectness, the centre's offset inside its cell (0..1 in x
and y), width and height as fractions of the canvas, then the class one-hot (or class
probabilities, for a prediction). Row ``r``, column ``c`` of the grid is the cell that holds
the box centre.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labutils._validate import check_scalar, positive_int

__all__ = ["decode", "encode", "evaluate_detections", "iou", "make_canvases", "nms"]


def _boxes(name: str, boxes: object) -> np.ndarray:
    """``boxes`` as a float64 array of shape (k, 4), else ``ValueError``."""
    arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) if np.size(boxes) == 0 \
        else np.asarray(boxes, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (k, 4) as (x0, y0, x1, y1); got {arr.shape}")
    return arr


def make_canvases(images: np.ndarray, labels: np.ndarray, n: int, *, canvas_size: int = 48,
                  max_objects: int = 3, sizes: Sequence[int] = (12, 16, 20), seed: int = 0,
                  ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """``n`` blank canvases with 1..``max_objects`` of ``images`` (each resized to a square
    side drawn from ``sizes``) pasted at random, never overlapping (boxes may touch).
    Returns ``(x, boxes, classes)``: ``x`` float32 (n, canvas_size, canvas_size) clipped to
    0..1; per canvas, its boxes (k, 4) and the ``labels`` of the pasted images (k,). The same
    ``seed`` gives the same canvases."""
    from scipy.ndimage import zoom

    n, canvas_size, max_objects = (positive_int(k, v) for k, v in
                                   (("n", n), ("canvas_size", canvas_size),
                                    ("max_objects", max_objects)))
    images, labels = np.asarray(images, dtype=np.float64), np.asarray(labels)
    if images.ndim != 3 or len(images) != len(labels):
        raise ValueError(f"images must be (m, h, w) with one label each; got {images.shape} "
                         f"and {labels.shape}")
    sizes = [check_scalar("each size", s, "int", min=2, max=canvas_size) for s in sizes]
    rng = np.random.default_rng(check_scalar("seed", seed, "int", min=0))
    x = np.zeros((n, canvas_size, canvas_size), dtype=np.float32)
    all_boxes, all_classes = [], []
    for i in range(n):
        boxes: list[list[float]] = []
        classes: list[int] = []
        taken = np.zeros((canvas_size + 1, canvas_size + 1))  # integral image of used pixels
        for _ in range(int(rng.integers(1, max_objects + 1))):
            j, s = int(rng.integers(len(images))), int(rng.choice(sizes))
            # used pixels inside the s x s square at every top-left corner (y0, x0)
            used = taken[s:, s:] - taken[:-s, s:] - taken[s:, :-s] + taken[:-s, :-s]
            free = np.flatnonzero(used == 0)
            if len(free) == 0:
                continue  # no room left for this object
            y0, x0 = divmod(int(free[rng.integers(len(free))]), canvas_size - s + 1)
            patch = zoom(images[j], (s / images.shape[1], s / images.shape[2]), order=1)
            x[i, y0:y0 + s, x0:x0 + s] = np.clip(patch, 0.0, 1.0)
            occupied = np.zeros((canvas_size, canvas_size))
            occupied[y0:y0 + s, x0:x0 + s] = 1.0
            taken[1:, 1:] += occupied.cumsum(0).cumsum(1)
            boxes.append([x0, y0, x0 + s, y0 + s])
            classes.append(int(labels[j]))
        all_boxes.append(np.array(boxes, dtype=np.float64).reshape(-1, 4))
        all_classes.append(np.array(classes, dtype=np.int64))
    return x, all_boxes, all_classes


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union (交并比) of every box in ``a`` (n, 4) with every box in ``b``
    (m, 4): an (n, m) array in [0, 1]; 0 for disjoint or touching boxes and for empty ones."""
    a, b = _boxes("a", a), _boxes("b", b)
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]),
                0.0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]),
                0.0, None)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def encode(boxes: np.ndarray, classes: np.ndarray, *, canvas_size: int, grid: int,
           n_classes: int) -> np.ndarray:
    """The YOLO-style training target of one canvas, shape (grid, grid, 5 + n_classes): the
    cell holding a box's centre gets objectness 1, the centre's offset inside the cell, the
    box's width and height over ``canvas_size`` and the class one-hot; other cells are 0.
    Two centres in one cell raise ``ValueError`` (one object per cell, as in YOLO v1)."""
    canvas_size, grid, n_classes = (positive_int(k, v) for k, v in (
        ("canvas_size", canvas_size), ("grid", grid), ("n_classes", n_classes)))
    boxes, classes = _boxes("boxes", boxes), np.asarray(classes, dtype=np.int64).reshape(-1)
    if len(classes) != len(boxes) or np.any((classes < 0) | (classes >= n_classes)):
        raise ValueError(f"classes must hold one int in [0, {n_classes}) per box; got {classes}")
    cell = canvas_size / grid
    target = np.zeros((grid, grid, 5 + n_classes))
    for (x0, y0, x1, y1), k in zip(boxes, classes, strict=True):
        cx, cy = (x0 + x1) / 2 / cell, (y0 + y1) / 2 / cell
        col, row = min(int(cx), grid - 1), min(int(cy), grid - 1)
        if target[row, col, 0]:
            raise ValueError(f"two box centres fall in grid cell (row {row}, col {col})")
        target[row, col, :5] = 1.0, cx - col, cy - row, (x1 - x0) / canvas_size, \
            (y1 - y0) / canvas_size
        target[row, col, 5 + k] = 1.0
    return target


def decode(grid_out: np.ndarray, *, canvas_size: int, threshold: float = 0.5,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes from one grid in :func:`encode`'s layout (objectness a probability, class
    scores in the last axis): every cell with objectness >= ``threshold`` gives a box.
    Returns ``(boxes (k, 4), scores (k,), classes (k,))``, highest score first."""
    canvas_size = positive_int("canvas_size", canvas_size)
    threshold = check_scalar("threshold", threshold, "real", min=0.0, max=1.0)
    g = np.asarray(grid_out, dtype=np.float64)
    if g.ndim != 3 or g.shape[0] != g.shape[1] or g.shape[2] < 6:
        raise ValueError(f"grid_out must have shape (grid, grid, 5 + n_classes); got {g.shape}")
    cell = canvas_size / g.shape[0]
    rows, cols = np.nonzero(g[..., 0] >= threshold)
    t = g[rows, cols]
    cx, cy = (cols + t[:, 1]) * cell, (rows + t[:, 2]) * cell
    w, h = t[:, 3] * canvas_size, t[:, 4] * canvas_size
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    order = np.argsort(-t[:, 0], kind="stable")
    return boxes[order], t[order, 0], np.argmax(t[order, 5:], axis=1)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.5) -> np.ndarray:
    """Non-maximum suppression (非极大值抑制): visit boxes from the highest score down and
    keep one unless it overlaps an already kept box with IoU > ``iou_threshold``. Returns the
    kept indices, highest score first (ties keep the earlier box)."""
    boxes, scores = _boxes("boxes", boxes), np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) != len(boxes):
        raise ValueError(f"need one score per box; got {len(scores)} for {len(boxes)} boxes")
    iou_threshold = check_scalar("iou_threshold", iou_threshold, "real", min=0.0, max=1.0)
    overlap = iou(boxes, boxes)
    keep: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if all(overlap[i, j] <= iou_threshold for j in keep):
            keep.append(int(i))
    return np.array(keep, dtype=np.int64)


def evaluate_detections(predictions: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
                        truths: Sequence[tuple[np.ndarray, np.ndarray]], *,
                        iou_threshold: float = 0.5) -> dict[str, float]:
    """Precision and recall of detections at IoU >= ``iou_threshold``, and class accuracy on
    the matched boxes. ``predictions`` holds ``(boxes, scores, classes)`` per canvas,
    ``truths`` ``(boxes, classes)``. Matching ignores the class and is greedy: predictions
    from the highest score down each take the unmatched true box they overlap most."""
    iou_threshold = check_scalar("iou_threshold", iou_threshold, "real", min=0.0, max=1.0)
    if len(predictions) != len(truths):
        raise ValueError(f"need one prediction per canvas; got {len(predictions)} for "
                         f"{len(truths)} canvases")
    tp = fp = n_true = same_class = 0
    for (p_boxes, p_scores, p_classes), (t_boxes, t_classes) in zip(predictions, truths, strict=True):
        overlap = iou(p_boxes, t_boxes)
        free = np.ones(len(t_classes), dtype=bool)
        n_true += len(t_classes)
        for i in np.argsort(-np.asarray(p_scores, dtype=np.float64), kind="stable"):
            cand = np.where(free, overlap[i], -1.0) if len(t_classes) else np.array([-1.0])
            j = int(np.argmax(cand))
            if cand[j] >= iou_threshold:
                free[j] = False
                tp += 1
                same_class += int(p_classes[i] == t_classes[j])
            else:
                fp += 1
    return {"tp": tp, "fp": fp, "fn": n_true - tp,
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / n_true if n_true else 0.0,
            "class_accuracy": same_class / tp if tp else 0.0}
