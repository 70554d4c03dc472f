"""--deploy-baseline end to end: rules against a previous record, change shown, gaps reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.runner import DeployRunner

CONFIG = """
[thresholds]
api_p95_ms = "<= baseline * 0.7"
cache_hit_ratio = ">= 0.6"
"""


def suite(p95: float, ratio: float) -> str:
    text = f"""
import pytest
pytestmark = pytest.mark.phase("post")

def test_latency(thresholds):
    thresholds.check("api_p95_ms", {p95})

def test_cache(thresholds):
    thresholds.check("cache_hit_ratio", {ratio})
"""
    return text


def by_name(rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"].split("::")[-1]: c for c in rec["checks"]}


def baseline(pytester: pytest.Pytester, deploy_run: DeployRunner) -> None:
    """A previous deployment's record: p95 300 ms, hit ratio 0.7 (plain rules only)."""
    pytester.makefile(
        ".toml", deployready='[thresholds]\napi_p95_ms = "< 1000"\ncache_hit_ratio = ">= 0.6"\n'
    )
    deploy_run(subprocess=False, suite={"test_perf": suite(300, 0.7)})
    Path(pytester.path, "rec.json").rename(Path(pytester.path, "before.json"))
    pytester.makefile(".toml", deployready=CONFIG)


def test_at_least_30_percent_faster_passes_and_shows_change(
    pytester: pytest.Pytester, deploy_run: DeployRunner
) -> None:
    baseline(pytester, deploy_run)
    result, rec = deploy_run(
        "--deploy-baseline=before.json", subprocess=False, suite={"test_perf": suite(200, 0.8)}
    )
    latency = by_name(rec)["test_latency"]["thresholds"][0]
    assert latency["passed"] is True
    assert latency["baseline"] == 300.0 and latency["current"] == 200.0
    assert latency["change"] == -100.0
    assert latency["change_pct"] == pytest.approx(-33.333, abs=0.01)
    cache = by_name(rec)["test_cache"]["thresholds"][0]
    assert cache["baseline"] == 0.7 and cache["change"] == pytest.approx(0.1)
    assert rec["baseline"]["path"].endswith("before.json") and rec["baseline"]["verdict"] == "GO"
    result.stdout.fnmatch_lines(["deployready: baseline *before.json (GO, *"])
    assert rec["verdict"] == "GO"


def test_not_faster_enough_fails_naming_the_baseline(
    pytester: pytest.Pytester, deploy_run: DeployRunner
) -> None:
    baseline(pytester, deploy_run)
    _, rec = deploy_run(
        "--deploy-baseline=before.json", subprocess=False, suite={"test_perf": suite(250, 0.8)}
    )
    latency = by_name(rec)["test_latency"]
    assert latency["outcome"] == "failed"
    assert latency["message"] == (
        "api_p95_ms: measured 250 ms, required <= baseline * 0.7, baseline 300 ms "
        "(deployready.toml)"
    )


def test_measurement_absent_from_baseline_is_reported_not_passed(
    pytester: pytest.Pytester,
    deploy_run: DeployRunner,
) -> None:
    baseline(pytester, deploy_run)
    # The previous deployment measured p50, not p95: nothing to compare with.
    Path(pytester.path, "before.json").write_text(
        Path(pytester.path, "before.json").read_text().replace('"api_p95_ms"', '"api_p50_ms"')
    )
    _, rec = deploy_run(
        "--deploy-baseline=before.json", subprocess=False, suite={"test_perf": suite(10, 0.8)}
    )
    latency = by_name(rec)["test_latency"]
    assert latency["outcome"] == "failed"
    assert latency["message"].endswith("baseline before.json has no finite measurement of it")
    assert latency["thresholds"][0]["passed"] is False


