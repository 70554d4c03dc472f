"""Severity, outcomes and the verdict: unit rules and end-to-end exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_deployready._verdict import EXIT_CODES, CheckSummary, Outcome, Verdict, decide
from tests.runner import DeployRunner


def s(
    outcome: Outcome, severity: str = "major", phase: str = "pre", rb: bool = False
) -> CheckSummary:
    return CheckSummary(phase, severity, outcome, rb, f"{phase}-{severity}-{outcome}")


@pytest.mark.parametrize(
    ("checks", "verdict"),
    [
        ([s(Outcome.PASSED)], Verdict.GO),
        ([s(Outcome.PASSED), s(Outcome.FAILED, "minor")], Verdict.GO_WITH_WARNINGS),
        ([s(Outcome.PASSED), s(Outcome.ERROR, "minor")], Verdict.GO_WITH_WARNINGS),
        ([s(Outcome.PASSED), s(Outcome.SKIPPED)], Verdict.GO_WITH_WARNINGS),
        ([s(Outcome.PASSED), s(Outcome.FAILED, "major")], Verdict.NO_GO),
        ([s(Outcome.PASSED), s(Outcome.ERROR, "critical")], Verdict.NO_GO),
        ([s(Outcome.PASSED), s(Outcome.PENDING, "critical")], Verdict.NO_GO),
        ([s(Outcome.PASSED), s(Outcome.PENDING, "minor")], Verdict.GO_WITH_WARNINGS),
        ([s(Outcome.PASSED), s(Outcome.WAIVED, "critical")], Verdict.GO_WITH_WARNINGS),
        ([s(Outcome.FAILED, "minor", rb=True), s(Outcome.FAILED, "critical")], Verdict.ROLLBACK),
        ([s(Outcome.PASSED, rb=True)], Verdict.GO),
        ([s(Outcome.SKIPPED)], Verdict.NO_GO),  # nothing executed in the selected phase
        ([], Verdict.NO_GO),
    ],
)
def test_decide(checks: list[CheckSummary], verdict: Verdict) -> None:
    assert decide(checks, ["pre"]).verdict is verdict


def test_selected_phase_without_executed_check_is_no_go() -> None:
    decision = decide([s(Outcome.PASSED, phase="pre")], ["pre", "post"])
    assert decision.verdict is Verdict.NO_GO
    assert decision.reasons == ["no check was executed in phase(s): post"]


def test_incomplete_run_is_never_go() -> None:
    assert decide([s(Outcome.PASSED)], ["pre"], complete=False).verdict is Verdict.NO_GO


def test_exit_codes_are_distinct_for_rollback() -> None:
    assert EXIT_CODES[Verdict.GO] == EXIT_CODES[Verdict.GO_WITH_WARNINGS] == 0
    assert EXIT_CODES[Verdict.NO_GO] != 0
    assert EXIT_CODES[Verdict.ROLLBACK] not in (0, 1, 2, 3, 4, 5, EXIT_CODES[Verdict.NO_GO])


def test_go_exit_0_and_last_line(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        "--deploy-phase=pre",
        suite="import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n",
    )
    assert result.ret == 0 and rec["verdict"] == "GO" and rec["exit_code"] == 0
    last = result.stdout.lines[-1]
    assert last.startswith("deployready verdict: GO — record: ")
    assert last.endswith("rec.json")


def test_minor_failures_exit_0_with_warnings(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        suite="""
        import pytest
        pytestmark = pytest.mark.phase("pre")
        def test_a():
            pass
        @pytest.mark.severity("minor")
        def test_b():
            assert False
        """,
    )
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 0
    assert rec["verdict"] == "GO_WITH_WARNINGS"
    result.stdout.fnmatch_lines(["WARNING  *test_b [[]pre, minor[]]*"])
    assert result.stdout.lines[-1].startswith("deployready verdict: GO_WITH_WARNINGS")


def test_default_severity_from_config(pytester: pytest.Pytester, deploy_run: DeployRunner) -> None:
    pytester.makefile(".toml", deployready='default_severity = "minor"\n')
    result, rec = deploy_run(
        suite="import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    assert False\n"
        "@pytest.mark.phase('pre')\ndef test_b():\n    pass\n",
    )
    assert rec["checks"][0]["severity"] == "minor"
    assert rec["verdict"] == "GO_WITH_WARNINGS" and result.ret == 0


def test_major_failure_is_no_go_exit_1(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        suite="import pytest\n@pytest.mark.phase('pre')\n"
        "def test_a():\n    assert False, 'index missing'\n",
    )
    assert result.ret == 1 and rec["verdict"] == "NO_GO"
    assert rec["checks"][0]["blocking"] is True
    assert rec["checks"][0]["message"].startswith("AssertionError: index missing")
    result.stdout.fnmatch_lines(["BLOCKING *test_a [[]pre, major[]]*index missing*"])


def test_setup_error_is_error_outcome(deploy_run: DeployRunner) -> None:
    _, rec = deploy_run(
        suite="""
        import pytest
        @pytest.fixture
        def broken():
            raise RuntimeError("cannot connect")
        @pytest.mark.phase("pre")
        def test_a(broken):
            pass
        """,
    )
    assert rec["checks"][0]["outcome"] == "error"
    assert "cannot connect" in rec["checks"][0]["message"]
    assert rec["verdict"] == "NO_GO"


def test_rollback_trigger_exit_code(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        suite="""
        import pytest
        @pytest.mark.phase("post")
        @pytest.mark.rollback_trigger("error rate above 5 %")
        @pytest.mark.severity("minor")
        def test_error_rate():
            assert 0.07 < 0.05
        @pytest.mark.phase("post")
        def test_ok():
            pass
        """,
    )
    assert rec["verdict"] == "ROLLBACK"
    assert result.ret == EXIT_CODES[Verdict.ROLLBACK]
    assert rec["checks"][0]["rollback_trigger"] is True
    assert result.stdout.lines[-1].startswith("deployready verdict: ROLLBACK")


def test_selected_phase_with_only_skips_is_no_go(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        "--deploy-phase=pre,post",
        suite="""
        import pytest
        @pytest.mark.phase("pre")
        def test_a():
            pass
        @pytest.mark.phase("post")
        def test_b():
            pytest.skip("not yet deployed")
        """,
    )
    assert rec["verdict"] == "NO_GO" and result.ret == 1
    assert "no check was executed in phase(s): post" in rec["verdict_reasons"]


def test_selected_phase_with_no_checks_is_no_go(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        "--deploy-phase=post",
        suite="import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n",
    )
    assert rec["verdict"] == "NO_GO" and result.ret == 1
    assert rec["checks"] == []


def test_xfail_and_skip_outcomes(deploy_run: DeployRunner) -> None:
    _, rec = deploy_run(
        suite="""
        import pytest
        pytestmark = pytest.mark.phase("pre")
        def test_pass():
            pass
        @pytest.mark.skip(reason="no staging replica")
        def test_skip():
            pass
        @pytest.mark.xfail(reason="known issue")
        def test_xfail():
            assert False
        """,
    )
    by = {c["id"].split("::")[-1]: c for c in rec["checks"]}
    assert by["test_skip"]["outcome"] == "skipped"
    assert by["test_skip"]["message"] == "no staging replica"
    assert by["test_xfail"]["outcome"] == "skipped"
    assert "known issue" in by["test_xfail"]["message"]
    assert rec["verdict"] == "GO_WITH_WARNINGS"


def test_verdict_under_xdist(deploy_run: DeployRunner) -> None:
    source = "import pytest\npytestmark = pytest.mark.phase('pre')\n" + "".join(
        f"def test_{i}():\n    assert {i} != 7\n" for i in range(12)
    )
    result, rec = deploy_run("-n", "2", suite=source)
    assert rec["verdict"] == "NO_GO" and result.ret == 1
    assert len(rec["checks"]) == 12
    assert [c["outcome"] for c in rec["checks"]].count("failed") == 1


def test_collect_only_gives_no_verdict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    result = pytester.runpytest_subprocess("--collect-only", "--deploy-record=rec.json")
    assert result.ret == 0
    assert "deployready verdict" not in result.stdout.str()
    assert "deployment readiness" not in result.stdout.str()
    assert not Path(pytester.path, "rec.json").exists()


# -- what counts as "ran" ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("checks", "verdict"),
    [
        ([s(Outcome.SKIPPED), s(Outcome.BLOCKED, phase="post")], Verdict.NO_GO),
        ([CheckSummary(None, "major", Outcome.SKIPPED)], Verdict.NO_GO),  # unphased
        ([CheckSummary("pre", "major", Outcome.WAIVED, ran=False)], Verdict.NO_GO),
        ([CheckSummary("pre", "major", Outcome.WAIVED, ran=True)], Verdict.GO_WITH_WARNINGS),
        ([s(Outcome.PENDING, "minor"), s(Outcome.SKIPPED)], Verdict.NO_GO),
        ([s(Outcome.PASSED), s(Outcome.SKIPPED)], Verdict.GO_WITH_WARNINGS),
    ],
)
def test_nothing_ran_is_no_go(checks: list[CheckSummary], verdict: Verdict) -> None:
    decision = decide(checks, [])
    assert decision.verdict is verdict
    if verdict is Verdict.NO_GO:
        assert decision.reasons[-1].startswith("nothing ran: no check was executed (")


# -- reports without our annotation (an xdist worker crashed) ------------------------------


def report(nodeid: str, outcome: str, when: str, info: dict[str, Any] | None) -> pytest.TestReport:
    longrepr = f"worker 'gw0' crashed while running {nodeid!r}" if outcome == "failed" else None
    rep = pytest.TestReport(nodeid, (nodeid, None, nodeid), {}, outcome, longrepr, when)  # type: ignore[arg-type]
    if info is not None:
        rep.deployready = info  # type: ignore[attr-defined]
    return rep


INFO = {"phase": "pre", "phases": ["pre"], "severity": "minor", "rollback_trigger": True}


def test_an_unannotated_failure_of_a_known_check_is_an_error() -> None:
    from pytest_deployready._record import CheckResults

    results = CheckResults()
    results.add_report(report("t.py::a", "passed", "setup", INFO))
    check = results.add_report(report("t.py::a", "failed", "???", None))
    assert check is not None
    assert (check.outcome, check.severity, check.rollback_trigger) == (Outcome.ERROR, "minor", True)
    assert check.message.startswith("worker 'gw0' crashed") and check.ran and check.finished


def test_an_unannotated_report_never_counts_as_passed() -> None:
    from pytest_deployready._record import CheckResults

    results = CheckResults()
    assert results.add_report(report("t.py::a", "passed", "call", None), ours=True) is None
    assert results.add_report(report("t.py::b", "failed", "???", None)) is None  # kept aside
    assert len(results) == 0
    results.unknown_check = lambda nodeid: {"phase": "post", "severity": "critical"}
    (adopted,) = results.adopt_unannotated()
    assert (adopted.id, adopted.outcome, adopted.phase) == ("t.py::b", Outcome.ERROR, "post")
    assert adopted.severity == "critical"
    fresh = results.add_report(report("t.py::c", "failed", "???", None), ours=True)
    assert fresh is not None and fresh.outcome is Outcome.ERROR


def test_a_check_without_teardown_is_an_error() -> None:
    from pytest_deployready._record import CheckResults

    results = CheckResults()
    results.add_report(report("t.py::a", "passed", "setup", INFO))
    results.add_report(report("t.py::a", "passed", "call", INFO))
    results.mark_unfinished("the check never finished")
    (check,) = results
    assert (check.outcome, check.message) == (Outcome.ERROR, "the check never finished")


def test_a_failed_attempt_that_is_rerun_does_not_finish_its_check() -> None:
    """A teardown that failed and is rerun (outcome "rerun") starts another attempt: if that
    one is cut off, the check never finished and is an error, not a pass."""
    from pytest_deployready._record import CheckResults

    results = CheckResults()
    results.add_report(report("t.py::a", "passed", "setup", INFO))
    results.add_report(report("t.py::a", "passed", "call", INFO))
    results.add_report(report("t.py::a", "rerun", "teardown", INFO))
    results.add_report(report("t.py::a", "passed", "setup", INFO))  # the rerun, interrupted
    results.mark_unfinished("the check never finished")
    (check,) = results
    assert (check.outcome, check.reruns, check.finished) == (Outcome.ERROR, 1, False)


#: pytest-rerunfailures' protocol, reduced: an attempt's first failed report is logged as
#: "rerun" (the rest of that attempt is not logged) and the check runs again, once.
_RERUN_CONFTEST = """
import pytest
from _pytest.runner import runtestprotocol

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for attempt in (1, 2):
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        for report in reports:
            if attempt == 1 and report.failed:
                report.outcome = "rerun"
                item.ihook.pytest_runtest_logreport(report=report)
                item._initrequest()
                break
            item.ihook.pytest_runtest_logreport(report=report)
        else:
            break
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
"""


def test_a_rerun_check_is_recorded_from_its_last_attempt(deploy_run: DeployRunner) -> None:
    """A check rerun after a failure (pytest-rerunfailures) counts as its last attempt: its
    outcome, measurements and evidence, none left over from the attempt before; the record,
    the page and the terminal say that it needed a rerun."""
    suite = """
        import pytest
        ATTEMPTS = {"flaky": 0, "broken": 0}

        @pytest.mark.phase("pre")
        def test_flaky(thresholds, evidence):
            ATTEMPTS["flaky"] += 1
            evidence.add("attempt", ATTEMPTS["flaky"])
            thresholds.check("lat_ms", 150 if ATTEMPTS["flaky"] == 1 else 50)

        @pytest.mark.phase("pre")
        def test_broken(thresholds, evidence):
            ATTEMPTS["broken"] += 1
            evidence.add("attempt", ATTEMPTS["broken"])
            thresholds.check("lat_ms", 150)
        """
    config = '[thresholds]\nlat_ms = "< 100"\n'
    with_broken, rec = deploy_run(
        config=config, suite={"conftest": _RERUN_CONFTEST, "test_checks": suite}
    )
    checks = {c["id"].rsplit("::", 1)[1]: c for c in rec["checks"]}
    flaky, broken = checks["test_flaky"], checks["test_broken"]
    assert flaky["outcome"] == "passed" and flaky["evidence"] == {"attempt": 2}
    assert [(t["measured"], t["passed"]) for t in flaky["thresholds"]] == [(50.0, True)]
    assert broken["outcome"] == "failed" and broken["evidence"] == {"attempt": 2}
    assert [(t["measured"], t["passed"]) for t in broken["thresholds"]] == [(150.0, False)]
    assert flaky["reruns"] == broken["reruns"] == 1  # the record says a rerun was needed
    assert with_broken.ret == 1 and rec["verdict"] == "NO_GO" and rec["complete"] is True
    flaky_only, rec = deploy_run("-k", "flaky", "--deploy-html=page.html")
    assert flaky_only.ret == 0 and rec["verdict"] == "GO"
    assert [(c["outcome"], c["reruns"]) for c in rec["checks"]] == [("passed", 1)]
    flaky_only.stdout.fnmatch_lines(
        ["RERUN * test_checks.py::test_flaky [[]pre, major[]]: passed on a rerun, after 1 failed*"]
    )
    page = Path(deploy_run.pytester.path, "page.html").read_text(encoding="utf-8")
    assert "rerun after 1 failed attempt; the last attempt counts" in page
    _, rec = deploy_run(suite="import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    plain = [c for c in rec["checks"] if c["id"].endswith("::test_a")]
    assert len(plain) == 1 and "reruns" not in plain[0]  # not rerun: no count at all


def test_a_check_whose_setup_fails_before_ours_is_an_error_with_its_data(
    deploy_run: DeployRunner,
) -> None:
    """Another plugin's setup hook fails before the check's state was made: its reports still
    carry the check's phase and severity, so the failure is a blocking error, never a pass."""
    conftest = """
        import pytest
        from pytest_deployready._run import RUN_KEY

        @pytest.hookimpl(tryfirst=True)  # registered after the plugin: runs before its hook
        def pytest_runtest_setup(item):
            if item.name == "test_cut_off":
                started = item.config.stash[RUN_KEY].current_check is item
                raise RuntimeError(f"setup hook failed (check started: {started})")
        """
    suite = """
        import pytest

        @pytest.mark.phase("pre")
        @pytest.mark.severity("critical")
        def test_cut_off():
            '''Orders table is reachable'''

        @pytest.mark.phase("pre")
        def test_fine():
            pass
        """
    result, rec = deploy_run(suite={"conftest": conftest, "test_checks": suite})
    checks = {c["id"].rsplit("::", 1)[1]: c for c in rec["checks"]}
    cut = checks["test_cut_off"]
    assert (cut["outcome"], cut["phase"], cut["severity"]) == ("error", "pre", "critical")
    assert cut["title"] == "Orders table is reachable" and cut["blocking"] is True
    assert "setup hook failed (check started: False)" in cut["message"]
    assert checks["test_fine"]["outcome"] == "passed"
    assert result.ret != 0 and rec["verdict"] == "NO_GO" and rec["complete"] is True
