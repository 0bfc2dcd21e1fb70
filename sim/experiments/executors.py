"""Executors: run many independent tasks in this process, in local worker processes, or on Dask.

All three share one interface and are context managers, so switching changes
nothing else::

    with LocalExecutor(workers=2) as executor:            # or DaskExecutor("tcp://host:8786")
        for done in executor.run(execute_run, tasks):
            ...  # done.task, done.value, done.error

`run` yields each task as it finishes (in any order), with its value or an
error text: a task that raises, or whose worker process dies, is reported, never
raised, so one bad run does not stop the others. Only a bounded window of tasks
is in flight at once, so memory stays flat however many tasks there are.

Local workers start with ``forkserver`` where the platform has it (``spawn``
elsewhere), never a bare ``fork`` of a process that may hold threads: safe in a
notebook and in a program with threads. The task function must be importable by
name (a module-level function of an installed package), as for any process pool.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from sim.errors import SimError

T = TypeVar("T")

WINDOW_PER_WORKER = 4
"""Tasks in flight per worker: enough to keep every worker busy, few enough to keep memory flat."""

PRELOAD = ["sim.experiments.sweep_runner"]
"""Modules the fork server imports once, so each local worker starts without importing them again."""


class ExecutorError(SimError):
    """The executor itself failed (a cluster that cannot be reached or went away), not a task."""


@dataclass
class Completed[T]:
    """One finished task.

    Attributes:
        task: the task as submitted.
        value: what the function returned (None on error).
        error: why it failed, or None.
    """

    task: T
    value: Any = None
    error: str | None = None


class Executor:
    """The common interface: a context manager whose `run` yields finished tasks."""

    description = "executor"
    workers = 1

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, kind: Any, value: Any, trace: Any) -> None:
        self.close(abort=kind is not None)

    def start(self) -> None:
        """Acquire the workers (called by ``with``)."""

    def close(self, abort: bool = False) -> None:
        """Release the workers; with `abort`, stop running tasks at once."""

    def run(self, function: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[Completed[T]]:
        """Run `function` on every task; yield each as it finishes.

        Args:
            function: a module-level function of one argument.
            tasks: the tasks (consumed lazily).
        """
        raise NotImplementedError


def describe_exception(exc: BaseException) -> str:
    """One line naming an exception and its message (the last frame too, for a bug)."""
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    if frames:
        last = frames[-1]
        text += f" (at {os.path.basename(last.filename)}:{last.lineno})"
    return " ".join(text.split())


class SerialExecutor(Executor):
    """Runs tasks one after another in this process (debugging, tests, a single run)."""

    description = "this process"

    def run(self, function: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[Completed[T]]:
        """Run each task here, in order."""
        for task in tasks:
            try:
                yield Completed(task, function(task))
            except Exception as exc:  # noqa: BLE001 - a failing task is reported, not raised
                yield Completed(task, error=describe_exception(exc))


PARENT_CHECK_SECONDS = 1.0
"""How often a local worker checks that the process that started it is still there."""


def _worker_start(parent: int) -> None:
    # Ctrl-C is the main process's to handle: it stops the workers itself, without a
    # traceback from every one of them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A main process killed outright (kill -9) cannot stop its workers, and a pool's
    # workers wait for tasks forever: each one ends itself when the main process is gone.
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="tabletop-parent-watch").start()


def _exit_with(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if not _alive(parent):
            os._exit(1)


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def process_context() -> multiprocessing.context.BaseContext:
    """``forkserver`` where available (Linux, macOS), else ``spawn``; never a bare fork."""
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


class LocalExecutor(Executor):
    """Local worker processes.

    A worker that dies (killed, out of memory, a crash in native code) breaks a
    process pool and every task in flight with it. The pool is then restarted and
    those tasks are run again one at a time: the one that kills its worker alone
    is reported with an error; the others complete normally.

    Args:
        workers: how many processes (default: every core this process may use).
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        self.description = f"{self.workers} local worker process{'es' if self.workers != 1 else ''}"
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the pool."""
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=process_context(),
            initializer=_worker_start,
            initargs=(os.getpid(),),
        )

    def close(self, abort: bool = False) -> None:
        """Stop the pool; with `abort`, end the workers without waiting for their tasks."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if abort:
            _terminate(pool)
        else:
            pool.shutdown(wait=True)

    def _restart(self) -> None:
        if self._pool is not None:
            _terminate(self._pool)
        self.start()

    def run(self, function: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[Completed[T]]:
        """Run the tasks on the pool, `WINDOW_PER_WORKER` per worker in flight."""
        if self._pool is None:
            self.start()
        source = iter(tasks)
        window = self.workers * WINDOW_PER_WORKER
        backlog: deque[T] = deque()  # tasks to submit before new ones (their pool broke before they ran)
        suspects: deque[T] = deque()  # tasks in flight when a worker died: each is rerun alone
        pending: dict[Future[Any], tuple[T, bool]] = {}
        exhausted = False
        while True:
            # Fill: one isolated suspect at a time, else up to the window.
            if suspects:
                if not pending:
                    task = suspects.popleft()
                    future = self._submit(function, task)
                    if future is None:
                        suspects.appendleft(task)
                        self._restart()
                        continue
                    pending[future] = (task, True)
            else:
                while len(pending) < window:
                    if backlog:
                        task = backlog.popleft()
                    elif not exhausted:
                        try:
                            task = next(source)
                        except StopIteration:
                            exhausted = True
                            break
                    else:
                        break
                    future = self._submit(function, task)
                    if future is None:
                        backlog.appendleft(task)
                        break
                    pending[future] = (task, False)
            if not pending:
                if backlog:
                    self._restart()
                    continue
                if exhausted and not suspects:
                    return
                continue

            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                task, isolated = pending.pop(future)
                exc = future.exception()
                if exc is None:
                    yield Completed(task, future.result())
                elif isinstance(exc, BrokenProcessPool):
                    broken = True
                    if isolated:
                        yield Completed(task, error=f"its worker process died while running it ({exc})")
                    else:
                        suspects.append(task)
                else:
                    yield Completed(task, error=describe_exception(exc))
            if broken:
                # Every other task in flight fails with the pool; keep what finished first.
                wait(pending)
                for future, (task, _isolated) in pending.items():
                    if future.exception() is None:
                        yield Completed(task, future.result())
                    else:
                        suspects.append(task)
                pending.clear()
                self._restart()

    def _submit(self, function: Callable[[T], Any], task: T) -> Future[Any] | None:
        assert self._pool is not None
        try:
            return self._pool.submit(function, task)
        except BrokenProcessPool:
            return None


def _terminate(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now (Python 3.14 has `terminate_workers`; earlier ones need its process table)."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:  # pragma: no cover - Python >= 3.14
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


class DaskExecutor(Executor):
    """The workers of a Dask distributed cluster.

    Start a cluster with ``dask scheduler`` and ``dask worker ADDRESS --nthreads 1``
    (runs are pure Python: one thread per worker process; add processes with
    ``--nworkers``). Workers need this package installed. Dask reschedules the
    tasks of a worker that dies; a task that keeps killing workers is reported
    with an error (`distributed.KilledWorker`).

    Args:
        address: the scheduler, e.g. ``tcp://127.0.0.1:8786``.
        timeout: seconds to wait for the scheduler.
    """

    def __init__(self, address: str, timeout: float = 10.0):
        self.address = address
        self.timeout = timeout
        self.description = f"Dask cluster at {address}"
        self._client: Any = None

    def start(self) -> None:
        """Connect to the scheduler.

        Raises:
            ExecutorError: when it cannot be reached.
        """
        from distributed import Client

        try:
            self._client = Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None
        threads = sum(self._client.nthreads().values())
        self.workers = max(threads, 1)
        self.description = f"Dask cluster at {self.address} ({threads} worker thread{'s' if threads != 1 else ''})"

    def close(self, abort: bool = False) -> None:
        """Disconnect (the cluster keeps running; its pending tasks of ours are released)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def run(self, function: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[Completed[T]]:
        """Submit the tasks, `WINDOW_PER_WORKER` per worker thread in flight."""
        from distributed import as_completed

        if self._client is None:
            self.start()
        client = self._client
        source = iter(tasks)
        window = max(8, self.workers * WINDOW_PER_WORKER)
        tasks_of: dict[str, T] = {}
        flow = as_completed(loop=client.loop)

        def submit() -> bool:
            try:
                task = next(source)
            except StopIteration:
                return False
            future = client.submit(function, task, pure=False)
            tasks_of[future.key] = task
            flow.add(future)
            return True

        for _ in range(window):
            if not submit():
                break
        for future in flow:
            task = tasks_of.pop(future.key)
            if future.status == "finished":
                yield Completed(task, future.result())
            elif future.status == "cancelled":
                raise ExecutorError(f"the Dask cluster at {self.address} cancelled the runs (did the scheduler stop?)")
            else:
                exc = future.exception()
                if type(exc).__name__ == "KilledWorker":
                    yield Completed(task, error=f"it killed every Dask worker that ran it ({exc})")
                else:
                    yield Completed(task, error=describe_exception(exc))
            future.release()
            submit()


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor a sweep asks for: a Dask cluster if `scheduler` is given, else local processes."""
    if scheduler:
        return DaskExecutor(scheduler)
    return LocalExecutor(workers)
