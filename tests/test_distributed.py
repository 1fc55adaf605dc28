"""labutils.distributed: two MultiWorkerMirroredStrategy workers on 127.0.0.1 finish with
identical weights, equal (to float tolerance) to one-device training on the same global
batches; bad arguments give errors that name the rule; workers are always stopped."""

from __future__ import annotations

import os

import numpy as np
import pytest

from labutils import distributed as dist


def test_two_workers_on_loopback_end_with_identical_weights_equal_to_one_device() -> None:
    config = dist.TrainConfig(epochs=1, global_batch=32, n_samples=256, learning_rate=0.5)
    results = dist.run_workers(2, config, timeout=300)
    assert [r.index for r in results] == [0, 1]
    assert all(r.replicas == 2 and r.per_replica_batch == 16 and r.steps == 8 for r in results)
    assert all(np.array_equal(a, b) for a, b in zip(results[0].weights, results[1].weights,
                                                    strict=True))
    assert results[0].losses == results[1].losses
    assert results[0].losses[-1] < results[0].losses[0]
    assert results[0].fit_error is None  # not tried

    import tensorflow as tf

    x, y = dist.digits_data(config.n_samples)
    model, losses, _ = dist.train(tf.distribute.get_strategy(), x, y, config,
                                  initial_weights=results[0].initial_weights)
    for ours, theirs in zip(model.get_weights(), results[0].weights, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    np.testing.assert_allclose(losses, results[0].losses, atol=1e-5)


def test_workers_are_stopped_when_time_runs_out() -> None:
    with pytest.raises(dist.WorkerTimeout, match="did not finish within 0.5 s") as err:
        dist.run_workers(2, dist.TrainConfig(), timeout=0.5)
    assert len(err.value.pids) == 2
    for pid in err.value.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # stopped and reaped


@pytest.mark.parametrize(("call", "message"), [
    (lambda: dist.run_workers(0), r"n_workers must be an int in \[1, 8\]; got 0"),
    (lambda: dist.run_workers(3), r"global_batch \(64\) must be divisible by n_workers \(3\)"),
    (lambda: dist.run_workers(2, timeout=0), "timeout must be a finite number > 0"),
    (lambda: dist.TrainConfig(global_batch=0), "global_batch must be a positive int"),
    (lambda: dist.TrainConfig(n_samples=5000), r"n_samples must be an int in \[1, 1797\]"),
    (lambda: dist.TrainConfig(learning_rate=-0.1), "learning_rate must be"),
    (lambda: dist.TrainConfig(global_batch=64, n_samples=32), "global_batch must be <= n_samples"),
    (lambda: dist.tf_config(["127.0.0.1"], 0), "'host:port'"),
    (lambda: dist.tf_config(["127.0.0.1:1", "127.0.0.1:2"], 2), r"index must be an int in \[0, 1\]"),
    (lambda: dist.tf_config([], 0), "1 to 8 workers"),
    (lambda: dist.free_ports(0), r"n must be an int in \[1, 8\]"),
])
def test_bad_arguments_name_the_rule(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_tf_config_is_the_same_cluster_with_a_different_index() -> None:
    addresses = ["10.0.0.1:12345", "10.0.0.2:12345"]
    a, b = dist.tf_config(addresses, 0), dist.tf_config(addresses, 1)
    assert a["cluster"] == b["cluster"] == {"worker": addresses}
    assert (a["task"], b["task"]) == ({"type": "worker", "index": 0},
                                      {"type": "worker", "index": 1})
    ports = dist.free_ports(3)
    assert len(set(ports)) == 3 and all(0 < p < 65536 for p in ports)


@pytest.mark.parametrize(("argv", "message"), [
    (["launch", "--workers", "0"], "argument --workers: workers must be an int in [1, 8]"),
    (["launch", "--timeout", "-1"], "argument --timeout: timeout must be"),
    (["launch", "--global-batch", "0"], "global_batch must be a positive int"),
    (["launch", "--workers", "3"], "must be divisible by n_workers"),
    (["worker"], "the following arguments are required: --out"),
])
def test_command_line_refuses_bad_arguments(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        dist.main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err, err


def test_a_worker_without_tf_config_says_what_is_missing(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG is not set"):
        dist.worker_main(dist.TrainConfig(), tmp_path / "report.json")
    assert not (tmp_path / "report.json").exists()


def test_train_config_flags_round_trip() -> None:
    config = dist.TrainConfig(epochs=3, global_batch=32, learning_rate=0.25, n_samples=100)
    args = config.args()
    assert args[:2] == ["--epochs", "3"] and "--learning-rate" in args
    parsed = dist._parser().parse_args(["worker", "--out", "r.json", *args])
    assert dist.TrainConfig(**{k: getattr(parsed, k) for k in
                               ("epochs", "global_batch", "learning_rate", "hidden",
                                "n_samples", "seed")}) == config
