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

Who decides between this process and worker processes: `make_executor`, for
comparisons and sweeps alike. Asked for no number of workers, it returns an
`AutoExecutor`, which runs the first task here, times it, and starts worker
processes for the rest only when the remaining work, so estimated, is at least
`PROCESS_THRESHOLD_SECONDS` (`processes_for`). Worker processes import the main
module of the program again; `main_module_problem` says when that would fail or
run the program's own calls again (a script without ``if __name__ == "__main__":``,
a program read from standard input): `LocalExecutor` then refuses to start, with
the fix, and `AutoExecutor` stays in this process.
"""

from __future__ import annotations

import ast
import functools
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

from sim.errors import SimError
from sim.spec.limits import capped_workers

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


GUARD = 'if __name__ == "__main__":'
"""The line a script puts its calls under, so that worker processes can import it."""


def main_module_problem() -> str | None:
    """Why local worker processes cannot start from this program (and the fix), or None when they can.

    A worker process (``forkserver`` or ``spawn``) imports the program's main module
    again, as multiprocessing does: a script runs its top-level code once more in
    every worker (printing twice, and starting workers of its own if it calls a
    comparison or sweep there), and a program read from standard input cannot be
    read again. A notebook, the interactive prompt, ``python -c`` and ``python -m
    package`` (a ``__main__`` module) are not imported again, so they always can.
    A script's top level runs code when a statement outside ``if __name__ ==
    "__main__":`` (and outside functions and classes) calls anything.
    """
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return None  # multiprocessing does not import these again
    path = getattr(main, "__file__", None)
    if path is None:
        return None
    if not os.path.isfile(path):
        return (
            f"each worker process imports the main module again, and this program was read from {path}, which "
            f"cannot be read again. Save it as a file, with the calls under `{GUARD}`."
        )
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:  # pragma: no cover - removed between the two calls
        return None
    found = _unguarded_line(os.path.abspath(path), stamp)
    if found is None:
        return None
    line, text = found
    return (
        f"each worker process imports the main module again, and {Path(path).name} runs code at its top level "
        f"(line {line}: {text}). Put the calls under `{GUARD}`."
    )


@functools.lru_cache(maxsize=16)
def _unguarded_line(path: str, stamp: int) -> tuple[int, str] | None:
    """The first line of a script's top level that runs code outside the main guard (and its text), or None."""
    try:
        source = Path(path).read_text(encoding="utf-8")
        tree = ast.parse(source, filename=path)
    except (OSError, SyntaxError, ValueError):
        return None  # not Python we can read: multiprocessing will say what it says
    line = _first_code_line(tree.body)
    if line is None:
        return None
    text = source.splitlines()[line - 1].strip()
    return line, text if len(text) <= 60 else text[:57] + "..."


