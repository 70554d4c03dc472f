"""The deployment record: schema, contents, atomic write, interrupted runs, xdist."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_deployready._record import SCHEMA_PATH, write_record

SUITE = """
import pytest

@pytest.mark.phase("pre")
@pytest.mark.severity("critical")
def test_migrations(thresholds, evidence):
    \"\"\"Migrations are applied\"\"\"
    evidence.add("alembic_head", "a1b2c3")
    thresholds.check("pending_migrations", 0)

@pytest.mark.phase("post")
class TestCache:
    \"\"\"Cache layer\"\"\"
    def test_hit_ratio(self, thresholds):
        thresholds.check("cache_hit_ratio", 0.82)
"""
CONFIG = """
[thresholds]
pending_migrations = "== 0"
cache_hit_ratio = ">= 60%"
"""


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def validate(record: dict[str, Any]) -> None:
    jsonschema.validate(record, json.loads(SCHEMA_PATH.read_text()))


def test_record_fields_and_schema(pytester: pytest.Pytester) -> None:
    subprocess.run(["git", "init", "-q", "-b", "release/1.4"], cwd=pytester.path, check=True)
    pytester.makefile(".toml", deployready=CONFIG)
    pytester.makepyfile(SUITE)
    subprocess.run(["git", "add", "-A"], cwd=pytester.path, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
        cwd=pytester.path,
        check=True,
    )
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=pytester.path, capture_output=True, text=True, check=True
    ).stdout.strip()
    result = pytester.runpytest("--deploy-record=out/record.json")
    assert result.ret == 0
    rec = load(pytester.path / "out" / "record.json")
    validate(rec)
    assert rec["schema"] == "deployready.record/1"
    assert rec["verdict"] == "GO" and rec["complete"] is True
    assert rec["metadata"]["git_commit"] == commit
    assert rec["metadata"]["git_branch"] == "release/1.4"
    assert rec["metadata"]["config_digest"].startswith("sha256:")
    assert rec["metadata"]["plugin_version"]
    assert rec["started_at"] <= rec["finished_at"]
    first, second = rec["checks"]
    assert first["title"] == "Migrations are applied"
    assert first["severity"] == "critical" and first["phase"] == "pre"
    assert first["evidence"] == {"alembic_head": "a1b2c3"}
    assert first["thresholds"] == [
        {
            "name": "pending_migrations",
            "rule": "== 0",
            "measured": 0.0,
            "passed": True,
            "source": "deployready.toml",
        }
    ]
    assert second["section"] == "Cache layer"
    assert second["title"] == "Hit ratio"
    assert second["thresholds"][0]["rule"] == ">= 60%"
    assert rec["summary"]["passed"] == 2 and rec["summary"]["total"] == 2


def test_a_teardown_that_fails_after_a_passing_call_is_an_error(
    pytester: pytest.Pytester,
) -> None:
    """The teardown report may reuse its call's data only when it passed: a failing teardown
    after a passing, measured call makes the check an error and the run NO_GO."""
    pytester.makefile(".toml", deployready='[thresholds]\nlatency_ms = "< 100"\n')
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def leaky(evidence):
            evidence.add("opened", True)
            yield
            raise RuntimeError("could not close the connection")

        @pytest.mark.phase("pre")
        def test_measured(leaky, thresholds):
            thresholds.check("latency_ms", 10)
        """
    )
    result = pytester.runpytest("--deploy-record=record.json")
    record = load(pytester.path / "record.json")
    (check,) = record["checks"]
    assert check["outcome"] == "error" and "could not close" in check["message"]
    assert check["evidence"] == {"opened": True} and check["thresholds"][0]["passed"] is True
    assert record["verdict"] == "NO_GO" and result.ret != 0


