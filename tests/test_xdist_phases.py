"""Under ``-n 2`` the phases keep their order and a blocking failure blocks later phases on every
worker, as in a serial run (pytest_deployready._xdist_phases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runner import DeployRunner

#: Each check writes "phase start end" (monotonic clock, shared by the workers' processes).
SUITE = """
import os, time
import pytest

def spent(phase, seconds):
    start = time.monotonic()
    time.sleep(seconds)
    with open(os.environ["TIMES"], "a") as out:
        out.write(f"{phase} {start} {time.monotonic()}\\n")

@pytest.mark.phase("pre")
def test_pre_slow():
    spent("pre", 1.5)

@pytest.mark.phase("pre")
@pytest.mark.parametrize("n", range(5))
def test_pre_fast(n):
    spent("pre", 0.05)

@pytest.mark.phase("deploy")
@pytest.mark.parametrize("n", range(3))
def test_deploy(n):
    spent("deploy", 0.3 if n == 0 else 0.05)

@pytest.mark.phase("post")
@pytest.mark.parametrize("n", range(6))
def test_post(n):
    spent("post", 0.05)
"""


def spans(path: Path) -> dict[str, list[tuple[float, float]]]:
    found: dict[str, list[tuple[float, float]]] = {}
    for line in path.read_text().splitlines():
        phase, start, end = line.split()
        found.setdefault(phase, []).append((float(start), float(end)))
    return found


def test_phases_run_one_after_the_other(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = pytester.path / "times.txt"
    monkeypatch.setenv("TIMES", str(times))
    result, rec = deploy_run("-n", "2", suite={"test_release": SUITE})
    assert rec["verdict"] == "GO", result.stdout.str()
    result.assert_outcomes(passed=15)
    done = spans(times)
    assert [len(done[p]) for p in ("pre", "deploy", "post")] == [6, 3, 6]
    # No check of a phase starts before every check of the earlier phases has ended, although
    # the other worker was idle while test_pre_slow ran.
    assert max(end for _, end in done["pre"]) <= min(start for start, _ in done["deploy"])
    assert max(end for _, end in done["deploy"]) <= min(start for start, _ in done["post"])


def test_a_blocking_failure_blocks_later_phases_on_every_worker(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIMES", str(pytester.path / "times.txt"))
    failing = SUITE.replace('    spent("pre", 0.05)', '    spent("pre", 0.05)\n    assert n != 3')
    result, rec = deploy_run("-n", "2", suite={"test_release": failing})
    outcomes = {c["id"].split("::")[-1]: c["outcome"] for c in rec["checks"]}
    assert outcomes["test_pre_fast[3]"] == "failed"
    later = {k: v for k, v in outcomes.items() if k.startswith(("test_deploy", "test_post"))}
    assert set(later.values()) == {"blocked"} and len(later) == 9
    blocked = next(c for c in rec["checks"] if c["id"].endswith("test_post[5]"))
    assert blocked["message"].startswith("blocked: phase 'pre' has blocking failures (")
    assert "test_pre_fast[3]" in blocked["message"]
    assert rec["verdict"] == "NO_GO" and result.ret == 1
    assert "deploy" not in spans(pytester.path / "times.txt")  # nothing of it ran


def test_continue_keeps_the_order_and_runs_everything(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = pytester.path / "times.txt"
    monkeypatch.setenv("TIMES", str(times))
    failing = SUITE.replace('    spent("pre", 0.05)', '    spent("pre", 0.05)\n    assert n != 3')
    result, rec = deploy_run("-n", "2", "--deploy-continue", suite={"test_release": failing})
    result.assert_outcomes(passed=14, failed=1)
    done = spans(times)
    assert max(end for _, end in done["pre"]) <= min(start for start, _ in done["deploy"])
    assert rec["verdict"] == "NO_GO"


@pytest.mark.parametrize(
    "source",
    [
        # fewer checks than workers in a phase, and a phase of one check between two others
        "import pytest\n"
        "@pytest.mark.phase('pre')\ndef test_a():\n    pass\n"
        "@pytest.mark.phase('deploy')\ndef test_b():\n    pass\n"
        "@pytest.mark.phase('post')\n@pytest.mark.parametrize('n', range(3))\n"
        "def test_c(n):\n    pass\n",
        # one phase only: plain load scheduling
        "import pytest\n"
        "@pytest.mark.phase('post')\n@pytest.mark.parametrize('n', range(7))\n"
        "def test_c(n):\n    pass\n",
    ],
    ids=["small-phases", "one-phase"],
)
def test_small_and_single_phase_runs_finish(deploy_run: DeployRunner, source: str) -> None:
    result, rec = deploy_run("-n", "2", suite={"test_release": source})
    assert rec["verdict"] == "GO" and rec["complete"] is True, result.stdout.str()
    assert all(c["outcome"] == "passed" for c in rec["checks"])


@pytest.mark.parametrize("args", [("--deploy-record=rec.json",), ()], ids=["opted-in", "plain"])
def test_shared_directory_is_removed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    pytester.makepyfile(
        "import pytest\n"
        "@pytest.mark.phase('pre')\ndef test_a():\n    pass\n"
        "@pytest.mark.phase('pre')\ndef test_b():\n    pass\n"
    )
    private = pytester.mkdir("tmp")  # this run's own temp dir: other runs come and go
    monkeypatch.setenv("TMPDIR", str(private))
    result = pytester.runpytest_subprocess("-n", "2", *args)
    result.assert_outcomes(passed=2)
    assert not list(private.glob("deployready-xdist-*"))
