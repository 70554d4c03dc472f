"""Threshold rules, thresholds.check, overrides and evidence — unit and end to end."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready._baseline import Baseline
from pytest_deployready._rules import RuleError, parse_rule
from pytest_deployready.config import ThresholdSpec
from pytest_deployready.thresholds import Evidence, ThresholdFailed, Thresholds, UnknownThreshold
from tests.runner import DeployRunner


@pytest.mark.parametrize(
    ("rule", "name", "value", "passes"),
    [
        ("< 200", "api_p95_ms", 199.9, True),
        ("< 200", "api_p95_ms", 200, False),
        ("<= 200", "api_p95_ms", 200, True),
        (">= 0.6", "cache_hit_ratio", 0.6, True),
        (">= 0.6", "cache_hit_ratio", 0.59, False),
        ("== 0", "pending", 0, True),
        ("== 0", "pending", 1, False),
        ("!= 0", "replicas", 2, True),
        ("> 3", "replicas", 3, False),
        ("< 1.5s", "api_p95_ms", 1499, True),
        ("< 1.5s", "api_p95_ms", 1500, False),
        ("< 200ms", "startup_s", 0.19, True),
        ("< 200ms", "startup_s", 0.2, False),
        ("< 2s", "latency", 1999, True),  # no unit suffix: milliseconds
        ("< 5%", "error_rate", 0.049, True),
        ("< 5%", "error_rate", 0.05, False),
        (">=60 %", "cache_hit_ratio", 0.61, True),
        ("< 1e3", "x", 999, True),
        ("< 200", "x", math.nan, False),
    ],
)
def test_rules(rule: str, name: str, value: float, passes: bool) -> None:
    assert parse_rule(rule).passes(value, name=name) is passes


@pytest.mark.parametrize("text", ["200", "<", "< abc", "=> 3", "< 200 kb", "< 2 h", "", "~ 1"])
def test_unparsable_rules(text: str) -> None:
    with pytest.raises(RuleError, match="cannot parse rule"):
        parse_rule(text)


def test_rule_must_be_a_string() -> None:
    with pytest.raises(RuleError, match="must be a string"):
        parse_rule(200)


def specs(**rules: str) -> dict[str, ThresholdSpec]:
    return {n: ThresholdSpec(n, parse_rule(r), "deployready.toml") for n, r in rules.items()}


def test_check_records_measurement_and_fails_with_message() -> None:
    t = Thresholds(specs(api_p95_ms="< 200"))
    assert t.check("api_p95_ms", 120).passed
    with pytest.raises(ThresholdFailed) as info:
        t.check("api_p95_ms", 231.4)
    assert str(info.value) == "api_p95_ms: measured 231.4 ms, required < 200 (deployready.toml)"
    assert [m.passed for m in t.measurements] == [True, False]
    assert t.measurements[1].as_dict()["measured"] == 231.4


def test_unknown_threshold_lists_known_ones() -> None:
    t = Thresholds(specs(api_p95_ms="< 200", error_rate="< 1%"))
    with pytest.raises(UnknownThreshold, match="known thresholds: api_p95_ms, error_rate"):
        t.check("api_p99_ms", 1)


NOT_FINITE = [
    (math.inf, "inf — not a finite number"),
    (-math.inf, "-inf — not a finite number"),
    (math.nan, "nan — not a finite number"),
    (10**400, "an integer of 401 digits — too large for a float, not a finite number"),
    (-(10**5000), "an integer of about 5001 digits — too large for a float, not a finite number"),
    (Decimal("Infinity"), "inf — not a finite number"),
    (Decimal("NaN"), "nan — not a finite number"),
    (Decimal("sNaN"), "Decimal('sNaN') — not a finite number"),
    (True, "True — a bool, not a number"),
    ("12", "'12' — a str, not a number"),
    (None, "None — no value"),
    ([12.0], "[12.0] — a list, not a number"),
]


@pytest.mark.parametrize(
    ("value", "why"), NOT_FINITE, ids=[w.split(" —")[0][:20] for _, w in NOT_FINITE]
)
@pytest.mark.parametrize("rule", ["< 200", ">= 60%", "!= 0", "<= baseline * 0.7"])
def test_a_value_that_is_not_a_finite_number_fails_every_rule(
    value: object, why: str, rule: str
) -> None:
    """Not a finite number: fails (never passes, never raises anything else), recorded null."""
    t = Thresholds(specs(lat_ms=rule))
    with pytest.raises(ThresholdFailed) as info:
        t.check("lat_ms", value)  # type: ignore[arg-type]
    assert str(info.value) == f"lat_ms: measured {why}, required {rule} (deployready.toml)"
    entry = t.measurements[-1].as_dict()
    assert entry["measured"] is None and entry["passed"] is False and entry["invalid"] == why
    json.dumps(entry, allow_nan=False)  # JSON as the record writes it


@pytest.mark.parametrize("value", [12, 12.5, Fraction(25, 2), Decimal("12.5"), 0, -0.0])
def test_any_finite_real_number_is_a_measurement(value: object) -> None:
    t = Thresholds(specs(lat_ms="< 200"))
    assert t.check("lat_ms", value).as_dict()["measured"] == float(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "baseline"),
    [
        ("<= baseline * 10", 1e308),  # overflows to infinity
        (">= baseline - 1e308", -1e308),  # to minus infinity
        ("<= baseline / 0.1", 1e308),
        ("<= baseline", math.inf),
        (">= baseline", -math.inf),
        ("!= baseline", math.nan),
        ("<= baseline", 10**400),  # an int beyond the float range
    ],
    ids=["mul", "sub", "div", "inf", "-inf", "nan", "big-int"],
)
def test_a_baseline_limit_that_is_not_finite_passes_nothing(rule: str, baseline: float) -> None:
    """``baseline * 10`` of a huge baseline is infinity: nothing may pass an infinite limit."""
    assert parse_rule(rule).passes(1.0, name="x", baseline=baseline) is False


def test_check_fails_clearly_when_the_baseline_limit_is_not_finite(tmp_path: Path) -> None:
    record = {
        "schema": "deployready.record/1",
        "verdict": "GO",
        "complete": True,
        "checks": [{"id": "t.py::test_a", "thresholds": [{"name": "x", "measured": 1e308}]}],
    }
    t = Thresholds(
        specs(x="<= baseline * 10"),
        baseline=Baseline(tmp_path / "b.json", record),
        check_id="t.py::test_a",
    )
    with pytest.raises(
        ThresholdFailed, match="the limit computed from the baseline is not a finite"
    ):
        t.check("x", 5)
    entry = t.measurements[-1].as_dict()
    assert entry["passed"] is False and entry["measured"] == 5.0
    json.dumps(entry, allow_nan=False)


@pytest.mark.parametrize("value", [-math.inf, math.inf, math.nan, 10**400, -(10**400)])
@pytest.mark.parametrize("rule", ["< 200", "> -5", ">= 60%", "!= 0", "== 1"])
def test_rule_passes_nothing_that_is_not_finite(value: float, rule: str) -> None:
    assert parse_rule(rule).passes(value, name="x") is False


@pytest.mark.parametrize("text", ["< 1e400", "> -1e999", "<= baseline * 1e400"])
def test_a_rule_with_a_number_that_is_not_finite_is_refused(text: str) -> None:
    with pytest.raises(RuleError, match="is not a finite number"):
        parse_rule(text)


def test_evidence_is_copied_when_added() -> None:
    """A list changed after evidence.add cannot slip NaN (or anything else) into the record."""
    e = Evidence()
    rows = [1.0, 2.0]
    e.add("rows", rows)
    rows.append(math.nan)
    assert e.items == {"rows": [1.0, 2.0]}


def test_evidence_refuses_what_json_cannot_hold() -> None:
    e = Evidence()
    e.add("version", "15.4")
    e.add("sizes", {"orders": [1, 2]})
    with pytest.raises(TypeError, match=r"'conn'.*not JSON-serialisable"):
        e.add("conn", object())
    with pytest.raises(TypeError, match=r"'nan': nan is not finite \(NaN or infinity\)"):
        e.add("nan", math.nan)
    with pytest.raises(TypeError, match=r"holds a number that is not finite"):
        e.add("deep", {"a": [1, {"b": -math.inf}]})
    assert e.items == {"version": "15.4", "sizes": {"orders": [1, 2]}}


CONFIG = """
[thresholds]
api_p95_ms = "< 200"
error_rate = "< 1%"

