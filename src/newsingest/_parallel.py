"""Order-preserving, memory-bounded parallel map over chunks.

``multiprocessing.Pool.imap`` drains its input iterator eagerly in a feeder
thread, so a lazy stream of documents would be pulled into memory whole; this
keeps at most ``window`` chunks in flight instead.

:class:`Crew` is the other shape of parallel work: workers that keep what
their tasks made, so that a later pass runs where the data already is.

Workers are forked when that is safe (Linux, and only the main thread alive):
they start in milliseconds and inherit the numba kernels the parent compiled
or loaded. Otherwise they are spawned, and load the kernels from numba's disk
cache.

A worker never outlives the process that started it, and never answers
Ctrl-C itself: it ignores SIGINT (the main process stops it, so no worker
traceback reaches the terminal) and dies with its parent, even one killed
with SIGKILL (:func:`_become_worker`). :func:`sigterm_as_interrupt` makes a
SIGTERM end a run the way Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import logging
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, TypeVar

__all__ = [
    "Crew",
    "WorkerState",
    "chunked",
    "imap_bounded",
    "open_crew",
    "open_pool",
    "pool_context",
    "resolve_jobs",
    "sigterm_as_interrupt",
    "usable_cores",
]

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_PARENT_POLL_SECONDS = 1.0
# Held while a worker starts: a child that got them before it became a worker
# would print a KeyboardInterrupt traceback; this process gets them just after.
_HELD = {signal.SIGINT, signal.SIGTERM}


def usable_cores() -> int:
    """The cores this process may run on: its affinity mask, where the OS has one."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int, units: int | None = None) -> int:
    """How many worker processes to start for ``jobs``; ``0`` means one per usable core.

    Never more than the usable cores, nor than ``units`` (the units of work,
    when the caller knows them): a worker more only costs memory, and a large
    ``jobs`` would otherwise start thousands of processes. Lowering a number
    the caller asked for is logged as one warning.
    """
    cores = usable_cores()
    wanted = jobs if jobs > 0 else cores
    cap = cores if units is None else max(1, min(cores, units))
    if wanted <= cap:
        return wanted
    if jobs > 0:
        limit = f"{cores} usable cores" if cap == cores else f"{cap} units of work"
        log.warning("jobs %d is more than the %s: starting %d worker processes", jobs, limit, cap)
    return cap


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def pool_context() -> BaseContext:
    """``fork`` on Linux when no other thread could hold a lock at fork time, else ``spawn``."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


@contextlib.contextmanager
def open_pool(jobs: int, context: BaseContext | None = None) -> Iterator[Executor | None]:
    """A process pool of ``jobs`` workers shared by several maps; ``None`` for one job.

    Forked workers start when the first task is submitted, so they see the
    parent's memory as it is then (``pipeline`` relies on that in pass 2).
    """
    if jobs <= 1:
        yield None
        return
    context = context or pool_context()
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_become_worker,
        initargs=(_parent_pid(context),),
    )
    try:
        yield pool
    except BaseException:
        # Ctrl-C, SIGTERM or an error: the workers' results are not wanted, and
        # waiting for their current tasks could take as long as the tasks.
        _abort_pool(pool)
        raise
    pool.shutdown()


def _abort_pool(pool: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop a running task before Python 3.14.
    procs: dict[int, BaseProcess] = dict(getattr(pool, "_processes", None) or {})
    for proc in procs.values():
        with contextlib.suppress(OSError):
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
    for proc in procs.values():
        proc.join()


def imap_bounded(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int,
    window: int | None = None,
    pool: Executor | None = None,
) -> Iterator[R]:
    """``map(fn, items)`` across ``jobs`` processes, results in input order.

    With ``jobs == 1`` (and no ``pool``) it runs in this process: no pickling,
    easy debugging. A ``pool`` from :func:`open_pool` is reused, not closed.
    """
    if pool is None:
        if isinstance(items, Sized):  # no more workers than items
            jobs = min(jobs, max(1, len(items)))
        if jobs <= 1:
            yield from map(fn, items)
            return
        with open_pool(jobs) as own:
            yield from imap_bounded(fn, items, jobs=jobs, window=window, pool=own)
        return
    window = window or 4 * max(jobs, 1)
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            with _signals_held():  # a submit may start a worker
                pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


WorkerState = dict[str, Any]
"""What one crew worker keeps between its tasks."""


class Crew:
    """Worker processes that keep what their tasks leave behind.

    A task is ``fn(state, arg)`` run by one worker, where ``state`` is that
    worker's own dict, kept between tasks: a later task sent to every worker
    (:meth:`each`) works on what the earlier ones kept, so that data never
    crosses a pipe. With one job the crew is this process and nothing is
    pickled. Use :func:`open_crew`.
    """

    def __init__(self, jobs: int, context: BaseContext | None = None) -> None:
        self._state: WorkerState = {}
        self._procs: list[BaseProcess] = []
        self._tasks: list[Connection] = []
        self._replies: list[Connection] = []
        self._queued: list[deque[int]] = []
        self._broken = False
        if jobs <= 1:
            return
        context = context or pool_context()
        parent = _parent_pid(context)
        for _ in range(jobs):
            task_in, task_out = context.Pipe(duplex=False)
            reply_in, reply_out = context.Pipe(duplex=False)
            proc = context.Process(  # type: ignore[attr-defined]
                target=_serve, args=(task_in, reply_out, parent), daemon=True
            )
            with _signals_held():
                proc.start()
            task_in.close()
            reply_out.close()
            self._procs.append(proc)
            self._tasks.append(task_out)
            self._replies.append(reply_in)
            self._queued.append(deque())

    @property
    def size(self) -> int:
        """How many workers; this process counts as one when there are none."""
        return max(1, len(self._procs))

    def imap(
        self,
        fn: Callable[[WorkerState, T], R],
        items: Iterable[T],
        *,
        depth: int = 2,
        window: int | None = None,
    ) -> Iterator[tuple[int, R]]:
        """``(worker, fn(state, item))`` for each item, in input order.

        A worker holds at most ``depth`` tasks and the next task goes to the
        worker that finishes first, so the workers end the stream together;
        at most ``window`` results wait for an earlier one to be yielded.
        """
        if not self._procs:
            for item in items:
                yield 0, fn(self._state, item)
            return
        self._check()
        window = window or 4 * len(self._procs)
        source = iter(items)
        done: dict[int, tuple[int, R]] = {}
        sent = given = 0
        exhausted = False

        def refill() -> None:
            nonlocal sent, exhausted
            while not exhausted and sent - given < window:
                w = min(range(len(self._procs)), key=lambda k: len(self._queued[k]))
                if len(self._queued[w]) >= depth:
                    return
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    return
                self._send(w, fn, item)
                self._queued[w].append(sent)
                sent += 1

        refill()
        while given < sent:
            while given not in done:
                busy = [self._replies[w] for w, q in enumerate(self._queued) if q]
                for conn in wait(busy):
                    w = self._replies.index(conn)  # type: ignore[arg-type]
                    seq, value = self._receive(w)
                    done[seq] = (w, value)
                refill()
            yield done.pop(given)
            given += 1
            refill()

    def each(
        self, fn: Callable[[WorkerState, T], R], tasks: Sequence[Iterable[T]]
    ) -> Iterator[tuple[int, T, R]]:
        """``(worker, arg, fn(state, arg))`` for each ``arg`` of ``tasks[worker]``, run on
        what that worker kept; as the results come, each worker's in order.

        ``tasks`` has one entry per worker (:attr:`size`); all are sent at once.
        """
        if len(tasks) != self.size:
            raise ValueError(f"{len(tasks)} task lists for {self.size} workers")
        if not self._procs:
            for arg in tasks[0]:
                yield 0, arg, fn(self._state, arg)
            return
        self._check()
        sent: list[deque[T]] = [deque() for _ in self._procs]
        for w, args in enumerate(tasks):
            for arg in args:
                self._send(w, fn, arg)
                self._queued[w].append(-1)
                sent[w].append(arg)
        while any(self._queued):
            busy = [self._replies[w] for w, q in enumerate(self._queued) if q]
            for conn in wait(busy):
                w = self._replies.index(conn)  # type: ignore[arg-type]
                yield w, sent[w].popleft(), self._receive(w)[1]

    def _check(self) -> None:
        if self._broken or any(self._queued):
            raise RuntimeError("the crew was left with unfinished tasks")

    def _send(self, w: int, fn: Callable[[WorkerState, T], R], arg: T) -> None:
        self._broken = True  # until the reply is in: a failure in between leaves it unusable
        self._tasks[w].send((fn, arg))

    def _receive(self, w: int) -> tuple[int, Any]:
        """Worker ``w``'s reply to its oldest task: ``(task number, result)``."""
        try:
            ok, value = self._replies[w].recv()
        except (EOFError, OSError) as exc:
            raise BrokenProcessPool(f"crew worker {w} died") from exc
        seq = self._queued[w].popleft()
        self._broken = any(self._queued)
        if not ok:
            raise value
        return seq, value

    def close(self, *, abort: bool = False) -> None:
        """Stop the workers: let them finish, or with ``abort``, terminate them."""
        # A worker whose replies nobody reads any more could block on them forever.
        abort = abort or any(self._queued)
        for proc, conn in zip(self._procs, self._tasks, strict=True):
            if abort:
                proc.terminate()
            else:
                with contextlib.suppress(OSError):
                    conn.send(None)
        for proc in self._procs:
            proc.join()
        for conn in (*self._tasks, *self._replies):
            conn.close()
        self._procs.clear()
        self._state.clear()