def test_evidence_and_thresholds_land_on_their_own_check(pytester: pytest.Pytester) -> None:
    """Through a fixture of the user's, getfixturevalue in the body and a test class alike."""
    pytester.makefile(".toml", deployready='[thresholds]\nlatency_ms = "< 100"\n')
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.phase("pre")

        @pytest.fixture
        def seeded(evidence):
            evidence.add("seeded_by", "fixture")
            yield evidence
            evidence.add("closed", True)  # after the call's report: the teardown's carries it

        def test_through_fixture(seeded, thresholds):
            seeded.add("body", 1)
            thresholds.check("latency_ms", 10)

        def test_in_body(request):
            request.getfixturevalue("evidence").add("body", 2)
            request.getfixturevalue("thresholds").check("latency_ms", 20)

        def test_nothing():
            pass

        @pytest.fixture
        def reopened(evidence):
            evidence.add("state", "open")
            yield
            evidence.add("state", "closed")  # same name, same count: the teardown carries it

        def test_changed_at_teardown(reopened):
            pass

        @pytest.fixture
        def measured_last(evidence, thresholds):
            evidence.add("before", 1)
            yield
            thresholds.check("latency_ms", 30)

        def test_measured_at_teardown(measured_last):
            pass

        class TestGroup:
            def test_method(self, evidence, thresholds):
                evidence.add("body", 3)
                thresholds.check("latency_ms", 300)
        """
    )
    result = pytester.runpytest("--deploy-continue", "--deploy-record=record.json")
    result.assert_outcomes(passed=5, failed=1)
    checks = {c["id"].rsplit("::", 1)[-1]: c for c in load(pytester.path / "record.json")["checks"]}
    assert checks["test_changed_at_teardown"]["evidence"] == {"state": "closed"}
    assert [t["measured"] for t in checks["test_measured_at_teardown"]["thresholds"]] == [30.0]
    assert checks["test_through_fixture"]["evidence"] == {
        "seeded_by": "fixture",
        "body": 1,
        "closed": True,
    }
    assert [t["measured"] for t in checks["test_through_fixture"]["thresholds"]] == [10.0]
    assert checks["test_in_body"]["evidence"] == {"body": 2}
    assert [t["measured"] for t in checks["test_in_body"]["thresholds"]] == [20.0]
    assert checks["test_nothing"]["evidence"] == {} and checks["test_nothing"]["thresholds"] == []
    assert checks["test_method"]["evidence"] == {"body": 3}
    assert checks["test_method"]["thresholds"][0]["passed"] is False
    assert checks["test_method"]["outcome"] == "failed"


def test_record_written_atomically_without_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text('{"old": true}')
    write_record(target, {"schema": "deployready.record/1", "n": 1})
    assert load(target) == {"schema": "deployready.record/1", "n": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
    assert target.stat().st_mode & 0o044 == 0o044  # readable by others: records are shared
    with pytest.raises(ValueError):
        write_record(target, {"bad": float("nan")})
    assert load(target) == {"schema": "deployready.record/1", "n": 1}  # old record intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_ctrl_c_still_writes_incomplete_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, signal
        import pytest
        pytestmark = pytest.mark.phase("pre")
        def test_first():
            pass
        def test_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
        def test_never_runs():
            pass
        """
    )
    result = pytester.runpytest_subprocess("--deploy-record=rec.json")
    assert result.ret == 2
    rec = load(pytester.path / "rec.json")
    validate(rec)
    assert rec["complete"] is False
    assert rec["verdict"] == "NO_GO"
    assert rec["exit_code"] == 2
    assert "the run did not complete" in rec["verdict_reasons"]
    by = {c["id"].split("::")[-1]: c for c in rec["checks"]}
    assert sorted(by) == ["test_first", "test_interrupt"]
    assert by["test_first"]["outcome"] == "passed"
    assert by["test_interrupt"]["outcome"] == "error"
    assert by["test_interrupt"]["message"] == "interrupted before the check finished"
    assert "incomplete run" in result.stdout.lines[-1]


def test_internal_error_still_writes_incomplete_record(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        def pytest_runtest_logfinish(nodeid):
            if nodeid.endswith("test_b"):
                raise RuntimeError("plugin exploded")
        """
    )
    pytester.makepyfile(
        "import pytest\npytestmark = pytest.mark.phase('pre')\n"
        "def test_a():\n    pass\ndef test_b():\n    pass\ndef test_c():\n    pass\n"
    )
    result = pytester.runpytest_subprocess("--deploy-record=rec.json")
    assert result.ret == 3
    rec = load(pytester.path / "rec.json")
    assert rec["complete"] is False and rec["verdict"] == "NO_GO"


def test_maxfail_stop_is_incomplete(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\npytestmark = pytest.mark.phase('pre')\n"
        "def test_a():\n    assert False\ndef test_b():\n    pass\n"
    )
    pytester.runpytest_subprocess("--deploy-record=rec.json", "-x")
    rec = load(pytester.path / "rec.json")
    assert rec["complete"] is False


def test_one_record_from_the_controller_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready=CONFIG)
    pytester.makepyfile(
        SUITE
        + "".join(
            f"\n@pytest.mark.phase('pre')\n"
            f"def test_more_{i}(evidence):\n    evidence.add('i', {i})\n"
            for i in range(10)
        )
    )
    result = pytester.runpytest_subprocess("-n", "2", "--deploy-record=rec.json")
    assert result.ret == 0
    rec = load(pytester.path / "rec.json")
    validate(rec)
    assert len(rec["checks"]) == 12
    assert {c["evidence"].get("i") for c in rec["checks"] if "more" in c["id"]} == set(range(10))
    migrations = next(c for c in rec["checks"] if c["id"].endswith("test_migrations"))
    assert migrations["thresholds"][0]["name"] == "pending_migrations"
    assert sorted(p.name for p in pytester.path.iterdir() if p.suffix == ".json") == ["rec.json"]


def test_record_path_from_config_and_bad_path(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready='[report]\nrecord = "records/latest.json"\n')
    pytester.makepyfile("import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    pytester.runpytest()
    assert load(pytester.path / "records" / "latest.json")["verdict"] == "GO"
    (pytester.path / "adir").mkdir()
    result = pytester.runpytest_subprocess("--deploy-record=adir")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--deploy-record: *adir is a directory*"])


def test_record_hook_can_add_fields(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        def pytest_deployready_record(record, config):
            record["metadata"]["change_ticket"] = "CHG-1234"
        seen = []
        def pytest_deployready_verdict(verdict, reasons, config):
            print("VERDICT HOOK", verdict)
        """
    )
    pytester.makepyfile("import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    result = pytester.runpytest_subprocess("--deploy-record=rec.json", "-s")
    result.stdout.fnmatch_lines(["*VERDICT HOOK GO*"])
    assert load(pytester.path / "rec.json")["metadata"]["change_ticket"] == "CHG-1234"


def test_collection_error_is_in_the_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_good="import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n",
        test_bad="import pytest\nraise RuntimeError('syntax of the checklist is wrong')\n",
    )
    result = pytester.runpytest_subprocess("--deploy-record=rec.json")
    assert result.ret == 2
    rec = load(pytester.path / "rec.json")
    assert rec["verdict"] == "NO_GO" and rec["complete"] is False
    assert any(c["outcome"] == "error" and "test_bad.py" in c["id"] for c in rec["checks"])
