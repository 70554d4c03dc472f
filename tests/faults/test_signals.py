"""Interrupted runs: real signals sent to a real pytest process at chosen points.

Every run starts over a previous run's complete GO record (JSON and HTML). The run under test
stops at a *gate*: the suite writes a byte to a FIFO this test reads (the event "I am here"),
then blocks reading a second FIFO until this test writes to it. The signal is sent while the
run is blocked there, so no sleep decides where it lands.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_deployready._record import SCHEMA_PATH
from pytest_deployready._run import PLACEHOLDER_REASON

PYTEST = (sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
WAIT_S = 60  # upper bound for every wait: a run reaches its gate in a second or two

GATE = """
import os

def gate():
    fd = os.open(os.environ["DR_READY"], os.O_WRONLY)
    os.write(fd, b"x")
    os.close(fd)
    with open(os.environ["DR_HOLD"], "rb") as hold:
        hold.read(1)  # blocks until released (or a signal)
"""

#: the suite, with the gate at one point of the run
SUITES = {
    "collection": """
import pytest
from gate import gate
gate()
pytestmark = pytest.mark.phase("pre")
def test_first():
    pass
""",
    "check": """
import pytest
from gate import gate
pytestmark = pytest.mark.phase("pre")
def test_first():
    pass
def test_gated():
    gate()
def test_never_runs():
    pass
""",
    "teardown": """
import pytest
from gate import gate
pytestmark = pytest.mark.phase("pre")
@pytest.fixture
def resource():
    yield
    gate()
def test_first():
    pass
def test_gated(resource):
    pass
def test_never_runs():
    pass