@contextlib.contextmanager
def open_crew(jobs: int, context: BaseContext | None = None) -> Iterator[Crew]:
    """A :class:`Crew` of ``jobs`` workers (none for one job), stopped on exit."""
    crew = Crew(jobs, context)
    try:
        yield crew
    except BaseException:
        crew.close(abort=True)
        raise
    crew.close()


_KEPT: list[WorkerState] = []


def _serve(tasks: Connection, replies: Connection, parent: int | None) -> None:
    """A crew worker: run each ``(fn, arg)`` on this worker's state, in order, until ``None``."""
    _become_worker(parent)
    # A reader thread takes tasks off the pipe as they come: the main process
    # then never blocks sending a task while this worker blocks sending a reply.
    inbox: queue.SimpleQueue[tuple[Callable[[WorkerState, Any], Any], Any] | None] = (
        queue.SimpleQueue()
    )
    threading.Thread(target=_pump, args=(tasks, inbox), daemon=True).start()
    state: WorkerState = {}
    # Referenced from here, the state outlives this function: the process exits
    # without freeing what it kept object by object, which its parent waits for.
    _KEPT.append(state)
    while (task := inbox.get()) is not None:
        fn, arg = task
        try:
            reply: tuple[bool, Any] = (True, fn(state, arg))
        except Exception as exc:  # the main process re-raises it
            reply = (False, exc)
        # What the state keeps lives until the end: the collector need not
        # walk it again after every task.
        gc.freeze()
        try:
            replies.send(reply)
        except Exception as exc:  # an unpicklable result or exception
            replies.send((False, RuntimeError(f"crew worker could not reply: {exc!r}")))


