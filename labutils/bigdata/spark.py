"""Spark sessions with safe offline defaults, and a real standalone cluster on loopback.

:func:`spark_session` builds a ``SparkSession`` whose master comes from the argument, else
the ``LABUTILS_SPARK_MASTER`` environment variable, else ``local[2]`` - so the same notebook
code runs on this laptop or on a cluster by changing one string. It binds the driver to
127.0.0.1, turns the web UI off and uses few shuffle partitions (the default 200 is sized for
clusters and makes small jobs slow). :func:`standalone_cluster` starts what a real cluster
runs - one master and N workers, each its own JVM, started with the ``spark-class`` script
that PySpark ships - on 127.0.0.1 with free ports, waits until every worker has registered,
yields the master URL, and stops them all on exit. Java is checked first (see
:mod:`labutils.bigdata.java`), so a missing Java is one clear sentence, not a
"Java gateway process exited" traceback.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from labutils._validate import check_instance, positive_int
from labutils.bigdata.java import require_java

MASTER_ENV = "LABUTILS_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
INSTALL_SPARK = ("PySpark is not installed: run `python3 run.py reinstall`, or "
                 "`.venv/bin/pip install -c requirements/lock.txt pyspark`")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spark_home() -> Path:
    """The folder of the installed ``pyspark`` package, which holds Spark's jars and scripts."""
    try:
        import pyspark
    except ImportError as exc:
        raise ImportError(INSTALL_SPARK) from exc
    return Path(pyspark.__file__).resolve().parent


def _loopback_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(SPARK_LOCAL_IP="127.0.0.1", SPARK_HOME=str(spark_home()),
               PYSPARK_PYTHON=env.get("PYSPARK_PYTHON", _python()))
    return env


def _python() -> str:
    import sys

    return sys.executable


def resolve_master(master: str | None = None) -> str:
    """``master`` if given, else ``$LABUTILS_SPARK_MASTER``, else ``local[2]``; must start with
    ``local`` or ``spark://``."""
    chosen = master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER
    check_instance("master", chosen, str, "a string such as 'local[2]' or 'spark://host:7077'")
    if not (chosen.startswith("local") or chosen.startswith("spark://")):
        raise ValueError("master must be 'local', 'local[N]', 'local[*]' or 'spark://HOST:PORT'; "
                         f"got {chosen!r}")
    return chosen


def spark_session(master: str | None = None, *, app_name: str = "labutils",
                  shuffle_partitions: int = 4, driver_memory: str = "1g",
                  executor_memory: str = "1g", conf: dict[str, str] | None = None) -> Any:
    """A ``SparkSession`` on ``master`` (see :func:`resolve_master`) with offline-safe
    defaults: driver on 127.0.0.1, UI off, ``shuffle_partitions`` shuffle partitions, Arrow
    for ``toPandas()``, session time zone UTC. Stop it with ``spark.stop()``."""
    require_java()
    shuffle_partitions = positive_int("shuffle_partitions", shuffle_partitions)
    master = resolve_master(master)
    os.environ.update({k: v for k, v in _loopback_env().items()
                       if k in {"SPARK_LOCAL_IP", "PYSPARK_PYTHON"}})
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
               .config("spark.default.parallelism", str(shuffle_partitions))
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.memory", driver_memory)
               .config("spark.executor.memory", executor_memory))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _start(args: list[str], log: Path) -> subprocess.Popen:
    script = spark_home() / "bin" / "spark-class"
    out = open(log, "wb")  # noqa: SIM115 - closed when the cluster stops
    return subprocess.Popen([str(script), *args], stdout=out, stderr=subprocess.STDOUT,
                            env=_loopback_env(), start_new_session=True)


def _stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=timeout)


def cluster_state(webui_port: int) -> dict[str, Any]:
    """The standalone master's own status page as JSON (workers, cores, running apps)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{webui_port}/json/", timeout=5) as r:
        return json.loads(r.read().decode())


class Cluster:
    """A running standalone cluster: ``master_url`` for :func:`spark_session`, the master's web
    port (:func:`cluster_state` reads it) and the folder of its logs."""

    def __init__(self, master_url: str, webui_port: int, log_dir: Path) -> None:
        self.master_url, self.webui_port, self.log_dir = master_url, webui_port, log_dir

    def state(self) -> dict[str, Any]:
        return cluster_state(self.webui_port)


@contextmanager
def standalone_cluster(workers: int = 2, *, cores: int = 1, memory: str = "1g",
                       timeout: float = 90.0) -> Iterator[Cluster]:
    """Start a Spark standalone master and ``workers`` workers on 127.0.0.1, wait until all
    have registered, yield a :class:`Cluster`, then stop every process (also on error)."""
    require_java()
    workers = positive_int("workers", workers)
    cores = positive_int("cores", cores)
    log_dir = Path(tempfile.mkdtemp(prefix="spark-cluster-"))
    port, webui = _free_port(), _free_port()
    procs = [_start(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                     "--port", str(port), "--webui-port", str(webui)], log_dir / "master.log")]
    url = f"spark://127.0.0.1:{port}"
    try:
        for i in range(workers):
            procs.append(_start(["org.apache.spark.deploy.worker.Worker", url,
                                 "--host", "127.0.0.1", "--cores", str(cores), "--memory", memory,
                                 "--webui-port", str(_free_port()),
                                 "--work-dir", str(log_dir / f"work-{i}")],
                                log_dir / f"worker-{i}.log"))
        deadline = time.monotonic() + timeout
        alive = 0
        while time.monotonic() < deadline:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"a Spark process exited during start-up; see {log_dir}")
            try:
                alive = sum(w.get("state") == "ALIVE" for w in cluster_state(webui)["workers"])
            except (OSError, ValueError, KeyError):  # not up yet, or a half-written page
                alive = 0
            if alive == workers:
                break
            time.sleep(0.5)
        else:
            raise TimeoutError(f"{alive} of {workers} Spark workers registered within "
                               f"{timeout:.0f} s; logs in {log_dir}")
        yield Cluster(url, webui, log_dir)
    finally:
        for p in reversed(procs):
            _stop(p)
