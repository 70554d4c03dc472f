"""Waivers: applied, expired, future, unused, run = false, globs — and the verdict they give."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.runner import DeployRunner

SUITE = """
import pytest
pytestmark = pytest.mark.phase("post")

def test_cache_hit_ratio():
    assert 0.41 >= 0.6, "hit ratio 0.41"

def test_error_rate():
    assert 0.02 < 0.01, "error rate 2 %"

def test_slow_report():
    raise RuntimeError("would take 20 minutes")

def test_fine():
    pass
"""
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=1)).isoformat()
TODAY = dt.date.today().isoformat()


def by_name(rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"].split("::")[-1]: c for c in rec["checks"]}


def waiver(check: str, expires: str | None = None, run: bool = True) -> str:
    text = f'[[waivers]]\ncheck = "{check}"\njustification = "INC-42: known, fix tonight"\n'
    if expires:
        text += f"expires = {expires}\n"
    if not run:
        text += "run = false\n"
    return text


def test_waived_failures_do_not_block(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        subprocess=False,
        suite=SUITE,
        config=waiver("*::test_cache_hit_ratio", FUTURE)
        + waiver("test_error_rate", TODAY)  # expires today: still applies
        + waiver("test_slow_*", FUTURE, run=False),
    )
    checks = by_name(rec)
    assert checks["test_cache_hit_ratio"]["outcome"] == "waived"
    assert checks["test_cache_hit_ratio"]["blocking"] is False
    assert checks["test_cache_hit_ratio"]["message"] == "waived: INC-42: known, fix tonight"
    assert checks["test_cache_hit_ratio"]["waiver"]["expires"] == FUTURE
    assert checks["test_error_rate"]["outcome"] == "waived"
    slow = checks["test_slow_report"]
    assert slow["outcome"] == "waived" and slow["message"].startswith("waived (not run)")
    assert checks["test_fine"]["outcome"] == "passed"
    assert rec["verdict"] == "GO_WITH_WARNINGS" and result.ret == 0
    assert [w["status"] for w in rec["waivers"]] == ["applied", "applied", "applied"]
    result.stdout.fnmatch_lines(["WAIVED   *test_cache_hit_ratio*"])


def test_expired_waiver_no_longer_applies(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        subprocess=False, suite=SUITE, config=waiver("test_cache_hit_ratio", PAST)
    )
    check = by_name(rec)["test_cache_hit_ratio"]
    assert check["outcome"] == "failed" and check["blocking"] is True
    assert check["waiver"]["expired"] is True
    assert rec["waivers"][0]["status"] == "expired"
    assert rec["verdict"] == "NO_GO" and result.ret == 1
    result.stdout.fnmatch_lines(
        [f"waiver for test_cache_hit_ratio expired on {PAST} and no longer applies"]
    )


def test_waiver_matching_nothing_is_reported(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        subprocess=False,
        suite=SUITE,
        config=waiver("test_cache_hit_ratio", FUTURE)
        + waiver("test_error_rate", FUTURE)
        + waiver("test_slow_report", FUTURE)
        + waiver("test_renamed_long_ago", FUTURE),
    )
    statuses = {w["check"]: w["status"] for w in rec["waivers"]}
    assert statuses["test_renamed_long_ago"] == "unused"
    result.stdout.fnmatch_lines(["waiver for test_renamed_long_ago matches no check"])


def test_waiver_on_passing_check_is_active_not_applied(deploy_run: DeployRunner) -> None:
    _, rec = deploy_run(subprocess=False, suite=SUITE, config=waiver("test_fine", FUTURE))
    assert by_name(rec)["test_fine"]["outcome"] == "passed"
    assert rec["waivers"][0]["status"] == "active"


def test_waiver_without_justification_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready='[[waivers]]\ncheck = "test_fine"\n')
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*waivers[[]0[]]*justification*"])


def test_waivers_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        deployready=waiver("test_cache_hit_ratio", FUTURE)
        + waiver("test_error_rate", FUTURE)
        + waiver("test_slow_report", FUTURE),
    )
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("-n", "2", "--deploy-record=rec.json")
    rec = json.loads(Path(pytester.path, "rec.json").read_text())
    assert rec["verdict"] == "GO_WITH_WARNINGS" and result.ret == 0
    assert sorted(c["outcome"] for c in rec["checks"]) == ["passed", "waived", "waived", "waived"]