def _pump(tasks: Connection, inbox: queue.SimpleQueue[Any]) -> None:
    try:
        while (task := tasks.recv()) is not None:
            inbox.put(task)
    except (EOFError, OSError):  # the main process is gone
        pass
    inbox.put(None)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`KeyboardInterrupt` in the main thread.

    A scheduler's timeout or ``kill`` then ends the run as Ctrl-C does: the
    workers are stopped and no output is left half-written. The previous
    handler comes back on exit. Elsewhere than in the main thread (where
    Python cannot set handlers) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        # ``None``: a handler set outside Python, which cannot be put back.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM in this thread; a worker forked meanwhile starts with them held."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _parent_pid(context: BaseContext) -> int | None:
    """The pid a worker started by ``context`` sees as its parent: this one, unless a
    fork server starts it (``None``: the worker then watches the server)."""
    return os.getpid() if context.get_start_method() in ("fork", "spawn") else None


def _become_worker(parent: int | None) -> None:
    """Set up a worker process: quiet on Ctrl-C, stopped by SIGTERM, dead with its parent."""
    # The main process stops the workers on Ctrl-C; one that raised
    # KeyboardInterrupt itself would print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked worker inherits the parent's handlers (sigterm_as_interrupt's
    # among them); ``terminate`` must kill it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    watched = os.getppid() if parent is None else parent
    if not _die_with_parent():
        threading.Thread(
            target=_watch_parent, args=(watched,), name="watch-parent", daemon=True
        ).start()
    if os.getppid() != watched:  # the parent died before the worker could watch it
        os._exit(1)


def _die_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; ``False`` where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        done: int = libc.prctl(
            ctypes.c_int(_PR_SET_PDEATHSIG),
            ctypes.c_ulong(signal.SIGKILL),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
        )
    except (OSError, AttributeError):  # no C library to load, or no prctl in it
        return False
    return done == 0


def _watch_parent(parent: int) -> None:
    """Where no parent-death signal exists: exit once this process has another parent."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)
