"""Phases: markers at every level, selection, deselection counts, order, blocked, usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SUITE = """
import pytest

order = []

@pytest.mark.phase("post")
def test_post_check():
    order.append("post")

@pytest.mark.phase("pre")
def test_pre_check():
    order.append("pre")

@pytest.mark.phase("deploy")
def test_deploy_check():
    order.append("deploy")

def test_unmarked():
    pass

@pytest.mark.phase("rollback")
def test_rollback_check():
    pass

@pytest.mark.phase("post")
def test_zz_order_seen():
    assert order == ["pre", "deploy", "post"], order
"""


def record(pytester: pytest.Pytester, name: str = "rec.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(pytester.path, name).read_text())
    return data


def outcomes(rec: dict[str, Any]) -> dict[str, str]:
    return {c["id"].split("::")[-1]: c["outcome"] for c in rec["checks"]}


def test_select_one_phase_deselects_others_and_unmarked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--deploy-phase=pre", "--deploy-record=rec.json")
    result.assert_outcomes(passed=1, deselected=5)
    result.stdout.fnmatch_lines(["deselected: 5 (other phases: 4, unmarked: 1)"])
    rec = record(pytester)
    assert outcomes(rec) == {"test_pre_check": "passed"}
    assert rec["summary"]["deselected_by_reason"] == {"other phases": 4, "unmarked": 1}
    assert rec["phases"]["selected"] == ["pre"]
    assert result.ret == 0


def test_comma_list_repeatable_and_phase_order(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest(
        "--deploy-phase=post", "--deploy-phase=pre,deploy", "--deploy-record=rec.json", "-v"
    )
    result.assert_outcomes(passed=4, deselected=2)
    result.stdout.fnmatch_lines(
        ["*test_pre_check PASSED*", "*test_deploy_check PASSED*", "*test_post_check PASSED*"]
    )
    assert record(pytester)["phases"]["selected"] == ["pre", "deploy", "post"]


def test_all_selects_every_phase(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--deploy-phase=all")
    result.assert_outcomes(passed=5, deselected=1)


@pytest.mark.parametrize(
    "level",
    [
        "pytestmark = pytest.mark.phase('post')\ndef test_it():\n    pass\n",
        "@pytest.mark.phase('post')\nclass TestIt:\n    def test_it(self):\n        pass\n",
        "@pytest.mark.phase('post')\ndef test_it():\n    pass\n",
    ],
    ids=["module", "class", "function"],
)
def test_marker_at_every_level(pytester: pytest.Pytester, level: str) -> None:
    pytester.makepyfile("import pytest\n" + level + "\ndef test_other():\n    pass\n")
    pytester.makepyfile(
        other="import pytest\n@pytest.mark.phase('pre')\ndef test_pre():\n    pass\n"
    )
    result = pytester.runpytest("--deploy-phase=post", "--deploy-record=rec.json")
    ids = outcomes(record(pytester))
    assert "test_it" in ids and "test_pre" not in ids
    result.assert_outcomes(passed=2 if level.startswith("pytestmark") else 1)


def test_function_marker_overrides_module_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.phase("pre")
        @pytest.mark.phase("post")
        def test_post():
            pass
        def test_pre():
            pass
        """
    )
    pytester.runpytest("--deploy-phase=post", "--deploy-record=rec.json")
    assert outcomes(record(pytester)) == {"test_post": "passed"}


