"""labutils.detection: IoU, grid encoding/decoding, NMS, the canvas generator and the
detection metric, on hand-made cases with exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from labutils.detection import decode, encode, evaluate_detections, iou, make_canvases, nms


def _digits() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.uniform(size=(20, 8, 8)), np.arange(20) % 10


def test_iou_of_known_boxes() -> None:
    a = np.array([[0, 0, 4, 4]])
    b = np.array([[2, 2, 6, 6],      # overlap 2x2 = 4, union 16 + 16 - 4 = 28
                  [0, 0, 4, 4],      # identical
                  [4, 0, 8, 4],      # touching: no shared area
                  [6, 6, 9, 9],      # apart in x and y (two negative gaps)
                  [1, 1, 3, 3],      # inside: 4 / 16
                  [0, 0, 8, 8]])     # contains it: 16 / 64
    got = iou(a, b)
    assert got.shape == (1, 6)
    np.testing.assert_allclose(got[0], [4 / 28, 1.0, 0.0, 0.0, 0.25, 0.25], rtol=0, atol=1e-15)
    assert iou(b, a).shape == (6, 1)
    np.testing.assert_allclose(iou(b, a)[:, 0], got[0], rtol=0, atol=0)
    assert iou(np.zeros((0, 4)), a).shape == (0, 1)
    assert iou(np.array([[1, 1, 1, 5]]), np.array([[1, 1, 1, 5]]))[0, 0] == 0.0  # empty box


def test_iou_rejects_wrong_shapes() -> None:
    with pytest.raises(ValueError, match=r"shape \(k, 4\)"):
        iou(np.zeros((2, 3)), np.zeros((1, 4)))


def test_encode_puts_exact_values_in_the_centre_cell() -> None:
    # centre (14, 14) on a 32-pixel canvas, 4x4 grid of 8-pixel cells -> row 1, col 1,
    # offsets 14/8 - 1 = 0.75; width and height 12/32 = 0.375 (all exact in binary).
    t = encode(np.array([[8, 8, 20, 20], [16, 0, 32, 8]]), np.array([3, 7]), canvas_size=32,
               grid=4, n_classes=10)
    assert t.shape == (4, 4, 15)
    assert t[1, 1, :5].tolist() == [1.0, 0.75, 0.75, 0.375, 0.375]
    assert t[1, 1, 5:].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert t[0, 3, :5].tolist() == [1.0, 0.0, 0.5, 0.5, 0.25]   # centre (24, 4): col 3, row 0
    assert t[..., 0].sum() == 2.0 and np.count_nonzero(t) == 2 * 6 - 1  # tx = 0 in (0, 3)


def test_encode_then_decode_returns_the_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [12, 3, 28, 19], [17, 20, 29, 32], [1, 21, 13, 31]],
                     dtype=float)
    classes = np.array([4, 0, 9, 2])
    t = encode(boxes, classes, canvas_size=32, grid=4, n_classes=10)
    got, scores, labels = decode(t, canvas_size=32)
    order = np.lexsort((got[:, 0], got[:, 1]))
    expected = np.lexsort((boxes[:, 0], boxes[:, 1]))
    np.testing.assert_allclose(got[order], boxes[expected], rtol=0, atol=1e-12)
    assert labels[order].tolist() == classes[expected].tolist()
    assert scores.tolist() == [1.0] * 4


def test_decode_keeps_cells_at_or_above_the_threshold_best_first() -> None:
    g = np.zeros((2, 2, 7))
    g[0, 0] = [0.4, 0.5, 0.5, 0.25, 0.25, 0.9, 0.1]
    g[1, 1] = [0.9, 0.5, 0.5, 0.5, 0.5, 0.2, 0.8]
    g[0, 1] = [0.6, 0.0, 0.0, 0.25, 0.5, 0.7, 0.3]
    boxes, scores, classes = decode(g, canvas_size=8, threshold=0.5)
    assert scores.tolist() == [0.9, 0.6]
    assert classes.tolist() == [1, 0]
    assert boxes.tolist() == [[4.0, 4.0, 8.0, 8.0], [3.0, -2.0, 5.0, 2.0]]
    assert len(decode(g, canvas_size=8, threshold=1.0)[0]) == 0
    with pytest.raises(ValueError, match="threshold"):
        decode(g, canvas_size=8, threshold=1.5)


def test_encode_refuses_two_centres_in_one_cell_and_bad_classes() -> None:
    with pytest.raises(ValueError, match="two box centres"):
        encode(np.array([[0, 0, 4, 4], [1, 1, 5, 5]]), np.array([0, 1]), canvas_size=32, grid=4,
               n_classes=10)
    with pytest.raises(ValueError, match="classes"):
        encode(np.array([[0, 0, 4, 4]]), np.array([10]), canvas_size=32, grid=4, n_classes=10)


def test_nms_on_a_hand_made_case() -> None:
    boxes = np.array([[0, 0, 10, 10],      # 0: score 0.9
                      [1, 1, 11, 11],      # 1: IoU 81/119 with box 0 -> suppressed
                      [20, 20, 30, 30],    # 2: far away -> kept
                      [5, 0, 15, 10]])     # 3: IoU 50/150 = 1/3 with box 0
    scores = np.array([0.9, 0.8, 0.7, 0.85])
    assert nms(boxes, scores, 0.5).tolist() == [0, 3, 2]
    assert nms(boxes, scores, 0.3).tolist() == [0, 2]      # 1/3 > 0.3: box 3 goes too
    assert nms(boxes[:0], scores[:0]).tolist() == []
    with pytest.raises(ValueError, match="one score per box"):
        nms(boxes, scores[:2])


def test_canvases_are_reproducible_inside_and_non_overlapping() -> None:
    images, labels = _digits()
    x1, b1, c1 = make_canvases(images, labels, 30, canvas_size=32, sizes=(10, 12, 16), seed=5)
    x2, b2, c2 = make_canvases(images, labels, 30, canvas_size=32, sizes=(10, 12, 16), seed=5)
    x3, _, _ = make_canvases(images, labels, 30, canvas_size=32, sizes=(10, 12, 16), seed=6)
    assert x1.shape == (30, 32, 32) and x1.dtype == np.float32
    assert np.array_equal(x1, x2) and not np.array_equal(x1, x3)
    assert all(np.array_equal(a, b) for a, b in zip(b1, b2, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(c1, c2, strict=True))
    for canvas, boxes, classes in zip(x1, b1, c1, strict=True):
        assert 1 <= len(boxes) <= 3 and len(classes) == len(boxes)
        assert set(classes.tolist()) <= set(labels.tolist())
        assert (boxes >= 0).all() and (boxes <= 32).all()
        sides = boxes[:, 2:] - boxes[:, :2]
        assert np.isin(sides, (10, 12, 16)).all() and (sides[:, 0] == sides[:, 1]).all()
        overlap = iou(boxes, boxes) - np.eye(len(boxes))
        assert np.abs(overlap).max() == 0.0
        outside = np.ones(canvas.shape, dtype=bool)
        for x0, y0, x1_, y1_ in boxes.astype(int):
            outside[y0:y1_, x0:x1_] = False
        assert (canvas[outside] == 0).all() and canvas.max() <= 1.0
        # the grid rule holds: 8-pixel cells, objects at least 10 pixels wide
        encode(boxes, classes, canvas_size=32, grid=4, n_classes=10)


def test_make_canvases_validates_its_arguments() -> None:
    images, labels = _digits()
    with pytest.raises(ValueError, match="n must be a positive int"):
        make_canvases(images, labels, 0)
    with pytest.raises(ValueError, match="each size"):
        make_canvases(images, labels, 2, canvas_size=16, sizes=(20,))
    with pytest.raises(ValueError, match="one label each"):
        make_canvases(images, labels[:3], 2)


def test_evaluate_detections_counts_exactly() -> None:
    truth = [(np.array([[0, 0, 10, 10], [20, 20, 30, 30]], dtype=float), np.array([1, 2]))]
    preds = [(np.array([[0, 0, 10, 10],     # matches truth 0, right class
                        [21, 20, 31, 30],   # IoU 90/110 with truth 1, wrong class
                        [1, 0, 11, 10],     # truth 0 already taken -> false positive
                        [40, 40, 45, 45]],  # nothing there -> false positive
                       dtype=float),
              np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 5, 1, 3]))]
    got = evaluate_detections(preds, truth)
    assert got == {"tp": 2, "fp": 2, "fn": 0, "precision": 0.5, "recall": 1.0,
                   "class_accuracy": 0.5}
    empty = evaluate_detections([(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))], truth)
    assert empty == {"tp": 0, "fp": 0, "fn": 2, "precision": 0.0, "recall": 0.0,
                     "class_accuracy": 0.0}
