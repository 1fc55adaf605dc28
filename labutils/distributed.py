"""Data-parallel training with ``tf.distribute``: one training step for any strategy, and
``MultiWorkerMirroredStrategy`` run by real worker processes on 127.0.0.1.

Every replica holds a full copy of the model, computes gradients on its slice of each global
batch, and an all-reduce sums the gradients so every copy applies the same update.
:func:`train` runs that loop under any strategy (one device, ``MirroredStrategy`` over several
devices of one process, or ``MultiWorkerMirroredStrategy``) with a custom step -
``strategy.run`` over ``strategy.experimental_distribute_dataset`` - because Keras 3's
``model.fit`` fails under ``MultiWorkerMirroredStrategy`` (a ``PerReplica`` conversion
error, keras-team/keras#20585). The worker program (``python -m labutils.distributed
worker``) reads its place in the cluster from ``TF_CONFIG``, exactly as it would on several
machines; :func:`run_workers` (``... launch``) starts N of them on free ports of 127.0.0.1,
bounds their time and always stops them. TensorFlow's gRPC server listens on all interfaces
(hard-coded in TensorFlow); the cluster addresses are 127.0.0.1, so the traffic stays on
loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labutils._validate import check_scalar, positive, positive_int

HOST = "127.0.0.1"
MAX_WORKERS = 8
N_DIGITS = 1797  # rows of scikit-learn's digits, the training data of the workers


@dataclass(frozen=True)
class TrainConfig:
    """What every worker trains: the first ``n_samples`` digits, ``epochs`` passes in fixed
    order, ``global_batch`` examples per step (split over all replicas), plain SGD at
    ``learning_rate``, a 64-``hidden``-10 MLP whose initial weights come from ``seed``."""

    epochs: int = 2
    global_batch: int = 64
    learning_rate: float = 0.1
    hidden: int = 32
    n_samples: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        positive_int("epochs", self.epochs)
        positive_int("global_batch", self.global_batch)
        positive("learning_rate", self.learning_rate)
        positive_int("hidden", self.hidden)
        check_scalar("n_samples", self.n_samples, "int", min=1, max=N_DIGITS)
        check_scalar("seed", self.seed, "int", min=0, max=2**32, include_max=False)
        if self.global_batch > self.n_samples:
            raise ValueError(f"global_batch must be <= n_samples ({self.n_samples}) so that "
                             f"one full batch exists; got {self.global_batch}")

    def args(self) -> list[str]:
        """The same settings as command-line flags of ``python -m labutils.distributed``."""
        return [x for k, v in asdict(self).items() for x in (f"--{k.replace('_', '-')}", str(v))]


@dataclass(frozen=True)
class WorkerResult:
    """What one worker reports: its index, the replicas in sync (all workers' devices), the
    examples per replica per step, the steps run, the global mean loss of every step, the
    weights it started and ended with, the error ``model.fit`` raised (None if it ran or was
    not tried), and its seconds from start to finish (TensorFlow's import included)."""

    index: int
    replicas: int
    per_replica_batch: int
    steps: int
    losses: list[float]
    initial_weights: list[np.ndarray] = field(repr=False)
    weights: list[np.ndarray] = field(repr=False)
    fit_error: str | None
    seconds: float


class WorkerFailure(RuntimeError):
    """A worker exited with an error or the workers ran out of time; every worker has been
    stopped. ``pids`` are the stopped processes, the message ends with the logs' last lines."""

    def __init__(self, message: str, pids: Sequence[int]) -> None:
        super().__init__(message)
        self.pids = list(pids)


class WorkerTimeout(WorkerFailure, TimeoutError):
    """The workers did not all finish within ``timeout`` seconds."""


def free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1 (all held open at once while choosing, then
    released for the workers to bind)."""
    n = check_scalar("n", n, "int", min=1, max=MAX_WORKERS)
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind((HOST, 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(addresses: Sequence[str], index: int) -> dict[str, Any]:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``addresses`` ("host:port"):
    the same list on every worker, only ``task.index`` differs."""
    addresses = list(addresses)
    if not 1 <= len(addresses) <= MAX_WORKERS:
        raise ValueError(f"addresses must list 1 to {MAX_WORKERS} workers; got {len(addresses)}")
    for a in addresses:
        host, _, port = str(a).rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"each address must look like 'host:port' with a port in "
                             f"1..65535; got {a!r}")
    index = check_scalar("index", index, "int", min=0, max=len(addresses) - 1)
    return {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}}