""",
}

PREVIOUS = {
    "schema": "deployready.record/1",
    "verdict": "GO",
    "complete": True,
    "started_at": "2026-01-01T00:00:00+00:00",
}


PREVIOUS_HTML = (
    "<p>Verdict: GO (previous run)</p>"
    "<table><tr><th>Schema</th><td>deployready.record/1</td></tr></table>"
)


@dataclass
class Run:
    """A pytest run in a subprocess of its own, with its gate FIFOs and output files."""

    proc: subprocess.Popen[bytes]
    path: Path
    ready_fd: int
    hold_fd: int  # read and write end: the gate's open never blocks, its read does

    def wait_gate(self) -> None:
        """Block until the run reached its gate (the byte arrives), within WAIT_S."""
        readable, _, _ = select.select([self.ready_fd], [], [], WAIT_S)
        assert readable, f"the run never reached its gate\n{self.output()}"
        assert os.read(self.ready_fd, 1) == b"x", self.output()

    def release(self) -> None:
        """Let the runs at the gate go on: a token each, kept until a gate reads it."""
        os.write(self.hold_fd, b"go" * 4)

    def finish(self) -> int:
        return self.proc.wait(timeout=WAIT_S)

    def output(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        return (self.path / "out.txt").read_text() + (self.path / "err.txt").read_text()

    def record(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "rec.json").read_text())
        jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
        return data

    def html(self) -> str:
        return (self.path / "rec.html").read_text()


@pytest.fixture
def start(pytester: pytest.Pytester) -> Iterator[Any]:
    """Start a deployment run of ``suite`` over a previous GO record; kill it at the end."""
    runs: list[Run] = []

    def _start(suite: str, *args: str) -> Run:
        pytester.makepyfile(gate=GATE, test_suite=suite)
        (pytester.path / "rec.json").write_text(json.dumps(PREVIOUS))
        (pytester.path / "rec.html").write_text(PREVIOUS_HTML)
        ready, hold = pytester.path / "ready.fifo", pytester.path / "hold.fifo"
        for fifo in (ready, hold):
            os.mkfifo(fifo)
        ready_fd = os.open(ready, os.O_RDONLY | os.O_NONBLOCK)
        hold_fd = os.open(hold, os.O_RDWR)
        env = {**os.environ, "DR_READY": str(ready), "DR_HOLD": str(hold)}
        env.pop("PYTEST_ADDOPTS", None)
        with (
            (pytester.path / "out.txt").open("wb") as out,
            (pytester.path / "err.txt").open("wb") as err,
        ):
            proc = subprocess.Popen(
                [*PYTEST, "--deploy-record=rec.json", "--deploy-html=rec.html", *args],
                cwd=pytester.path,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        run = Run(proc, pytester.path, ready_fd, hold_fd)
        runs.append(run)
        return run

    yield _start
    for run in runs:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait(timeout=WAIT_S)
        os.close(run.ready_fd)
        os.close(run.hold_fd)


def _stray_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if ".deployready-tmp-" in p.name)


def assert_interrupted(run: Run, code: int, name: str) -> dict[str, Any]:
    """Exit 2, a NO_GO record with complete false naming the signal, HTML of the same run."""
    output = run.output()
    assert code == 2, output
    rec = run.record()
    assert rec["complete"] is False, output
    assert rec["verdict"] == "NO_GO"
    assert rec["exit_code"] == 2
    assert rec["verdict_reasons"][0] == f"the run was interrupted by {name}"
    assert "the run did not complete" in rec["verdict_reasons"]
    assert rec["started_at"] != PREVIOUS["started_at"]
    html = run.html()
    assert "previous run" not in html and "incomplete run" in html
    assert f"the run was interrupted by {name}" in html
    assert rec["started_at"] in html  # the same run as the JSON record
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert _stray_files(run.path) == []
    return rec


@pytest.mark.parametrize("point", list(SUITES))
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_signal_serial_writes_incomplete_record(
    start: Any, point: str, signum: signal.Signals
) -> None:
    run = start(SUITES[point])
    run.wait_gate()
    run.proc.send_signal(signum)
    rec = assert_interrupted(run, run.finish(), signum.name)
    outcomes = {c["id"].split("::")[-1]: c["outcome"] for c in rec["checks"]}
    if point == "collection":
        assert outcomes == {}  # nothing ran
    else:
        assert outcomes == {"test_first": "passed", "test_gated": "error"}


@pytest.mark.parametrize("point", list(SUITES))
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_signal_to_xdist_controller_writes_incomplete_record(
    start: Any, point: str, signum: signal.Signals
) -> None:
    run = start(SUITES[point], "-n", "2")
    run.wait_gate()
    run.proc.send_signal(signum)  # the controller only, as a CI runner's kill would
    run.release()  # the worker's check goes on; the controller has already been interrupted
    assert_interrupted(run, run.finish(), signum.name)


def test_sigterm_to_the_whole_process_group_under_xdist(start: Any) -> None:
    """A runner that signals the job's process group reaches the workers too."""
    run = start(SUITES["check"], "-n", "2")
    run.wait_gate()
    os.killpg(run.proc.pid, signal.SIGTERM)
    assert_interrupted(run, run.finish(), "SIGTERM")


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_signal_while_the_record_is_written(
    start: Any, pytester: pytest.Pytester, signum: signal.Signals
) -> None:
    """The record of a finished run is written first; JSON and HTML are of that run."""
    pytester.makeconftest(
        """
        from gate import gate
        def pytest_deployready_record(record, config):
            gate()
        """
    )
    run = start("import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    run.wait_gate()
    run.proc.send_signal(signum)
    run.release()
    code = run.finish()
    output = run.output()
    assert code == 0, output
    rec = run.record()
    assert rec["verdict"] == "GO" and rec["complete"] is True
    assert rec["started_at"] in run.html() and "previous run" not in run.html()
    assert f"{signum.name} arrived while the record was written" in output
    assert "Traceback" not in output
    assert _stray_files(run.path) == []


@pytest.mark.parametrize("point", ["collection", "check"])
@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_sigkill_leaves_the_placeholder_not_the_previous_go(
    start: Any, args: tuple[str, ...], point: str
) -> None:
    """No handler runs on SIGKILL: the record written at session start stays."""
    run = start(SUITES[point], *args)
    run.wait_gate()
    os.killpg(run.proc.pid, signal.SIGKILL)
    assert run.finish() == -signal.SIGKILL
    rec = run.record()
    assert rec["complete"] is False and rec["verdict"] == "NO_GO"
    assert rec["verdict_reasons"] == [PLACEHOLDER_REASON]
    assert rec["finished_at"] is None and rec["checks"] == []
    html = run.html()
    assert "previous run" not in html and PLACEHOLDER_REASON in html
    assert rec["started_at"] in html
    assert _stray_files(run.path) == []


def test_next_run_removes_stale_temp_files_of_a_killed_run(pytester: pytest.Pytester) -> None:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait(timeout=WAIT_S)
    stale = pytester.path / f".rec.json.deployready-tmp-{done.pid}"  # its process is gone
    stale.write_text('{"verdict": "GO"}')
    live = pytester.path / f".rec.json.deployready-tmp-{os.getpid()}"  # a concurrent run
    live.write_text("x")
    other = pytester.path / f".other.json.deployready-tmp-{done.pid}"  # not our output
    other.write_text("x")
    pytester.makepyfile("import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    result = pytester.runpytest_subprocess("--deploy-record=rec.json")
    assert result.ret == 0
    assert not stale.exists()
    assert live.exists()  # a run that still runs keeps its temporary file
    assert other.exists()  # another output's temp files are not ours to remove


def test_unrelated_suite_keeps_default_signal_handling(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal
        def test_handlers():
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_handlers_installed_for_the_run_and_restored(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import signal
        import pytest
        @pytest.mark.phase("pre")
        def test_handlers():
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN  # nohup's choice stays
        """
    )
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    previous_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        pytester.runpytest("--deploy-record=rec.json").assert_outcomes(passed=1)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous_hup)
    assert {s: signal.getsignal(s) for s in before} == before


def test_markers_alone_install_the_handlers(pytester: pytest.Pytester) -> None:
    """A run that its markers made a deployment run (no option) handles SIGTERM too."""
    pytester.makepyfile(
        """
        import signal
        import pytest
        @pytest.mark.phase("pre")
        def test_handlers():
            assert signal.getsignal(signal.SIGTERM) != signal.SIG_DFL
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