[env.production.thresholds]
api_p95_ms = "< 150"
"""
SUITE = """
import pytest
pytestmark = pytest.mark.phase("post")

def test_latency(thresholds):
    thresholds.check("api_p95_ms", 180)

def test_errors(thresholds):
    thresholds.check("error_rate", 0.002)

def test_unknown(thresholds):
    thresholds.check("api_p99_ms", 1)

def test_evidence(evidence):
    evidence.add("conn", object())
"""


def by_name(rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"].split("::")[-1]: c for c in rec["checks"]}


def test_end_to_end_base_config(deploy_run: DeployRunner) -> None:
    _, rec = deploy_run(subprocess=False, config=CONFIG, suite=SUITE)
    checks = by_name(rec)
    assert checks["test_latency"]["outcome"] == "passed"
    assert checks["test_latency"]["thresholds"][0]["source"] == "deployready.toml"
    assert checks["test_errors"]["outcome"] == "passed"
    assert checks["test_unknown"]["outcome"] == "failed"
    assert "known thresholds: api_p95_ms, error_rate" in checks["test_unknown"]["message"]
    assert "not JSON-serialisable" in checks["test_evidence"]["message"]


def test_end_to_end_env_overlay_source_in_failure(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        "--deploy-env=production", subprocess=False, config=CONFIG, suite=SUITE
    )
    latency = by_name(rec)["test_latency"]
    assert latency["outcome"] == "failed"
    assert latency["message"] == (
        "api_p95_ms: measured 180 ms, required < 150 (deployready.toml [env.production])"
    )
    assert latency["thresholds"] == [
        {
            "name": "api_p95_ms",
            "rule": "< 150",
            "measured": 180.0,
            "passed": False,
            "source": "deployready.toml [env.production]",
        }
    ]
    assert rec["environment"] == "production"
    result.stdout.fnmatch_lines(
        ["*api_p95_ms: measured 180 ms, required < 150 (deployready.toml [[]env.production[]])*"]
    )


def test_end_to_end_command_line_override(deploy_run: DeployRunner) -> None:
    result, rec = deploy_run(
        "--deploy-env=production",
        "--deploy-threshold",
        "api_p95_ms=< 300",
        subprocess=False,
        config=CONFIG,
        suite=SUITE,
    )
    latency = by_name(rec)["test_latency"]
    assert latency["outcome"] == "passed"
    assert latency["thresholds"][0]["source"] == "--deploy-threshold"
    assert latency["thresholds"][0]["rule"] == "< 300"
    result.stdout.fnmatch_lines(["*overrides:*thresholds.api_p95_ms from --deploy-threshold*"])


def test_bad_override_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_a():\n    pass\n")
    result = pytester.runpytest_subprocess("--deploy-threshold", "api_p95_ms=fast")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--deploy-threshold api_p95_ms: cannot parse rule 'fast'*"])
    assert "Traceback" not in result.stderr.str()


def test_value_exactly_on_a_computed_limit_passes() -> None:
    assert parse_rule("<= baseline * 0.7").passes(126, name="api_p95_ms", baseline=180)
    assert not parse_rule("< baseline * 0.7").passes(126, name="api_p95_ms", baseline=180)
    assert parse_rule("<= 0.3s").passes(300, name="api_p95_ms")