def digits_data(n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n_samples`` digits: pixels float32 in 0..1 (n, 64), labels int32 (n,)."""
    from labutils.data import load_digits

    n_samples = check_scalar("n_samples", n_samples, "int", min=1, max=N_DIGITS)
    x, y = load_digits()
    return x[:n_samples], y[:n_samples].astype(np.int32)


def build_model(hidden: int = 32, seed: int = 0) -> Any:
    """A 64-``hidden``-10 MLP with logits out; weights drawn from ``seed``. Build it inside
    ``strategy.scope()`` so its variables are mirrored on every replica."""
    import keras

    from labutils.env import seeded

    with seeded(seed):
        return keras.Sequential([keras.Input((64,)),
                                 keras.layers.Dense(hidden, activation="relu"),
                                 keras.layers.Dense(10)])


def replica_loss(labels: Any, logits: Any, global_batch: int) -> Any:
    """The loss one replica differentiates: the *sum* of its examples' cross-entropies
    divided by the *global* batch size. Summing these over replicas (what the all-reduce does
    to their gradients) gives the mean over the global batch - dividing by the local batch
    instead would make the update ``replicas`` times too large."""
    import keras
    import tensorflow as tf

    per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)


def make_train_step(strategy: Any, model: Any, optimizer: Any, global_batch: int) -> Any:
    """A compiled step: ``strategy.run`` computes each replica's gradients on its slice of a
    distributed batch; ``optimizer.apply_gradients`` inside the replica context all-reduces
    (sums) them across replicas before updating the mirrored weights. Returns the global
    mean loss of the step."""
    import tensorflow as tf

    def replica_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = replica_loss(y, model(x, training=True), global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    @tf.function
    def step(batch: Any) -> Any:
        per_replica = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    return step


def train(strategy: Any, x: np.ndarray, y: np.ndarray, config: TrainConfig,
          initial_weights: Sequence[np.ndarray] | None = None
          ) -> tuple[Any, list[float], list[np.ndarray]]:
    """Train :func:`build_model` under ``strategy`` with :func:`make_train_step` over
    ``strategy.experimental_distribute_dataset`` (global batches in fixed order, the last
    incomplete one dropped). Returns ``(model, per-step losses, initial weights)``."""
    import keras
    import tensorflow as tf

    if config.global_batch % strategy.num_replicas_in_sync:
        raise ValueError(f"global_batch ({config.global_batch}) must be divisible by the "
                         f"{strategy.num_replicas_in_sync} replicas in sync")
    with strategy.scope():
        model = build_model(config.hidden, config.seed)
        optimizer = keras.optimizers.SGD(learning_rate=config.learning_rate)
        if initial_weights is not None:
            model.set_weights([np.asarray(w) for w in initial_weights])
    start = [w.copy() for w in model.get_weights()]
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(config.global_batch,
                                                             drop_remainder=True)
    dist = strategy.experimental_distribute_dataset(data)
    step = make_train_step(strategy, model, optimizer, config.global_batch)
    losses = [float(step(batch)) for _ in range(config.epochs) for batch in dist]
    return model, losses, start


def try_keras_fit(strategy: Any, x: np.ndarray, y: np.ndarray, config: TrainConfig) -> str | None:
    """Run one step of ``model.fit`` on a throwaway model under ``strategy``; return the error
    as ``"Type: message"`` with tensor values elided (None if ``fit`` worked)."""
    import keras
    import tensorflow as tf

    with strategy.scope():
        model = build_model(config.hidden, config.seed)
        model.compile(keras.optimizers.SGD(learning_rate=config.learning_rate),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(config.global_batch,
                                                             drop_remainder=True)
    try:
        model.fit(data, epochs=1, steps_per_epoch=1, verbose=0)
    except Exception as exc:  # the known Keras 3 failure is reported, not raised
        text = re.sub(r"\{.*?\}\)", "{...})", str(exc), flags=re.S)  # drop tensor values
        return f"{type(exc).__name__}: {' '.join(text.split())[:400]}"
    return None


def _write_json(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)


def worker_main(config: TrainConfig, out: str | os.PathLike, *, try_fit: bool = False,
                collective_timeout: float = 60.0) -> WorkerResult:
    """The program each worker runs (on one machine each, or all on this one): read
    ``TF_CONFIG``, join the cluster with ``MultiWorkerMirroredStrategy``, optionally try
    ``model.fit``, train with :func:`train`, write a JSON report to ``out``."""
    t0 = time.perf_counter()
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise ValueError("TF_CONFIG is not set: a worker needs the cluster's addresses and its "
                         "own index, e.g. TF_CONFIG='{\"cluster\": {\"worker\": [\"10.0.0.1:"
                         "12345\", \"10.0.0.2:12345\"]}, \"task\": {\"type\": \"worker\", "
                         "\"index\": 0}}'")
    spec = json.loads(raw)
    workers = spec.get("cluster", {}).get("worker", [])
    index = spec.get("task", {}).get("index", -1)
    tf_config(workers, index)  # validates both
    from labutils._tfenv import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    tf.config.threading.set_intra_op_parallelism_threads(1)  # the workers share the cores
    options = tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.RING,
        timeout_seconds=collective_timeout)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    x, y = digits_data(config.n_samples)
    fit_error = try_keras_fit(strategy, x, y, config) if try_fit else None
    model, losses, start = train(strategy, x, y, config)
    replicas = strategy.num_replicas_in_sync
    report = {"index": index, "replicas": replicas,
              "per_replica_batch": config.global_batch // replicas, "steps": len(losses),
              "losses": losses, "initial_weights": [w.tolist() for w in start],
              "weights": [w.tolist() for w in model.get_weights()], "fit_error": fit_error,
              "seconds": time.perf_counter() - t0}
    _write_json(Path(out), report)
    return _result(report)


def _result(d: dict[str, Any]) -> WorkerResult:
    arrays = {k: [np.asarray(w, dtype=np.float32) for w in d[k]]
              for k in ("initial_weights", "weights")}
    return WorkerResult(**{**d, **arrays})


def _stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM the worker's process group, SIGKILL it after ``grace`` seconds; always reap."""
    if proc.poll() is None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=grace)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
    proc.wait()


