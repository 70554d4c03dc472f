"""``diff_records``/``format_diff`` on real records, and the ``deployready diff`` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready._cli import main
from pytest_deployready._diff import OutcomeChange, diff_records, format_diff
from tests.runner import DeployRunner

pytest_plugins = "pytester"

CONFIG = """
[thresholds]
api_p95_ms = "< 200"
cache_hit_ratio = ">= 60%"
"""
SUITE = """
import json
from pathlib import Path

import pytest

VALUES = json.loads(Path(__file__).with_name("values.json").read_text())
pytestmark = pytest.mark.phase("post")

def test_latency(thresholds):
    thresholds.check("api_p95_ms", VALUES["p95"])

def test_cache(thresholds):
    thresholds.check("cache_hit_ratio", 0.82)

@pytest.mark.severity("minor")
def test_health():
    assert VALUES["healthy"], "health endpoint answered 503"
"""
NEW_CHECK = """
import pytest

@pytest.mark.phase("post")
def test_new_check():
    pass
"""
OLD_CHECK = """
import pytest

@pytest.mark.phase("post")
def test_old_check():
    pass
"""


@pytest.fixture
def records(pytester: pytest.Pytester, deploy_run: DeployRunner) -> tuple[Path, Path]:
    """Two records of the same suite: the latency got worse, health broke, a check moved."""
    pytester.makefile(".toml", deployready=CONFIG)
    pytester.makepyfile(test_suite=SUITE, test_old=OLD_CHECK)
    pytester.path.joinpath("values.json").write_text(json.dumps({"p95": 150.0, "healthy": True}))
    deploy_run(record="before.json", subprocess=False)
    pytester.path.joinpath("test_old.py").unlink()
    pytester.makepyfile(test_new=NEW_CHECK)
    pytester.path.joinpath("values.json").write_text(json.dumps({"p95": 231.4, "healthy": False}))
    deploy_run(record="after.json", subprocess=False)
    return pytester.path / "before.json", pytester.path / "after.json"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_diff_of_two_real_runs(records: tuple[Path, Path]) -> None:
    before, after = (load(p) for p in records)
    assert (before["verdict"], after["verdict"]) == ("GO", "NO_GO")
    d = diff_records(before, after)
    assert d.changed and d.verdict_changed
    assert (d.verdict_before, d.verdict_after) == ("GO", "NO_GO")
    assert d.added == ["test_new.py::test_new_check"]
    assert d.removed == ["test_old.py::test_old_check"]
    assert d.outcomes == [
        OutcomeChange("test_suite.py::test_latency", "passed", "failed"),
        OutcomeChange("test_suite.py::test_health", "passed", "failed"),
    ]
    [m] = d.measurements
    assert (m.check, m.name, m.before, m.after) == (
        "test_suite.py::test_latency",
        "api_p95_ms",
        150.0,
        231.4,
    )
    assert m.change == pytest.approx(81.4)
    assert m.change_pct == pytest.approx(54.2667, rel=1e-4)
    assert (m.rule_before, m.rule_after, m.passed_before, m.passed_after) == (
        "< 200",
        "< 200",
        True,
        False,
    )


def test_format_diff_of_two_real_runs(records: tuple[Path, Path]) -> None:
    before, after = (load(p) for p in records)
    lines = format_diff(diff_records(before, after)).splitlines()
    assert lines[0].startswith("before: verdict GO, started ")
    assert lines[1].startswith("after:  verdict NO_GO, started ")
    assert lines[2:] == [
        "verdict: GO -> NO_GO",
        "checks added (1):",
        "  + test_new.py::test_new_check",
        "checks removed (1):",
        "  - test_old.py::test_old_check",
        "outcomes changed (2):",
        "  test_suite.py::test_latency: passed -> failed",
        "  test_suite.py::test_health: passed -> failed",
        "measurements changed (1):",
        "  test_suite.py::test_latency api_p95_ms: 150 -> 231.4 (+81.4, +54.3%) [now fails < 200]",
    ]


def test_same_record_has_no_changes(records: tuple[Path, Path]) -> None:
    before = load(records[0])
    d = diff_records(before, before)
    assert not d.changed
    assert format_diff(d).splitlines()[-1] == "no changes"


def rec(*checks: dict[str, Any], verdict: str = "GO") -> dict[str, Any]:
    return {"schema": "deployready.record/1", "verdict": verdict, "checks": list(checks)}


def test_measurements_matched_by_name_and_order() -> None:
    def entry(name: str, value: float | None, rule: str = "< 1000") -> dict[str, Any]:
        return {"name": name, "rule": rule, "measured": value, "passed": True}

    before = rec(
        {"id": "a", "outcome": "passed", "thresholds": [entry("p95_ms", 10), entry("p95_ms", 0)]},
        {"id": "b", "outcome": "passed", "thresholds": [entry("gone", 1.0)]},
    )
    after = rec(
        {"id": "a", "outcome": "passed", "thresholds": [entry("p95_ms", 10), entry("p95_ms", 5)]},
        {"id": "b", "outcome": "passed", "thresholds": [entry("new", None, "< 2")]},
    )
    d = diff_records(before, after)
    assert [
        (m.check, m.name, m.before, m.after, m.change, m.change_pct) for m in d.measurements
    ] == [
        ("a", "p95_ms", 0.0, 5.0, 5.0, None),
        ("b", "new", None, None, None, None),
        ("b", "gone", 1.0, None, None, None),
    ]
    text = format_diff(d)
    assert "  a p95_ms: 0 -> 5 (+5)" in text
    assert "  b new: not measured -> not measured" in text
    assert "  b gone: 1 -> not measured" in text
    assert "verdict:" not in text


def test_rule_change_is_shown() -> None:
    def one(rule: str, passed: bool) -> dict[str, Any]:
        t = {"name": "x_ms", "rule": rule, "measured": 180, "passed": passed}
        return rec({"id": "a", "outcome": "passed", "thresholds": [t]})

    [m] = diff_records(one("< 200", True), one("< 150", False)).measurements
    assert m.change == 0.0
    assert format_diff(diff_records(one("< 200", True), one("< 150", False))).endswith(
        "  a x_ms: 180 -> 180 (+0, +0.0%) [rule < 200 -> < 150; now fails < 150]"
    )


def test_a_check_that_turned_flaky_is_called_out(records: tuple[Path, Path]) -> None:
    """A check that passed only on a rerun still says "passed": the diff names the reruns."""
    before = json.loads(records[0].read_text())
    after = json.loads(records[0].read_text())
    flaky = next(c for c in after["checks"] if c["id"].endswith("test_cache"))
    flaky["reruns"] = 2  # as the record of a run under pytest-rerunfailures has it
    d = diff_records(before, after)
    assert d.changed and not d.outcomes and not d.measurements
    assert [(r.check, r.before, r.after) for r in d.reruns] == [(flaky["id"], 0, 2)]
    assert format_diff(d).splitlines()[2:] == [
        "reruns changed (1):",
        f"  {flaky['id']}: 0 -> 2 failed attempts before the last",
    ]
    back = diff_records(after, before)
    assert format_diff(back).splitlines()[-1] == (
        f"  {flaky['id']}: 2 -> 0 failed attempts before the last"
    )


# -- the command -------------------------------------------------------------------------------


def test_cli_diff(records: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before, after = records
    assert main(["diff", str(before), str(after)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == format_diff(diff_records(load(before), load(after))) + "\n"
    assert "verdict: GO -> NO_GO" in out


def test_cli_diff_no_changes(
    records: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(records[0]), str(records[0])]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no changes"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{oops", "not JSON (Expecting property name enclosed in double quotes at line 1"),
        ('{"schema": "x", "checks": []}', "not a deployready record (schema 'x')"),
        (
            '{"schema": "deployready.record/2", "checks": []}',
            "incompatible record schema 'deployready.record/2'; "
            "this version reads deployready.record/1",
        ),
    ],
)
def test_cli_diff_bad_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(rec()))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    assert main(["diff", str(good), str(bad)]) == 4
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"deployready diff: error: record {bad}: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_diff_needs_two_records(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "only-one.json"]) == 4
    assert "the following arguments are required: after" in capsys.readouterr().err
