"""Chapter 4, notebook 12 (tf.data pipelines) exercises: the earliest position at which a
shuffle buffer can emit an element, and a pipeline whose steps are in the wrong order
(batches shuffled instead of examples, a cache that freezes the first epoch's order). Ids are
``"04.12.<name>"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, finish, not_yet, register

# --- earliest_position -----------------------------------------------------------------------


def _earliest(i: int, buffer_size: int) -> int:
    return max(0, i - buffer_size + 1)


# Elements inside the first buffer load, at its edge, far beyond it; a buffer of one
# (no shuffling at all) and a buffer larger than the data.
_EARLIEST_CASES = [(0, 10), (5, 10), (9, 10), (10, 10), (25, 10), (1000, 1), (3, 1),
                   (7, 100), (12345, 1000)]
_EARLIEST_SLIPS = [
    (lambda i, b: max(0, i - b),
     "off by one: the buffer is first filled with elements 0..B-1, so output position 0 "
     "can already be any of those B elements; element i is in the buffer once p >= i - B + 1."),
    (lambda i, b: i - b + 1,
     "a position cannot be negative: elements of the first buffer load can come out at "
     "position 0, so take max(0, ...)."),
    (lambda i, b: i // b,
     "the shuffle buffer is a sliding window, not a sequence of separate blocks: each output "
     "frees one slot, which the next input element fills."),
]


@register("earliest_position", "earliest output position of input element i, buffer size B")
def _check_earliest(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _earliest, _EARLIEST_CASES, _EARLIEST_SLIPS,
        "before output position p is chosen, the buffer has received elements 0..B-1+p.")


# --- fixed_pipeline --------------------------------------------------------------------------

_N, _BUFFER, _BATCH, _SEED = 60, 60, 10, 1


def _fail(name: str, message: str) -> CheckResult:
    return finish(CheckResult(name, False, message))


@register("fixed_pipeline", "cache, then shuffle examples, then batch, then prefetch")
def _check_fixed_pipeline(fn: Any, name: str) -> CheckResult:
    if not callable(fn):
        return not_yet(name, "function")
    import tensorflow as tf

    try:
        ds = fn(tf.data.Dataset.range(_N), _BUFFER, _BATCH, _SEED)
    except Exception as exc:  # the learner's code failing is a hint, not a crash
        return _fail(name, f"calling it with (Dataset.range({_N}), {_BUFFER}, {_BATCH}, "
                           f"{_SEED}) raised {type(exc).__name__}: {exc}")
    if ds is None:
        return not_yet(name)
    if not isinstance(ds, tf.data.Dataset):
        return _fail(name, f"it should return a tf.data.Dataset, got {type(ds).__name__}.")
    try:
        epochs = [[np.asarray(b).reshape(-1) for b in ds.as_numpy_iterator()] for _ in range(2)]
    except Exception as exc:
        return _fail(name, f"iterating the dataset raised {type(exc).__name__}: {exc}")
    sizes = [len(b) for b in epochs[0]]
    if sizes != [_BATCH] * (_N // _BATCH):
        return _fail(name, f"on Dataset.range({_N}) with batch_size={_BATCH} the batch sizes "
                           f"were {sizes}; expected {_N // _BATCH} batches of {_BATCH}.")
    for epoch in epochs:
        if sorted(np.concatenate(epoch).tolist()) != list(range(_N)):
            return _fail(name, "an epoch must contain every element exactly once; yours "
                               "does not (did a repeat() or take() slip in?).")
    flat = [np.concatenate(e) for e in epochs]
    if np.array_equal(flat[0], np.arange(_N)):
        return _fail(name, "the elements come out in their original order: shuffle them "
                           "(ds.shuffle(buffer_size, seed=seed)) before batching.")
    if all(np.array_equal(np.sort(b), np.arange(b.min(), b.min() + len(b))) for b in epochs[0]):
        return _fail(name, "every batch holds consecutive elements: batch() ran before "
                           "shuffle(), so whole batches were shuffled, not examples. Shuffle "
                           "first, then batch.")
    if np.array_equal(flat[0], flat[1]):
        return _fail(name, "both epochs came out in the same order: cache() after shuffle() "
                           "stores the first epoch's order and replays it. Cache before "
                           "shuffling (ds.cache().shuffle(...)).")
    return finish(CheckResult(name, True, "every epoch has all elements once, batches mix "
                                           "examples, and the order changes between epochs."))
