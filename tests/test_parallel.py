"""Worker processes: how many start, and that none outlives the run (SIGKILL, SIGTERM, Ctrl-C)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsingest import _parallel, pipeline
from newsingest._parallel import imap_bounded, resolve_jobs, sigterm_as_interrupt, usable_cores
from newsingest.config import DedupConfig
from tests.factories import article_text, story, write

# Generous bounds for a loaded machine: they only stop a broken test from hanging.
DEADLINE = 60.0

# A run whose workers report their pid on stdout and then wait: the one given
# "hang" inside its task, the one given "quick" idle between tasks.
SCRIPT = """
import os, sys, time
import multiprocessing
from newsingest import _parallel

if os.environ.get("TEST_NO_PDEATHSIG"):  # module level: a spawned worker runs it too
    _parallel._die_with_parent = lambda: False


def report(item):
    os.write(1, f"worker {os.getpid()}\\n".encode())  # one write: the workers share the pipe
    if item == "hang":
        time.sleep(600)
    return item


def report_kept(state, item):
    return report(item)


def run(kind, method):
    context = multiprocessing.get_context(method)
    items = ["hang", "quick"]
    if kind == "crew":
        with _parallel.open_crew(2, context) as crew:
            for _ in crew.imap(report_kept, items, depth=1):
                pass
    else:
        with _parallel.open_pool(2, context) as pool:
            for _ in _parallel.imap_bounded(report, items, jobs=2, pool=pool):
                pass


if __name__ == "__main__":
    kind, method, sigterm = sys.argv[1:]
    try:
        if sigterm == "yes":
            with _parallel.sigterm_as_interrupt():
                run(kind, method)
        else:
            run(kind, method)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
