"""Chapter 4, notebook 13 (data-parallel training) exercises: the per-replica batch of a
global batch, the linear learning-rate scaling rule, and the loss one replica must
differentiate so that the all-reduced gradient is the global-batch mean. Ids are
``"04.13.<name>"``; each checker compares the learner's function with a reference on fixed
inputs and names the usual slips.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from labutils.checks import CheckResult, check_function_or_slip, register

# --- per_replica_batch -----------------------------------------------------------------------


def _per_replica(global_batch: int, workers: int, devices_per_worker: int) -> int:
    return global_batch // (workers * devices_per_worker)


# Workers and devices per worker different (so swapping or dropping one shows), one machine.
_BATCH_CASES = [(64, 2, 1), (1024, 8, 4), (96, 2, 3), (512, 1, 8), (64, 1, 1), (4096, 16, 8)]
_BATCH_SLIPS = [
    (lambda g, w, d: g // w, "every device of every worker is a replica: divide by "
                             "workers * devices_per_worker, not by the workers alone."),
    (lambda g, w, d: g // d, "every device of every worker is a replica: divide by "
                             "workers * devices_per_worker, not by the devices of one worker."),
    (lambda g, w, d: g * w * d, "that is the global batch you would get from a per-replica "
                                "batch of global_batch; here the global batch is split."),
]


@register("per_replica_batch", "examples per replica per step: global batch / replicas")
def _check_per_replica_batch(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _per_replica, _BATCH_CASES, _BATCH_SLIPS,
        "replicas = workers * devices_per_worker; each gets global_batch // replicas.")


# --- scaled_learning_rate --------------------------------------------------------------------


def _linear(base_lr: float, base_batch: int, global_batch: int) -> float:
    return base_lr * global_batch / base_batch


_LR_CASES = [(0.1, 256, 8192), (0.5, 64, 128), (0.01, 32, 32), (0.2, 512, 128),
             (0.05, 100, 300)]
_LR_SLIPS = [
    (lambda lr, b0, b: lr * b0 / b, "the ratio is upside down: a larger batch gets a larger "
                                    "learning rate, lr * global_batch / base_batch."),
    (lambda lr, b0, b: lr * math.sqrt(b / b0), "that is the square-root rule; the linear rule "
                                               "scales by global_batch / base_batch itself."),
    (lambda lr, b0, b: lr * b, "scale by the *ratio* of the batch sizes, not by the new batch "
                               "size alone."),
    (lambda lr, b0, b: lr, "the learning rate must change with the batch: with k times the "
                           "batch there are k times fewer steps per epoch."),
]


@register("scaled_learning_rate", "linear scaling rule: lr grows with the global batch")
def _check_scaled_learning_rate(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _linear, _LR_CASES, _LR_SLIPS,
        "multiply base_lr by global_batch / base_batch.", tol=1e-9)


# --- replica_loss ----------------------------------------------------------------------------


def _replica_loss(per_example: np.ndarray, global_batch: int) -> float:
    return float(np.sum(per_example) / global_batch)


_rng = np.random.default_rng(13)
# Replicas of different sizes relative to the global batch (2, 4, 8 replicas; a short last one).
_LOSS_CASES = [(_rng.uniform(0, 3, 32), 64), (_rng.uniform(0, 3, 16), 64),
               (_rng.uniform(0, 3, 8), 64), (_rng.uniform(0, 3, 5), 12)]
_LOSS_SLIPS = [
    (lambda v, g: float(np.mean(v)), "that is the mean over this replica's examples; the "
                                     "all-reduce *sums* the replicas' gradients, so each would "
                                     "count replicas times: divide by the global batch."),
    (lambda v, g: float(np.sum(v)), "divide the sum by the global batch size, so that summing "
                                    "over replicas gives the mean over the global batch."),
    (lambda v, g: float(np.mean(v) / g), "sum the per-example losses (not their mean) before "
                                         "dividing by the global batch."),
]


@register("replica_loss", "one replica's loss: sum of its losses / global batch")
def _check_replica_loss(fn: Any, name: str) -> CheckResult:
    return check_function_or_slip(
        fn, name, _replica_loss, _LOSS_CASES, _LOSS_SLIPS,
        "return the sum of the per-example losses divided by global_batch "
        "(what tf.nn.compute_average_loss does).", tol=1e-9)