def _first_code_line(statements: list[ast.stmt]) -> int | None:
    for statement in statements:
        if isinstance(statement, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                      | ast.Pass | ast.Global | ast.Nonlocal):  # fmt: skip
            continue
        if isinstance(statement, ast.If) and (_is_main_guard(statement.test) or _is_type_checking(statement.test)):
            line = _first_code_line(statement.orelse) if _is_type_checking(statement.test) else None
            if line is not None:
                return line
            continue
        if isinstance(statement, ast.Try):  # try: import x / except ImportError: ...
            parts = [statement.body, statement.orelse, statement.finalbody, *(h.body for h in statement.handlers)]
            lines = [line for part in parts if (line := _first_code_line(part)) is not None]
            if lines:
                return min(lines)
            continue
        if not any(isinstance(node, ast.Call | ast.Await | ast.Yield) for node in ast.walk(statement)):
            continue  # a constant, an assignment of values: nothing runs
        return statement.lineno
    return None


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides) and any(
        isinstance(side, ast.Constant) and side.value == "__main__" for side in sides
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


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
        """Start the pool.

        Raises:
            SimError: when worker processes cannot import the program's main module again
                (`main_module_problem`), naming the fix.
        """
        problem = main_module_problem()
        if problem is not None:
            raise SimError(f"cannot start {self.description}: {problem} Or pass workers=1 to run in this process.")
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


PROCESS_THRESHOLD_SECONDS = 5.0
"""Worker processes pay from this much work, in seconds of this process (see `processes_for`).

Starting a pool costs about 2 s (2.0-2.8 s measured on a 2-core machine: a fresh
fork server imports the engine once); two workers save at most half the work, so
they break even near 4 s of work, and less than 5 s stays here.
"""

_warned: set[str] = set()


def processes_for(tasks: int, seconds_per_task: float, cores: int | None = None) -> int:
    """How many local worker processes `tasks` more tasks of `seconds_per_task` each deserve; 0: this process.

    The rule: worker processes when the remaining work, estimated as ``tasks x
    seconds_per_task``, is at least `PROCESS_THRESHOLD_SECONDS`, there are two tasks
    or more and two cores or more, and the main module can be imported again
    (`main_module_problem`); then one per core, at most one per task. When the work
    is large enough but the main module cannot be imported again, the work stays
    here and a warning (once per program) says why and how to use the cores.
    """
    cores = cores or default_workers()
    work = tasks * seconds_per_task
    if cores < 2 or tasks < 2 or work < PROCESS_THRESHOLD_SECONDS:
        return 0
    problem = main_module_problem()
    if problem is not None:
        if problem not in _warned:
            _warned.add(problem)
            warnings.warn(
                f"running {tasks} tasks (about {work:.0f} s) in this process, not on {min(cores, tasks)} worker "
                f"processes: {problem}",
                RuntimeWarning,
                stacklevel=2,
            )
        return 0
    return min(cores, tasks)


class AutoExecutor(Executor):
    """This process for small work, local worker processes when they pay.

    Runs the first task here and times it; then `processes_for` decides, from that
    time and the number of tasks left, whether the rest run here too or on a pool
    of local worker processes (started then). ``description`` and ``workers`` say
    what was chosen once `run` has started.

    Args:
        tasks: how many tasks `run` will be given.
    """

    def __init__(self, tasks: int):
        self.tasks = tasks
        self.description = "this process"
        self.workers = 1
        self._pool: LocalExecutor | None = None

    def close(self, abort: bool = False) -> None:
        """Stop the worker processes, if any were started."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(abort=abort)

    def run(self, function: Callable[[T], Any], tasks: Iterable[T]) -> Iterator[Completed[T]]:
        """Run the first task here, timed; the rest here or on worker processes."""
        source = iter(tasks)
        here = SerialExecutor()
        for first in source:
            started = time.perf_counter()
            completed = next(iter(here.run(function, [first])))
            seconds = time.perf_counter() - started
            yield completed
            break
        else:
            return
        workers = processes_for(self.tasks - 1, seconds)
        if workers == 0:
            yield from here.run(function, source)
            return
        self._pool = LocalExecutor(workers)
        self._pool.start()
        self.description, self.workers = f"{self._pool.description} (after 1 run here)", workers
        yield from self._pool.run(function, source)


def make_executor(workers: int | None = None, scheduler: str | None = None, tasks: int | None = None) -> Executor:
    """Where comparisons and sweeps run their tasks.

    Args:
        workers: None to decide from the work (`AutoExecutor`, `processes_for`); 1 for this process;
            more for that many local worker processes (at most one per task, and one per core:
            more are reduced with a `sim.spec.limits.LimitNote` saying so).
        scheduler: a Dask scheduler address: the tasks go to that cluster.
        tasks: how many tasks there will be (when known).
    """
    if scheduler:
        return DaskExecutor(scheduler)
    if workers is None:
        return AutoExecutor(tasks if tasks is not None else 2**31)
    workers = capped_workers(workers, default_workers())
    if workers <= 1 or (tasks is not None and tasks <= 1):
        return SerialExecutor()
    return LocalExecutor(min(workers, tasks) if tasks is not None else workers)