"""


def _started(pid: int) -> str | None:
    """The start time of process ``pid`` (to tell it from a later one with its pid), or
    ``None`` once it has exited (a zombie waiting for its new parent counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return None if fields[0] in "ZX" else fields[19]


class Run:
    """The script above in its own process group, and its two workers."""

    def __init__(self, folder: Path, kind: str, method: str, *, sigterm: bool, pdeathsig: bool):
        script = folder / "run.py"
        script.write_text(textwrap.dedent(SCRIPT))
        env = dict(os.environ)
        if not pdeathsig:
            env["TEST_NO_PDEATHSIG"] = "1"
        self.stderr = folder / "stderr.txt"
        with self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(script), kind, method, "yes" if sigterm else "no"],
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
                start_new_session=True,
            )
        self.workers: dict[int, str] = {}

    def wait_ready(self) -> None:
        """Until both workers have reported (they are set up, and busy or idle)."""
        assert self.proc.stdout is not None
        while len(self.workers) < 2:
            line = self.proc.stdout.readline().decode()
            assert line.startswith("worker "), (line, self.stderr.read_text())
            pid = int(line.split()[1])
            started = _started(pid)
            assert started is not None
            self.workers[pid] = started

    def alive(self) -> list[int]:
        return [pid for pid, started in self.workers.items() if _started(pid) == started]

    def wait_workers_gone(self) -> list[int]:
        deadline = time.monotonic() + DEADLINE
        while (alive := self.alive()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return alive

    def finish(self) -> int:
        return self.proc.wait(timeout=DEADLINE)

    def clean_up(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        for pid in self.alive():
            os.kill(pid, signal.SIGKILL)
        # Workers that never reported stay in the run's process group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


Start = Callable[..., Run]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Start a run and wait for its workers; every run is killed at the end, workers too."""
    runs: list[Run] = []

    def started(kind: str, method: str, *, sigterm: bool, pdeathsig: bool) -> Run:
        run = Run(tmp_path, kind, method, sigterm=sigterm, pdeathsig=pdeathsig)
        runs.append(run)
        run.wait_ready()
        return run

    yield started
    for run in runs:
        run.clean_up()


needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
KINDS = [
    ("crew", "fork", True),
    ("crew", "spawn", True),
    ("pool", "fork", True),
    ("pool", "spawn", True),
    # The portable fallback: a thread in the worker watches its parent.
    ("crew", "fork", False),
    ("pool", "spawn", False),
]


@needs_proc
@pytest.mark.parametrize(("kind", "method", "pdeathsig"), KINDS)
def test_workers_die_with_a_killed_parent(
    start: Start, kind: str, method: str, pdeathsig: bool
) -> None:
    run = start(kind, method, sigterm=False, pdeathsig=pdeathsig)
    run.proc.send_signal(signal.SIGKILL)
    assert run.finish() == -signal.SIGKILL
    assert run.wait_workers_gone() == []


@needs_proc
@pytest.mark.parametrize("kind", ["crew", "pool"])
def test_sigterm_ends_the_run_like_ctrl_c(start: Start, kind: str) -> None:
    run = start(kind, "fork", sigterm=True, pdeathsig=True)
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 130
    assert run.alive() == []  # stopped by the run itself, before it exited
    err = run.stderr.read_text()
    assert "interrupted" in err
    assert "Traceback" not in err


@needs_proc
@pytest.mark.parametrize(
    ("kind", "method"), [("crew", "fork"), ("pool", "fork"), ("crew", "spawn")]
)
def test_ctrl_c_prints_no_worker_traceback(start: Start, kind: str, method: str) -> None:
    run = start(kind, method, sigterm=False, pdeathsig=True)
    os.killpg(run.proc.pid, signal.SIGINT)  # what a terminal does: the whole group
    assert run.finish() == 130
    assert run.wait_workers_gone() == []
    err = run.stderr.read_text()
    assert "Traceback" not in err, err
    assert "interrupted" in err


class PreviousHandlerError(Exception):
    pass


def _previous_handler(signum: int, frame: object) -> None:
    raise PreviousHandlerError


def _terminate_me() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(DEADLINE)  # the signal ends it


def test_sigterm_as_interrupt_raises_and_restores() -> None:
    # A handler of the test's own: without the fix SIGTERM reaches it, not the test runner.
    original = signal.signal(signal.SIGTERM, _previous_handler)
    try:
        with sigterm_as_interrupt(), pytest.raises(KeyboardInterrupt):
            _terminate_me()
        assert signal.getsignal(signal.SIGTERM) is _previous_handler
        with pytest.raises(PreviousHandlerError):
            _terminate_me()
    finally:
        signal.signal(signal.SIGTERM, original)


@pytest.fixture
def four_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_parallel, "usable_cores", lambda: 4)


@pytest.mark.usefixtures("four_cores")
def test_jobs_are_capped_at_the_cores_and_the_units(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="newsingest")
    assert resolve_jobs(0) == 4
    assert resolve_jobs(3) == 3
    assert resolve_jobs(0, units=2) == 2
    assert resolve_jobs(4, units=9) == 4
    assert not caplog.records  # nothing was lowered that the caller asked for
    assert resolve_jobs(100_000) == 4
    assert resolve_jobs(3, units=2) == 2
    assert resolve_jobs(3, units=0) == 1
    assert [r.getMessage() for r in caplog.records] == [
        "jobs 100000 is more than the 4 usable cores: starting 4 worker processes",
        "jobs 3 is more than the 2 units of work: starting 2 worker processes",
        "jobs 3 is more than the 1 units of work: starting 1 worker processes",
    ]


def test_usable_cores_is_this_process_affinity() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == expected


@pytest.mark.usefixtures("four_cores")
def test_dedup_starts_no_more_workers_than_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for seed in range(3):
        write(tmp_path / f"s{seed}.txt", article_text(*story(seed)))
    started: list[int] = []

    class Counted(_parallel.Crew):
        def __init__(self, jobs: int, *args: object) -> None:
            started.append(jobs)
            super().__init__(jobs, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(_parallel, "Crew", Counted)
    caplog.set_level(logging.WARNING, logger="newsingest")
    result = pipeline.dedup([tmp_path], DedupConfig(jobs=100_000))
    assert started == [4]
    assert len([r for r in caplog.records if "usable cores" in r.getMessage()]) == 1
    assert result == pipeline.dedup([tmp_path], DedupConfig(jobs=1))


def test_a_known_number_of_items_caps_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[int] = []
    real = _parallel.open_pool

    def spy(jobs: int, context: object = None) -> object:
        opened.append(jobs)
        return real(jobs)

    monkeypatch.setattr(_parallel, "open_pool", spy)
    assert list(imap_bounded(abs, [-1, -2], jobs=8)) == [1, 2]
    assert list(imap_bounded(abs, [-3], jobs=8)) == [3]
    assert opened == [2]  # one item runs here, with no pool at all