def test_multi_phase_check_runs_once_in_its_first_selected_phase(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.phase("pre", "post")
        def test_both():
            pass
        """
    )
    result = pytester.runpytest("--deploy-phase=post", "--deploy-record=rec.json")
    result.assert_outcomes(passed=1)
    (check,) = record(pytester)["checks"]
    assert check["phase"] == "post" and check["phases"] == ["pre", "post"]


BLOCKING = """
import pytest

@pytest.mark.phase("pre")
@pytest.mark.severity("critical")
def test_pre_fails():
    assert False, "migrations missing"

@pytest.mark.phase("pre")
def test_pre_ok():
    pass

@pytest.mark.phase("post")
def test_post_one():
    pass

@pytest.mark.phase("post")
def test_post_two():
    pass
"""


def test_blocking_failure_blocks_later_phases(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(BLOCKING)
    result = pytester.runpytest("--deploy-phase=pre,post", "--deploy-record=rec.json")
    rec = record(pytester)
    assert outcomes(rec) == {
        "test_pre_fails": "failed",
        "test_pre_ok": "passed",
        "test_post_one": "blocked",
        "test_post_two": "blocked",
    }
    blocked = [c for c in rec["checks"] if c["outcome"] == "blocked"]
    assert all("phase 'pre' has blocking failures" in c["message"] for c in blocked)
    assert rec["verdict"] == "NO_GO"
    result.stdout.fnmatch_lines(["BLOCKED *test_post_one*", "deployready verdict: NO_GO*"])
    assert result.ret == 1


def test_minor_failure_does_not_block(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(BLOCKING.replace('severity("critical")', 'severity("minor")'))
    result = pytester.runpytest("--deploy-phase=pre,post", "--deploy-record=rec.json")
    rec = record(pytester)
    assert outcomes(rec)["test_post_one"] == "passed"
    assert rec["verdict"] == "GO_WITH_WARNINGS"
    assert result.ret == 0


def test_deploy_continue_runs_later_phases(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(BLOCKING)
    result = pytester.runpytest(
        "--deploy-phase=pre,post", "--deploy-continue", "--deploy-record=rec.json"
    )
    rec = record(pytester)
    assert outcomes(rec)["test_post_one"] == "passed"
    assert rec["verdict"] == "NO_GO"
    assert rec["phases"]["continue_after_blocking"] is True
    result.assert_outcomes(passed=3, failed=1)


@pytest.mark.parametrize(
    ("args", "source", "message"),
    [
        (
            ["--deploy-phase=prod"],
            "",
            "*--deploy-phase: unknown phase 'prod'; valid phases: pre, deploy, post, rollback, all",
        ),
        (["--deploy-phase=,"], "", "*--deploy-phase: no phase given*"),
        (
            [],
            "@pytest.mark.phase('predeploy')\ndef test_x():\n    pass\n",
            "*test_x: unknown phase 'predeploy' in @pytest.mark.phase; "
            "valid phases: pre, deploy, post, rollback",
        ),
        (
            [],
            "@pytest.mark.phase()\ndef test_x():\n    pass\n",
            "*@pytest.mark.phase needs at least one phase name*",
        ),
        (
            [],
            "@pytest.mark.phase(['pre'])\ndef test_x():\n    pass\n",
            "*bad @pytest.mark.phase argument*expected a string*",
        ),
        (
            [],
            "@pytest.mark.phase('pre')\n"
            "@pytest.mark.severity('blocker')\ndef test_x():\n    pass\n",
            "*unknown severity 'blocker'*valid severities: critical, major, minor*",
        ),
        (
            [],
            "@pytest.mark.phase('pre')\n"
            "@pytest.mark.severity('minor', 'major')\ndef test_x():\n    pass\n",
            "*bad @pytest.mark.severity arguments ('minor', 'major')*",
        ),
        (
            [],
            "@pytest.mark.phase('pre')\n@pytest.mark.manual(who='QA')\ndef test_x():\n    pass\n",
            "*bad @pytest.mark.manual arguments*",
        ),
    ],
    ids=[
        "unknown-option-phase",
        "empty-option",
        "unknown-marker-phase",
        "empty-marker",
        "non-string",
        "bad-severity",
        "severity-arity",
        "manual-kwarg",
    ],
)
def test_usage_errors_exit_4_without_traceback(
    pytester: pytest.Pytester, args: list[str], source: str, message: str
) -> None:
    pytester.makepyfile("import pytest\n" + (source or "def test_ok():\n    pass\n"))
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_custom_phase_list_from_config(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready='phases = ["build", "canary", "full"]\n')
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.phase("full")
        def test_full():
            pass
        @pytest.mark.phase("canary")
        def test_canary():
            pass
        """
    )
    result = pytester.runpytest("--deploy-phase=canary,full", "-v", "--deploy-record=rec.json")
    result.stdout.fnmatch_lines(["*test_canary PASSED*", "*test_full PASSED*"])
    assert record(pytester)["phases"]["order"] == ["build", "canary", "full"]


