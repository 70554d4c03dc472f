"""Baseline rules (``<= baseline * 0.7``), loading a previous record, lookups and compare."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready._baseline import Baseline, BaselineError, compare, load_baseline
from pytest_deployready._rules import BaselineMissing, RuleError, parse_rule

# -- rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "name", "baseline", "limit"),
    [
        ("< baseline", "api_p95_ms", 200.0, 200.0),
        ("<= baseline * 0.7", "api_p95_ms", 200.0, 140.0),
        ("<= baseline / 2", "api_p95_ms", 200.0, 100.0),
        ("<= baseline + 50", "api_p95_ms", 200.0, 250.0),
        ("<= baseline - 50", "api_p95_ms", 200.0, 150.0),
        ("<= baseline + 50ms", "api_p95_ms", 200.0, 250.0),
        ("<= baseline + 1.5s", "api_p95_ms", 200.0, 1700.0),
        ("<= baseline + 500ms", "startup_s", 2.0, 2.5),
        ("<= baseline - 1s", "startup_seconds", 3.0, 2.0),
        ("<= baseline + 1s", "latency", 100.0, 1100.0),  # no unit suffix: milliseconds
        ("<= baseline + 10%", "api_p95_ms", 200.0, 220.0),
        (">= baseline - 5%", "cache_hit_ratio", 0.8, 0.76),
        (">= baseline - 5 %", "requests_per_s", 1000.0, 950.0),
        ("== baseline", "tables", 12, 12.0),
    ],
)
def test_baseline_rule_limits(rule: str, name: str, baseline: float, limit: float) -> None:
    parsed = parse_rule(rule)
    assert parsed.uses_baseline
    assert parsed.limit_for(name, baseline) == pytest.approx(limit)


@pytest.mark.parametrize(
    ("rule", "value", "baseline", "passes"),
    [
        ("< baseline", 199.9, 200.0, True),
        ("< baseline", 200.0, 200.0, False),
        ("<= baseline * 0.7", 140.0, 200.0, True),
        ("<= baseline * 0.7", 140.1, 200.0, False),
        (">= baseline * 1.3", 1300.0, 1000.0, True),
        ("> baseline", 0.61, 0.6, True),
        ("!= baseline", 3, 3.0, False),
        ("<= baseline + 10%", 220.0, 200.0, True),
        ("<= baseline + 10%", 220.5, 200.0, False),
        ("<= baseline + 50ms", 250, 200, True),
        ("<= baseline", math.nan, 200.0, False),
        ("<= baseline", 1.0, math.nan, False),
    ],
)
def test_baseline_rule_passes(rule: str, value: float, baseline: float, passes: bool) -> None:
    assert parse_rule(rule).passes(value, name="api_p95_ms", baseline=baseline) is passes


def test_plain_rules_ignore_the_baseline() -> None:
    rule = parse_rule("< 200")
    assert not rule.uses_baseline
    assert rule.limit_for("api_p95_ms", 10.0) == 200.0
    assert rule.passes(150, name="api_p95_ms", baseline=10.0)
    assert parse_rule("< 5%").limit_for("error_rate", baseline=None) == 0.05


def test_missing_baseline_raises() -> None:
    rule = parse_rule("<= baseline * 0.7")
    with pytest.raises(BaselineMissing, match=r"^api_p95_ms: rule '<= baseline \* 0.7' needs"):
        rule.passes(100, name="api_p95_ms")
    with pytest.raises(BaselineMissing):
        rule.limit_for("api_p95_ms")
    assert issubclass(BaselineMissing, ValueError)


def test_baseline_value_must_be_a_number() -> None:
    with pytest.raises(TypeError, match="baseline value must be a number"):
        parse_rule("< baseline").passes(1, name="x", baseline="fast")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("<=baseline*0.7", "<= baseline * 0.7"),
        ("  <   Baseline  ", "< baseline"),
        (">= baseline-5 %", ">= baseline - 5%"),
        ("<= BASELINE + 50ms", "<= baseline + 50ms"),
        ("< 200", "< 200"),
    ],
)
def test_rule_text_is_normalised(text: str, normalised: str) -> None:
    assert str(parse_rule(text)) == normalised


def test_named_baseline_rules() -> None:
    rule = parse_rule("<=baseline( api_p95_before_ms )*0.4")
    assert str(rule) == "<= baseline(api_p95_before_ms) * 0.4"
    assert rule.baseline_name == "api_p95_before_ms"
    assert rule.limit_for("api_p95_ms", baseline=50.0) == pytest.approx(20.0)
    assert parse_rule("< baseline(x)").canonical == "< baseline(x)"
    assert parse_rule("< baseline(x)").canonical != parse_rule("< baseline(y)").canonical
    assert parse_rule("< baseline(x)").canonical != parse_rule("< baseline").canonical
    assert parse_rule("<= baseline * 0.7").baseline_name is None
    for bad in ("<= baseline() * 0.7", "<= baseline(1x)", "<= baseline(a b)"):
        with pytest.raises(RuleError, match="cannot parse rule"):
            parse_rule(bad)


def test_canonical_form_tells_baseline_rules_apart() -> None:
    assert parse_rule("<1").canonical == parse_rule("< 1.0").canonical == "< 1.0"
    assert parse_rule("<= baseline * 0.7").canonical == "<= baseline * 0.7"
    assert parse_rule("<= baseline * 0.7").canonical != parse_rule("<= 0.7").canonical
    assert parse_rule("<=baseline+10 %").canonical == "<= baseline + 10.0%"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("baseline", "cannot parse rule 'baseline': expected e.g."),
        ("< baseline * ", "cannot parse rule"),
        ("< baseline ** 2", "cannot parse rule"),
        ("< baseline * 0.7 + 5", "at most one modifier"),
        ("< 0.7 * baseline", "cannot parse rule"),
        ("< baselines", "cannot parse rule"),
        ("< baseline + -5", "cannot parse rule"),
        ("< baseline + 5 kb", "cannot parse rule"),
        ("< baseline * 70%", r"\* takes a plain number, not 70%"),
        ("< baseline / 2s", "/ takes a plain number"),
        ("< baseline / 0", "division by zero"),
    ],
)
def test_unparsable_baseline_rules(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule(text)


# -- loading a baseline ------------------------------------------------------------------------


def record(*checks: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "schema": "deployready.record/1",
        "verdict": "GO",
        "started_at": "2024-05-01T10:00:00+00:00",
        "metadata": {"git_commit": "1a2b3c4d5e6f7a8b9c0d"},
        "checks": list(checks),
        **fields,
    }


def check(cid: str, **measured: float | None) -> dict[str, Any]:
    return {
        "id": cid,
        "outcome": "passed",
        "thresholds": [
            {"name": n, "rule": "< 1000", "measured": v, "passed": True, "source": "config"}
            for n, v in measured.items()
        ],
    }


def write(tmp_path: Path, data: Any, name: str = "rec.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_load_baseline_reads_metadata(tmp_path: Path) -> None:
    path = write(tmp_path, record(check("t.py::test_a", api_p95_ms=180.0)))
    baseline = load_baseline(path)
    assert baseline.path == path
    assert baseline.verdict == "GO"
    assert baseline.started_at == "2024-05-01T10:00:00+00:00"
    assert baseline.git_commit == "1a2b3c4d5e6f7a8b9c0d"
    assert baseline.record["checks"][0]["id"] == "t.py::test_a"
    assert baseline.describe() == f"{path} (GO, 2024-05-01T10:00:00+00:00, commit 1a2b3c4)"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(BaselineError, match=f"^record {path}: no such file$"):
        load_baseline(path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="is a directory"):
        load_baseline(tmp_path)


@pytest.mark.parametrize("text", ["{", "not json", "", '{"schema": "deployready.record/1",}'])
def test_not_json(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BaselineError, match=rf"^record {path}: not JSON \(.* at line 1, column"):
        load_baseline(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "rec.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(BaselineError, match="not JSON"):
        load_baseline(path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"schema": "x", "checks": []}, r"not a deployready record \(schema 'x'\)$"),
        ({"checks": []}, r"not a deployready record \(no 'schema' field\)$"),
        ({"schema": 1, "checks": []}, r"not a deployready record \(schema 1\)$"),
        ([1, 2], r"not a deployready record \(a JSON array, expected an object\)$"),
        ({"schema": "deployready.record/1"}, r"not a deployready record \(no 'checks' list\)$"),
        (
            {"schema": "deployready.record/2", "checks": []},
            r"incompatible record schema 'deployready.record/2'; "
            r"this version reads deployready.record/1$",
        ),
        (record({"title": "no id"}), r"checks\[0\] is not a check with a string 'id'$"),
        (
            record({"id": "a", "thresholds": [{"name": "x", "measured": "fast"}]}),
            r"checks\[0\].thresholds\[0\].measured is not a number: 'fast'$",
        ),
        (record({"id": "a", "thresholds": {}}), r"checks\[0\].thresholds is not a list$"),
    ],
)
def test_not_a_record(tmp_path: Path, data: Any, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(BaselineError, match=f"^record {path}: {message}") as info:
        load_baseline(path)
    assert "\n" not in str(info.value)


def test_baseline_error_is_a_usage_problem() -> None:
    """The package's own error; the plugin boundary turns it into pytest's usage error."""
    from pytest_deployready.errors import UsageProblem

    assert issubclass(BaselineError, UsageProblem) and not issubclass(
        BaselineError, pytest.UsageError
    )


# -- lookups -----------------------------------------------------------------------------------


@pytest.fixture
def baseline(tmp_path: Path) -> Baseline:
    return Baseline(
        tmp_path / "rec.json",
        record(
            check("t.py::test_latency", api_p95_ms=180.0, error_rate=0.001),
            check("t.py::test_cache", cache_hit_ratio=0.8, error_rate=0.002),
            check("t.py::test_broken", startup_s=None),
            {
                "id": "t.py::test_twice",
                "thresholds": [
                    {"name": "p95_ms", "rule": "< 1", "measured": 10, "passed": True},
                    {"name": "p95_ms", "rule": "< 1", "measured": 20, "passed": True},
                ],
            },
            {"id": "t.py::test_manual", "outcome": "pending"},
        ),
    )


def test_lookup_by_check(baseline: Baseline) -> None:
    assert baseline.lookup("t.py::test_latency", "api_p95_ms") == 180.0
    assert baseline.lookup("t.py::test_latency", "error_rate") == 0.001
    assert baseline.lookup("t.py::test_cache", "error_rate") == 0.002


def test_lookup_by_unique_name(baseline: Baseline) -> None:
    assert baseline.lookup("t.py::test_renamed", "api_p95_ms") == 180.0
    assert baseline.lookup("t.py::test_cache", "api_p95_ms") == 180.0  # not measured there


def test_lookup_ambiguous_or_unknown_is_none(baseline: Baseline) -> None:
    assert baseline.lookup("t.py::test_new", "error_rate") is None  # in two checks
    assert baseline.lookup("t.py::test_latency", "nothing") is None
    assert baseline.lookup("t.py::test_broken", "startup_s") is None  # measured was not finite


def test_lookup_occurrence(baseline: Baseline) -> None:
    assert baseline.lookup("t.py::test_twice", "p95_ms") == 10.0
    assert baseline.lookup("t.py::test_twice", "p95_ms", occurrence=1) == 20.0
    assert baseline.lookup("t.py::test_twice", "p95_ms", occurrence=2) is None


def test_baseline_from_a_dict_is_validated(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="schema 'x'"):
        Baseline(tmp_path / "mem.json", {"schema": "x", "checks": []})


# -- compare -----------------------------------------------------------------------------------


def test_compare() -> None:
    assert compare(126.0, 180.0) == {
        "baseline": 180.0,
        "current": 126.0,
        "change": -54.0,
        "change_pct": pytest.approx(-30.0),
    }
    assert compare(0.9, 0.6)["change_pct"] == pytest.approx(50.0)
    assert compare(3.0, 0.0) == {"baseline": 0.0, "current": 3.0, "change": 3.0, "change_pct": None}


def _record(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema": "deployready.record/1",
        "title": "Payments",
        "verdict": "GO",
        "complete": True,
        "config": {"path": None, "digest": "sha256:aaa"},
        "checks": [{"id": "checks/test_perf.py::test_latency", "thresholds": []}],
    }
    record.update(fields)
    return record


@pytest.mark.parametrize(
    ("collected", "title", "digest"),
    [
        (["checks/test_perf.py::test_latency"], "Other", "sha256:bbb"),  # a shared check id
        (["test_perf.py::test_latency"], "Other", "sha256:bbb"),  # same, another rootdir
        (["suite/checks/test_perf.py::test_latency"], "Other", "sha256:bbb"),
        (["t.py::test_x"], "Other", "sha256:aaa"),  # written with the same configuration
        (["t.py::test_x"], "Payments", "sha256:bbb"),  # under the same (own) report title
        ([], "Other", "sha256:bbb"),  # nothing collected: nothing to judge by
    ],
)
def test_a_record_of_the_same_suite_fits(collected: list[str], title: str, digest: str) -> None:
    Baseline(Path("b.json"), _record()).check_suite(collected, title=title, digest=digest)


def test_a_record_of_another_suite_is_refused() -> None:
    baseline = Baseline(Path("b.json"), _record(title="Deployment record"))
    with pytest.raises(BaselineError, match=r"b.json is not a record of this suite: none of its 1"):
        baseline.check_suite(
            ["checks/test_perf.py::test_latency_p95"], title="Deployment record", digest="x"
        )


@pytest.mark.parametrize(
    ("fields", "warnings"),
    [
        ({}, []),
        ({"verdict": "GO_WITH_WARNINGS"}, []),
        ({"verdict": "NO_GO"}, ["it is a NO_GO record"]),
        (
            {"verdict": "ROLLBACK", "complete": False},
            ["it is a ROLLBACK record", "it is incomplete"],
        ),
    ],
)
def test_a_failed_or_incomplete_record_is_a_doubtful_baseline(
    fields: dict[str, Any], warnings: list[str]
) -> None:
    baseline = Baseline(Path("b.json"), _record(**fields))
    assert [w.split(" (")[0].split(":")[0] for w in baseline.warnings] == warnings
    assert baseline.as_record()["warnings"] == baseline.warnings


def test_compare_never_returns_what_json_cannot_hold() -> None:
    assert compare(1e308, -1e308) == {
        "baseline": -1e308,
        "current": 1e308,
        "change": None,  # overflows to infinity
        "change_pct": None,
    }
    assert compare(1.0, 5e-324)["change_pct"] is None


def test_a_huge_integer_in_the_record_is_no_value() -> None:
    record = _record(
        checks=[{"id": "t.py::test_a", "thresholds": [{"name": "x", "measured": 10**400}]}]
    )
    assert Baseline(Path("b.json"), record).lookup("t.py::test_a", "x") is None
