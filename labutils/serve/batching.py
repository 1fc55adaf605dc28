"""Server-side micro-batching: merge concurrent predict calls into one model call.

One ``MicroBatcher`` per signature. Each request's arrays are queued; a collector task takes
the first waiting request, waits at most ``timeout_s`` for more to arrive (never past
``max_rows`` rows), concatenates requests whose per-row shapes agree along axis 0, runs the
merged batch once in the inference thread pool and hands every caller its own slice of the
outputs. At most one batch per worker thread is in flight, so while the model is busy new
requests pile up and form the next, fuller batch. If a merged call fails (one request carried
values the model rejects), every request of that batch is re-run alone, so only the culprit
gets the error. Requests with ``max_rows`` rows or more bypass the queue.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

__all__ = ["MicroBatcher"]

Arrays = dict[str, np.ndarray]


@dataclass
class _Item:
    """One queued request: its arrays, row count and the future its caller awaits."""

    arrays: Arrays
    rows: int
    future: asyncio.Future = field(repr=False)

    def key(self) -> tuple:
        """Requests with equal keys (per-row shapes, dtypes) can be concatenated."""
        return tuple((k, v.shape[1:], v.dtype.str) for k, v in self.arrays.items())


class MicroBatcher:
    """Queue ``submit``-ted requests and run them in merged batches (see module docstring).
    Call ``start()`` inside the running event loop and ``aclose()`` on shutdown."""

    def __init__(self, call: Callable[[Arrays], Arrays], executor: Executor, *,
                 max_rows: int, timeout_s: float, concurrency: int) -> None:
        self._call = call
        self._executor = executor
        self.max_rows = max_rows
        self.timeout_s = timeout_s
        self._pending: collections.deque[_Item] = collections.deque()
        self._wakeup: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._concurrency = concurrency
        self._task: asyncio.Task | None = None
        self._inflight: set[asyncio.Task] = set()
        self.batches = 0
        self.rows = 0

    def start(self) -> None:
        """Start the collector task in the running loop."""
        self._wakeup = asyncio.Event()
        self._slots = asyncio.Semaphore(self._concurrency)
        self._task = asyncio.get_running_loop().create_task(self._collect())

    async def aclose(self) -> None:
        """Stop collecting; waiting callers get ``RuntimeError``."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while self._pending:
            item = self._pending.popleft()
            if not item.future.done():
                item.future.set_exception(RuntimeError("the server is shutting down"))

    async def submit(self, arrays: Arrays, rows: int) -> Arrays:
        """The model's outputs for ``arrays`` (``rows`` rows), computed in some batch."""
        loop = asyncio.get_running_loop()
        if rows >= self.max_rows or self._task is None:
            return await loop.run_in_executor(self._executor, self._call, arrays)
        item = _Item(arrays, rows, loop.create_future())
        self._pending.append(item)
        assert self._wakeup is not None
        self._wakeup.set()
        return await item.future

    async def _wait(self, timeout: float | None) -> bool:
        """Wait for a new submission (True) or until ``timeout`` runs out (False)."""
        assert self._wakeup is not None
        self._wakeup.clear()
        if timeout is None:
            await self._wakeup.wait()
            return True
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def _rows_pending(self) -> int:
        """Rows waiting in the queue."""
        return sum(i.rows for i in self._pending)

    async def _collect(self) -> None:
        """Forever: take a free slot, gather one batch (size/timeout bound), dispatch it."""
        loop = asyncio.get_running_loop()
        assert self._slots is not None
        while True:
            await self._slots.acquire()
            while not self._pending:
                await self._wait(None)
            deadline = loop.time() + self.timeout_s
            while self._rows_pending() < self.max_rows:
                remaining = deadline - loop.time()
                if remaining <= 0 or not await self._wait(remaining):
                    break
            batch, rows = [], 0
            while self._pending and rows + self._pending[0].rows <= self.max_rows:
                item = self._pending.popleft()
                batch.append(item)
                rows += item.rows
            if not batch:  # cannot happen (big requests bypass), but never spin
                batch.append(self._pending.popleft())
            task = loop.create_task(self._run(batch))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _run(self, batch: list[_Item]) -> None:
        """Run ``batch`` (grouped by per-row shape) and resolve each caller's future."""
        loop = asyncio.get_running_loop()
        assert self._slots is not None
        try:
            groups: dict[tuple, list[_Item]] = {}
            for item in batch:
                groups.setdefault(item.key(), []).append(item)
            for items in groups.values():
                await self._run_group(loop, items)
        finally:
            self._slots.release()

    async def _run_group(self, loop: asyncio.AbstractEventLoop, items: list[_Item]) -> None:
        """Run same-shape requests as one call and split the outputs by row offsets; on
        failure (or outputs without one row per input row) run each request alone."""
        live = [i for i in items if not i.future.done()]
        if not live:
            return
        if len(live) == 1:
            await self._run_alone(loop, live[0])
            return
        names = list(live[0].arrays)
        merged = {n: np.concatenate([i.arrays[n] for i in live]) for n in names}
        total = sum(i.rows for i in live)
        try:
            out = await loop.run_in_executor(self._executor, self._call, merged)
            if any(v.ndim == 0 or v.shape[0] != total for v in out.values()):
                raise ValueError("outputs do not have one row per input row")
        except Exception:  # noqa: BLE001 - fall back to one call per request
            for item in live:
                await self._run_alone(loop, item)
            return
        self.batches += 1
        self.rows += total
        start = 0
        for item in live:
            stop = start + item.rows
            if not item.future.done():
                item.future.set_result({k: v[start:stop] for k, v in out.items()})
            start = stop

    async def _run_alone(self, loop: asyncio.AbstractEventLoop, item: _Item) -> None:
        """Run one request by itself and hand its result or error to the caller."""
        try:
            out = await loop.run_in_executor(self._executor, self._call, item.arrays)
        except Exception as err:  # noqa: BLE001 - handed to the caller
            if not item.future.done():
                item.future.set_exception(err)
            return
        self.batches += 1
        self.rows += item.rows
        if not item.future.done():
            item.future.set_result(out)
