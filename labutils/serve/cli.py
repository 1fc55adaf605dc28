"""``python -m labutils serve MODEL [MODEL...]``: run the model server in this process.

Checks the arguments and model paths first (without TensorFlow, so mistakes are reported at
once), binds the socket (``--port 0`` picks a free port), loads and warms up every model, then
runs uvicorn and prints exactly one line, ``Serving 'NAME' at http://HOST:PORT``, once the
server accepts connections (``ModelServer`` waits for that line). SIGTERM or Ctrl+C stops it
gracefully. Exit status 2 for a usage or path error, 1 when a model cannot be loaded or the
address cannot be bound.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from typing import TYPE_CHECKING

from labutils._validate import positive_int

if TYPE_CHECKING:
    from labutils.serve.signature import ServedModel

__all__ = ["build_parser", "main"]

log = logging.getLogger("labutils.serve")


def _positive(text: str) -> int:
    """argparse type: a positive whole number."""
    try:
        return positive_int("value", int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive whole number; got {text!r}") \
            from None


def _port(text: str) -> int:
    """argparse type: a TCP port, 0 meaning any free one."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 (any free port) to 65535; got {text!r}")
    return value


def _millis(text: str) -> float:
    """argparse type: milliseconds in [0, 10000]."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 10_000.0:
        raise argparse.ArgumentTypeError(f"must be a number of milliseconds in [0, 10000]; "
                                         f"got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``serve`` argument parser (also documents the command: ``--help``)."""
    p = argparse.ArgumentParser(
        prog="python -m labutils serve",
        description="Serve Keras models over TensorFlow Serving's REST API "
                    "(GET /v1/models/NAME, GET /v1/models/NAME/metadata, "
                    "POST /v1/models/NAME:predict).",
        epilog="example: python -m labutils serve digits.keras --port 8501, then "
               "curl -d '{\"instances\": [[...]]}' http://127.0.0.1:8501/v1/models/digits:predict")
    p.add_argument("models", nargs="+", metavar="MODEL",
                   help="a .keras file or a SavedModel folder from model.export(); served "
                        "under its file/folder name")
    p.add_argument("--name", help="serve the (single) MODEL under this name instead")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=8501,
                   help="port to listen on (default 8501; 0 picks a free port)")
    p.add_argument("--max-body-bytes", type=_positive, default=10_000_000, metavar="N",
                   help="refuse request bodies larger than N bytes with 413 (default 10 MB)")
    p.add_argument("--batching", action=argparse.BooleanOptionalAction, default=False,
                   help="merge concurrent predict requests into one model call "
                        "(default: off)")
    p.add_argument("--max-batch-size", type=_positive, default=32, metavar="N",
                   help="with --batching: at most N rows per merged call (default 32)")
    p.add_argument("--batch-timeout-ms", type=_millis, default=3.0, metavar="F",
                   help="with --batching: wait at most F ms for a batch to fill (default 3)")
    p.add_argument("--threads", type=_positive, default=min(4, os.cpu_count() or 1),
                   metavar="N", help="inference threads (default: cores, at most 4)")
    return p


def _bind(host: str, port: int) -> socket.socket:
    """A bound TCP socket for ``host:port`` (IPv4 or IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _exit_with_parent() -> None:
    """When started by ``ModelServer`` (``LABUTILS_SERVE_PARENT`` = its pid), stop gracefully
    once that parent is gone, so a crashed notebook kernel leaves no server on the port."""
    parent = os.environ.get("LABUTILS_SERVE_PARENT", "")
    if not parent.isdigit():
        return

    def watch() -> None:
        """Poll the parent pid once a second; SIGTERM ourselves once it changes."""
        while os.getppid() == int(parent):
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def main(argv: list[str] | None = None) -> int:
    """Run the server until SIGTERM/SIGINT; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from labutils.serve.models import resolve_sources

    try:
        sources = resolve_sources(args.models, args.name)
    except ValueError as err:
        parser.error(str(err))
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        sock = _bind(args.host, args.port)
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err}; pick another --port "
              "(--port 0 picks a free one)", file=sys.stderr)
        return 1

    from labutils.serve.models import load_source, warm_up

    try:
        models = [m for src in sources for m in load_source(src)]
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        sock.close()
        return 1
    for m in models:
        warm_up(m)
    _exit_with_parent()
    return _run(models, sock, args)


def _run(models: list[ServedModel], sock: socket.socket, args: argparse.Namespace) -> int:
    """Run uvicorn on ``sock`` and print the URL line once it accepts connections."""
    import uvicorn

    from labutils.serve.app import ServeConfig, create_app

    config = ServeConfig(max_body_bytes=args.max_body_bytes, batching=args.batching,
                         max_batch_size=args.max_batch_size,
                         batch_timeout_ms=args.batch_timeout_ms, threads=args.threads)
    app = create_app(models, config)
    names = ", ".join(dict.fromkeys(repr(m.name) for m in models))
    line = f"Serving {names} at {_url(sock)}"

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            """uvicorn's start-up, then the one URL line once connections are accepted."""
            await super().startup(sockets=sockets)
            if self.started:
                print(line, flush=True)

    server = Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                   lifespan="on", timeout_graceful_shutdown=5))
    server.run(sockets=[sock])
    return 0