def _tail(path: Path, lines: int = 12) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:])


def run_workers(n_workers: int = 2, config: TrainConfig | None = None, *, try_fit: bool = False,
                timeout: float = 180.0) -> list[WorkerResult]:
    """Start ``n_workers`` worker processes (``python -m labutils.distributed worker``) on
    free ports of 127.0.0.1, each with its own ``TF_CONFIG``; wait at most ``timeout``
    seconds; return their reports sorted by index. If one fails or time runs out, every
    worker is stopped and :class:`WorkerFailure` (or :class:`WorkerTimeout`) is raised with
    the end of the failing log."""
    n_workers = check_scalar("n_workers", n_workers, "int", min=1, max=MAX_WORKERS)
    config = TrainConfig() if config is None else config
    timeout = positive("timeout", timeout)
    if config.global_batch % n_workers:
        raise ValueError(f"global_batch ({config.global_batch}) must be divisible by "
                         f"n_workers ({n_workers}): every worker takes an equal slice")
    addresses = [f"{HOST}:{p}" for p in free_ports(n_workers)]
    folder = Path(tempfile.mkdtemp(prefix="tf-workers-"))
    root = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    fit_flag = ["--try-fit"] if try_fit else []
    procs: list[subprocess.Popen] = []
    try:
        for i in range(n_workers):
            env = {**os.environ, "TF_CONFIG": json.dumps(tf_config(addresses, i)),
                   "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": path}
            cmd = [sys.executable, "-m", "labutils.distributed", "worker", "--out",
                   str(folder / f"worker-{i}.json"), *config.args(), *fit_flag]
            with open(folder / f"worker-{i}.log", "wb") as log:  # the child keeps its own fd
                procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                              env=env, cwd=folder, start_new_session=True))
        deadline = time.monotonic() + timeout
        while True:
            for i, p in enumerate(procs):
                if p.poll() not in (None, 0):
                    raise WorkerFailure(f"worker {i} exited with status {p.returncode}; "
                                        f"its log ends:\n{_tail(folder / f'worker-{i}.log')}",
                                        [q.pid for q in procs])
            if all(p.poll() == 0 for p in procs):
                break
            if time.monotonic() > deadline:
                raise WorkerTimeout(f"the {n_workers} workers did not finish within "
                                    f"{timeout:g} s; worker 0's log ends:\n"
                                    f"{_tail(folder / 'worker-0.log')}", [q.pid for q in procs])
            time.sleep(0.1)
        return [_result(json.loads((folder / f"worker-{i}.json").read_text()))
                for i in range(n_workers)]
    finally:
        for p in procs:
            _stop(p)
        shutil.rmtree(folder, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    def typed(check: Any, kind: type) -> Any:
        def parse(text: str) -> Any:
            try:
                return check(kind(text))
            except (TypeError, ValueError) as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
        return parse

    p = argparse.ArgumentParser(prog="python -m labutils.distributed",
                                description="Data-parallel training with "
                                "MultiWorkerMirroredStrategy: 'launch' starts N workers on "
                                "127.0.0.1; 'worker' is the program each machine runs "
                                "(its place in the cluster comes from TF_CONFIG).")
    sub = p.add_subparsers(dest="command", required=True)
    launch = sub.add_parser("launch", help="start N workers on 127.0.0.1 and compare them")
    launch.add_argument("--workers", type=typed(lambda v: check_scalar(
        "workers", v, "int", min=1, max=MAX_WORKERS), int), default=2)
    launch.add_argument("--timeout", type=typed(lambda v: positive("timeout", v), float),
                        default=180.0)
    worker = sub.add_parser("worker", help="one worker; reads TF_CONFIG")
    worker.add_argument("--out", required=True, help="where to write the JSON report")
    for sp in (launch, worker):
        d = TrainConfig()
        for name in ("epochs", "global_batch", "hidden", "n_samples", "seed"):
            sp.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
        sp.add_argument("--learning-rate", type=float, default=d.learning_rate)
        sp.add_argument("--try-fit", action="store_true",
                        help="first try Keras' model.fit and report its error")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``launch`` prints each worker's summary and whether all ended with
    identical weights (exit 0 if so); ``worker`` trains one worker. Bad arguments exit 2
    with a message naming the rule."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = TrainConfig(**{k: getattr(args, k) for k in asdict(TrainConfig())})
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    if args.command == "worker":
        worker_main(config, args.out, try_fit=args.try_fit)
        return 0
    try:
        results = run_workers(args.workers, config, try_fit=args.try_fit, timeout=args.timeout)
    except ValueError as exc:
        parser.error(str(exc))
    for r in results:
        fit = f"; fit: {r.fit_error}" if r.fit_error else ""
        print(f"worker {r.index}: {r.replicas} replicas, {r.per_replica_batch} examples per "
              f"replica per step, {r.steps} steps, loss {r.losses[0]:.4f} -> "
              f"{r.losses[-1]:.4f}, {r.seconds:.1f} s{fit}")
    same = all(np.array_equal(a, b) for r in results[1:]
               for a, b in zip(results[0].weights, r.weights, strict=True))
    print(f"identical weights on every worker: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