def test_baseline_rule_without_baseline_fails_clearly(
    pytester: pytest.Pytester, deploy_run: DeployRunner
) -> None:
    pytester.makefile(".toml", deployready=CONFIG)
    _, rec = deploy_run(subprocess=False, suite={"test_perf": suite(10, 0.8)})
    assert by_name(rec)["test_latency"]["message"].endswith(
        "no baseline given (pass --deploy-baseline RECORD.json)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "*record *missing.json: no such file*"),
        ('{"schema": "deployready.record/2", "checks": []}', "*incompatible record schema*"),
        ("not json", "*not JSON*"),
    ],
)
def test_bad_baseline_is_a_usage_error(
    pytester: pytest.Pytester, content: str | None, message: str
) -> None:
    pytester.makefile(".toml", deployready=CONFIG)
    pytester.makepyfile(test_perf=suite(1, 1))
    if content is not None:
        Path(pytester.path, "missing.json").write_text(content)
    result = pytester.runpytest_subprocess("--deploy-baseline=missing.json")
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


PRE_POST_CONFIG = """
[thresholds]
api_p95_before_ms = "< 2s"
api_p95_after_ms = "<= baseline(api_p95_before_ms) * 0.4"
"""

PRE_POST_SUITE = """
import os
import pytest

@pytest.mark.phase("pre")
def test_record_baseline(thresholds):
    thresholds.check("api_p95_before_ms", float(os.environ["P95"]))

@pytest.mark.phase("post")
def test_latency_improved(thresholds):
    thresholds.check("api_p95_after_ms", float(os.environ["P95"]))
"""


def pre_then_post(
    pytester: pytest.Pytester, deploy_run: DeployRunner, before: float, after: float
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """The release flow: the pre phase's record is the post phase's baseline."""
    pytester.makefile(".toml", deployready=PRE_POST_CONFIG)
    pytester.makepyfile(test_release=PRE_POST_SUITE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("P95", str(before))
        pre = pytester.runpytest("--deploy-phase=pre", "--deploy-record=pre.json")
        assert pre.ret == 0, pre.stdout.str()
        mp.setenv("P95", str(after))
        return deploy_run(
            "--deploy-phase=post",
            "--deploy-baseline=pre.json",
            record="post.json",
            subprocess=False,
        )


def test_named_baseline_compares_with_the_pre_phase_measurement(
    pytester: pytest.Pytester,
    deploy_run: DeployRunner,
) -> None:
    result, rec = pre_then_post(pytester, deploy_run, before=50, after=12)
    entry = by_name(rec)["test_latency_improved"]["thresholds"][0]
    assert entry["rule"] == "<= baseline(api_p95_before_ms) * 0.4"
    assert entry["passed"] is True
    assert (entry["baseline"], entry["current"], entry["change_pct"]) == (50.0, 12.0, -76.0)
    assert rec["verdict"] == "GO", result.stdout.str()


def test_named_baseline_fails_when_not_enough_better(
    pytester: pytest.Pytester, deploy_run: DeployRunner
) -> None:
    _, rec = pre_then_post(pytester, deploy_run, before=50, after=25)
    check = by_name(rec)["test_latency_improved"]
    assert check["outcome"] == "failed"
    assert check["message"] == (
        "api_p95_after_ms: measured 25 ms, required <= baseline(api_p95_before_ms) * 0.4, "
        "baseline 50 ms (deployready.toml)"
    )


def test_named_baseline_missing_from_the_record_names_it(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready=PRE_POST_CONFIG)
    pytester.makepyfile(test_release=PRE_POST_SUITE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("P95", "10")
        # The baseline run did not measure api_p95_before_ms (its pre phase was not run).
        pytester.runpytest("--deploy-phase=post", "--deploy-record=old.json")
        pytester.runpytest(
            "--deploy-phase=post", "--deploy-baseline=old.json", "--deploy-record=post.json"
        )
    rec = json.loads(Path(pytester.path, "post.json").read_text())
    check = by_name(rec)["test_latency_improved"]
    assert check["outcome"] == "failed"
    assert check["message"].endswith(
        "baseline old.json has no finite measurement of api_p95_before_ms"
    )