def test_phases_under_xdist_one_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE.replace('assert order == ["pre", "deploy", "post"], order', "pass"))
    result = pytester.runpytest_subprocess(
        "-n", "2", "--deploy-phase=pre,post", "--deploy-record=rec.json"
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["deselected: 3 (other phases: 2, unmarked: 1)"])
    rec = record(pytester)
    assert sorted(outcomes(rec)) == ["test_post_check", "test_pre_check", "test_zz_order_seen"]
    assert rec["summary"]["deselected"] == 3
    assert rec["verdict"] == "GO"


def test_bad_marker_under_xdist_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.phase('bogus')\ndef test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-n", "2", "--deploy-record=rec.json")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: *test_x: unknown phase 'bogus'*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert "deployready verdict" not in result.stdout.str()
    assert record(pytester)["complete"] is False


def test_same_named_fixture_of_another_plugin_does_not_activate(pytester: pytest.Pytester) -> None:
    """pytest-django has a ``db`` fixture: using it must not turn a suite into a deployment run."""
    pytester.makeconftest(
        "import pytest\n@pytest.fixture\ndef db():\n    return 'django-db'\n"
        "@pytest.fixture\ndef redis():\n    return 'my-redis'\n"
    )
    pytester.makepyfile("def test_a(db, redis):\n    assert db == 'django-db'\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "deployready verdict" not in result.stdout.str()
    assert "deployment readiness" not in result.stdout.str()


def test_our_fixture_alone_does_not_activate(pytester: pytest.Pytester) -> None:
    """Our fixtures work in any run, but only a config, an option or ``phase`` opts in."""
    pytester.makepyfile("def test_a(evidence):\n    evidence.add('x', 1)\n")
    result = pytester.runpytest()
    assert result.ret == 0
    assert "deployready verdict" not in result.stdout.str()
    assert "deployment readiness" not in result.stdout.str()
    pytester.makepyfile(
        "import pytest\n@pytest.mark.phase('pre')\ndef test_a(evidence):\n"
        "    evidence.add('x', 1)\n"
    )
    result = pytester.runpytest()
    assert result.stdout.lines[-1].startswith("deployready verdict: GO")


def test_the_current_check_is_cleared_after_its_teardown(pytester: pytest.Pytester) -> None:
    """Per-check fixtures write into the check being run; after its teardown there is none."""
    pytester.makefile(".toml", deployready="[thresholds]\n")
    pytester.makeconftest(
        """
import pytest

from pytest_deployready._run import RUN_KEY

SEEN = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    SEEN.append(("call", item.config.stash[RUN_KEY].current_check is item))


def pytest_runtest_logfinish(nodeid, location):
    SEEN.append(("after", CONFIG[0].stash[RUN_KEY].current_check is None))


CONFIG = []


def pytest_configure(config):
    CONFIG.append(config)


def pytest_unconfigure(config):
    (config.rootpath / "seen.txt").write_text(repr(SEEN))
"""
    )
    pytester.makepyfile(
        test_a="""
import pytest


@pytest.mark.phase("pre")
@pytest.mark.parametrize("n", [1, 2])
def test_a(n, evidence):
    evidence.add("n", n)
"""
    )
    pytester.runpytest().assert_outcomes(passed=2)
    seen = (pytester.path / "seen.txt").read_text()
    assert seen == repr([("call", True), ("after", True)] * 2)
