"""Bad inputs: measurements that are not numbers, baselines and attestation files that do not fit.

Every case ends in one clear line: a failed threshold recorded as such, a usage error (exit 4)
or a warning in the terminal and the record. Never a pass, a traceback or silence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_deployready import _cli as cli
from pytest_deployready._attest import AttestationError, load_attestations
from tests.servers.redis import RedisServer, RedisServerFactory

SCHEMA_PATH = Path(__file__).parents[2] / "pytest_deployready/schema/record-1.schema.json"


def read_record(pytester: pytest.Pytester, name: str = "rec.json") -> dict[str, Any]:
    """The record as written: strict JSON (no NaN/Infinity literals), valid against the schema."""
    text = Path(pytester.path, name).read_text(encoding="utf-8")

    def refuse(literal: str) -> float:
        raise AssertionError(f"the record holds the non-JSON literal {literal}")

    record: dict[str, Any] = json.loads(text, parse_constant=refuse)
    jsonschema.validate(record, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    return record


def by_name(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"].split("::")[-1]: c for c in record["checks"]}


def assert_one_line_usage_error(result: pytest.RunResult, *fragments: str) -> None:
    assert result.ret == 4
    text = result.stdout.str() + "\n" + result.stderr.str()
    assert "Traceback" not in text and "INTERNALERROR" not in text
    errors = [line for line in text.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, text
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


# -- measurements that are not finite numbers ------------------------------------------------

NOT_NUMBERS = {
    "minus_inf": ('float("-inf")', "lat_ms", "-inf — not a finite number"),
    "plus_inf": ('float("inf")', "hit_ratio", "inf — not a finite number"),
    "nan": ('float("nan")', "lat_ms", "nan — not a finite number"),
    "huge_int": ("10**400", "lat_ms", "an integer of 401 digits — too large for a float"),
    "bool": ("True", "hit_ratio", "True — a bool, not a number"),
    "string": ('"120"', "lat_ms", "'120' — a str, not a number"),
    "none": ("None", "hit_ratio", "None — no value"),
}
THRESHOLDS = '[thresholds]\nlat_ms = "< 200"\nhit_ratio = ">= 60%"\n'


def test_values_that_are_not_finite_numbers_fail_and_are_recorded_as_such(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", deployready=THRESHOLDS)
    checks = "".join(
        f"\ndef test_{key}(thresholds):\n    thresholds.check({name!r}, {value})\n"
        for key, (value, name, _) in NOT_NUMBERS.items()
    )
    pytester.makepyfile(
        "import pytest\npytestmark = pytest.mark.phase('post')\n"
        + checks
        + "\ndef test_fine(thresholds):\n    thresholds.check('lat_ms', 120)\n"
    )
    result = pytester.runpytest("--deploy-record=rec.json")
    record = read_record(pytester)
    checks_by_name = by_name(record)
    for key, (_, name, why) in NOT_NUMBERS.items():
        check = checks_by_name[f"test_{key}"]
        assert check["outcome"] == "failed", key
        (entry,) = check["thresholds"]
        assert entry["name"] == name and entry["passed"] is False and entry["measured"] is None
        assert entry["invalid"].startswith(why), entry
        result.stdout.fnmatch_lines([f"*BLOCKING *::test_{key} *: {name}: measured {why}*"])
    assert checks_by_name["test_fine"]["outcome"] == "passed"
    assert record["verdict"] == "NO_GO" and result.ret == 1
    assert "Traceback" not in result.stdout.str() and "OverflowError" not in result.stdout.str()


def test_evidence_that_is_not_finite_is_refused_and_the_record_stays_json(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.phase("post")

        def test_nan(evidence):
            evidence.add("ratio", float("nan"))

        def test_changed_after(evidence):
            rows = [1.0]
            evidence.add("rows", rows)
            rows.append(float("inf"))  # too late: the record keeps what was added
        """
    )
    result = pytester.runpytest("--deploy-record=rec.json")
    checks = by_name(read_record(pytester))
    assert checks["test_nan"]["outcome"] == "failed"
    assert checks["test_changed_after"]["evidence"] == {"rows": [1.0]}
    result.stdout.fnmatch_lines(["*evidence 'ratio': nan is not finite (NaN or infinity)*"])


@pytest.fixture(scope="module")
def fresh_redis(redis_server_factory: RedisServerFactory) -> RedisServer:
    """A Redis server nobody has read a key from: ``hit_ratio()`` is None."""
    return redis_server_factory("inputs-fresh", password=None, appendonly=False, save="")


def test_redis_hit_ratio_of_none_fails_the_rule(
    pytester: pytest.Pytester, fresh_redis: RedisServer
) -> None:
    pytester.makefile(
        ".toml",
        deployready=f'[targets]\nredis_url = "{fresh_redis.url}"\n'
        '[thresholds]\ncache_hit_ratio = ">= 60%"\n',
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.phase("post")
        def test_cache(redis, thresholds):
            thresholds.check("cache_hit_ratio", redis.hit_ratio())
        """
    )
    result = pytester.runpytest("--deploy-record=rec.json")
    (check,) = read_record(pytester)["checks"]
    assert check["outcome"] == "failed"
    assert check["thresholds"][0]["invalid"] == "None — no value"
    result.stdout.fnmatch_lines(["*cache_hit_ratio: measured None — no value, required >= 60% (*"])
    assert result.ret == 1


# -- baselines that do not fit ---------------------------------------------------------------


def baseline_record(path: Path, **fields: Any) -> None:
    """A minimal valid record of a suite with one check ``other/test_perf.py::test_latency``."""
    record: dict[str, Any] = {
        "schema": "deployready.record/1",
        "title": "Payments",
        "verdict": "GO",
        "complete": True,
        "config": {"path": None, "digest": "sha256:other"},
        "checks": [
            {
                "id": "other/test_perf.py::test_latency",
                "thresholds": [{"name": "api_p95_ms", "measured": 100.0}],
            }
        ],
    }
    record.update(fields)
    path.write_text(json.dumps(record), encoding="utf-8")


PERF_SUITE = """
import pytest
pytestmark = pytest.mark.phase("post")

def test_latency(thresholds):
    thresholds.check("api_p95_ms", 60)
"""


def test_a_baseline_of_another_suite_is_refused(pytester: pytest.Pytester) -> None:
    """Before: its test_latency's value was compared with this suite's test_latency (GO)."""
    pytester.makefile(".toml", deployready='[thresholds]\napi_p95_ms = "<= baseline * 0.7"\n')
    pytester.makepyfile(test_checkout=PERF_SUITE)
    baseline_record(pytester.path / "payments.json")
    result = pytester.runpytest("--deploy-baseline=payments.json", "--deploy-record=rec.json")
    assert_one_line_usage_error(result, "payments.json is not a record of this suite")


@pytest.mark.parametrize(
    ("fields", "warning"),
    [
        ({"verdict": "NO_GO"}, "it is a NO_GO record"),
        ({"verdict": "ROLLBACK"}, "it is a ROLLBACK record"),
        ({"complete": False}, "it is incomplete (complete: false"),
        ({"verdict": None}, "it is a no verdict record"),
    ],
    ids=["no-go", "rollback", "incomplete", "no-verdict"],
)
def test_a_failed_or_incomplete_baseline_is_warned_about(
    pytester: pytest.Pytester, fields: dict[str, Any], warning: str
) -> None:
    pytester.makefile(".toml", deployready='[thresholds]\napi_p95_ms = "<= baseline * 0.7"\n')
    pytester.makepyfile(test_perf=PERF_SUITE)
    baseline_record(
        pytester.path / "prev.json",
        checks=[
            {
                "id": "test_perf.py::test_latency",
                "thresholds": [{"name": "api_p95_ms", "measured": 100}],
            }
        ],
        **fields,
    )
    result = pytester.runpytest("--deploy-baseline=prev.json", "--deploy-record=rec.json")
    record = read_record(pytester)
    assert record["verdict"] == "GO" and result.ret == 0  # used, but loudly
    assert any(w.startswith(warning) for w in record["baseline"]["warnings"])
    result.stdout.fnmatch_lines([f"warning: baseline *prev.json: {warning}*"])


@pytest.mark.parametrize("measured", ["NaN", "Infinity", "-Infinity", "1" + "0" * 400, "null"])
def test_a_baseline_value_that_is_not_finite_is_no_baseline(
    pytester: pytest.Pytester, measured: str
) -> None:
    """Before: a huge integer in the baseline crashed the run with OverflowError."""
    pytester.makefile(".toml", deployready='[thresholds]\napi_p95_ms = "<= baseline * 0.7"\n')
    pytester.makepyfile(test_perf=PERF_SUITE)
    text = (
        '{"schema": "deployready.record/1", "verdict": "GO", "complete": true, "checks": '
        '[{"id": "test_perf.py::test_latency", "thresholds": [{"name": "api_p95_ms", '
        f'"measured": {measured}}}]}}]}}'
    )
    Path(pytester.path, "prev.json").write_text(text, encoding="utf-8")
    result = pytester.runpytest("--deploy-baseline=prev.json", "--deploy-record=rec.json")
    (check,) = read_record(pytester)["checks"]
    assert check["outcome"] == "failed" and check["thresholds"][0]["passed"] is False
    result.stdout.fnmatch_lines(["*baseline prev.json has no finite measurement of it*"])
    assert result.ret == 1


# -- attestation files -----------------------------------------------------------------------

BAD_FILES: dict[str, tuple[str, bytes, str]] = {
    "latin-1": (
        "a.toml",
        '[[attestation]]\ncheck = "x::y"\nby = "Zoë"\n'.encode("latin-1"),
        "not UTF-8",
    ),
    "utf-16": ("a.toml", '[[attestation]]\ncheck = "x::y"\n'.encode("utf-16"), "not UTF-8"),
    "binary": ("a.yaml", b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    "yaml-date": (
        "a.yaml",
        b"- check: x::y\n  by: A\n  role: B\n  at: 2026-99-99\n",
        "month must be",
    ),
    "yaml-day": (
        "a.yml",
        b"- check: x::y\n  by: A\n  role: B\n  at: 2026-02-30\n",
        "day is out of",
    ),
    "toml-date": ("a.toml", b'[[attestation]]\ncheck = "x::y"\nat = 2026-99-99\n', "cannot parse"),
    "plural": (
        "a.toml",
        b'[[attestations]]\ncheck = "x::y"\nby = "A"\nrole = "B"\n',
        "did you mean 'attestation'",
    ),
    "yaml-key": (
        "a.yaml",
        b"attestations:\n  - check: x::y\n",
        "unknown top-level key 'attestations'",
    ),
    "other-key": ("a.toml", b'[signoff]\nby = "A"\n', "unknown top-level key 'signoff'"),
    "by-number": (
        "a.toml",
        b'[[attestation]]\ncheck = "x::y"\nby = 1.5\nrole = "B"\n',
        "'by' must be a string",
    ),
    "at-list": ("a.yaml", b"- {check: x::y, by: A, role: B, at: [1]}\n", "'at' must be a string"),
    "yaml-scalar": ("a.yaml", b"just some text\n", "expected a list"),
    "one-table": ("a.toml", b'[attestation]\ncheck = "x::y"\n', "expected a list"),
}


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES.values(), ids=BAD_FILES)
def test_bad_attestation_files_are_one_line_errors(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AttestationError) as info:
        load_attestations(path)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith(f"{path}: ") or str(path) in str(info.value)


@pytest.mark.parametrize("case", ["latin-1", "yaml-date", "plural"])
def test_bad_attestation_file_stops_the_run_with_exit_4(
    pytester: pytest.Pytester, case: str
) -> None:
    name, content, message = BAD_FILES[case]
    Path(pytester.path, name).write_bytes(content)
    pytester.makepyfile("import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    result = pytester.runpytest(f"--deploy-attest={name}")
    assert_one_line_usage_error(result, message)


def test_attest_command_on_a_bad_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for case in ("latin-1", "utf-16", "yaml-date"):
        name, content, message = BAD_FILES[case]
        Path(name).write_bytes(content)
        code = cli.main(["attest", "t.py::test_a", "--by", "A", "--role", "B", "--file", name])
        err = capsys.readouterr().err
        assert code == 4
        assert err.startswith("deployready attest: error: ") and message in err
        assert err.count("\n") == 1
        assert Path(name).read_bytes() == content  # nothing appended to a broken file


def test_attest_command_warns_about_an_id_that_matches_no_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("checks").mkdir()
    Path("checks/test_pre.py").write_text(
        "def test_pr_approved():\n    pass\n\nclass TestOps:\n    def test_notified(self):\n"
        "        pass\n"
    )
    argv = ["--by", "Jane", "--role", "Lead", "--file", "a.toml"]
    assert cli.main(["attest", "checks/test_pre.py::test_pr_aproved", *argv]) == 0
    err = capsys.readouterr().err
    assert err == (
        "deployready attest: warning: no test_pr_aproved in checks/test_pre.py; "
        "did you mean 'checks/test_pre.py::test_pr_approved'?\n"
    )
    assert cli.main(["attest", "chekcs/test_pre.py::test_pr_approved", *argv]) == 0
    assert "no file chekcs/test_pre.py under" in capsys.readouterr().err
    for good in (
        "checks/test_pre.py::TestOps::test_notified",
        "checks/test_pre.py::test_pr_approved[x]",
        "signoff",
    ):
        assert cli.main(["attest", good, *argv]) == 0
        assert capsys.readouterr().err == ""
    assert len(load_attestations(Path("a.toml")).entries) == 5  # warned, appended all the same


def test_attestations_that_match_nothing_are_warned_about(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready='signoff = ["QA"]\n')
    pytester.makepyfile(
        test_pre="""
        import pytest
        pytestmark = pytest.mark.phase("pre")

        @pytest.mark.manual("Team lead")
        def test_pr_approved():
            "PR approved"
        """
    )
    Path(pytester.path, "att.toml").write_text(
        '[[attestation]]\ncheck = "test_pre.py::test_pr_aproved"\nby = "Jane"\nrole = "Team lead"\n'
        '[[attestation]]\ntitle = "PR aproved"\nby = "Jane"\nrole = "Team lead"\n'
        '[[attestation]]\ncheck = "signoff"\nby = "Ann"\nrole = "Security"\n'
        '[[attestation]]\ncheck = "signoff"\nby = "Bob"\nrole = "qa"\n',
        encoding="utf-8",
    )
    result = pytester.runpytest("--deploy-attest=att.toml", "--deploy-record=rec.json")
    entries = read_record(pytester)["attestations"]
    assert [e["matches"] for e in entries] == [False, False, False, True]
    assert entries[0]["warning"] == (
        "attestation of check test_pre.py::test_pr_aproved by Jane (Team lead) matches no check "
        "of this run; did you mean 'test_pre.py::test_pr_approved'?"
    )
    result.stdout.fnmatch_lines(
        [
            "warning: attestation of check test_pre.py::test_pr_aproved * did you mean*",
            "warning: attestation of title 'PR aproved' *; did you mean 'PR approved'?",
            "warning: sign-off by Ann (Security) matches no sign-off role (signoff roles: QA)",
        ]
    )
    assert result.ret == 1  # the mistyped attestation did not count: still pending


@pytest.mark.parametrize("role", ['""', '"   "', "3", "None"])
def test_a_manual_marker_without_a_role_is_a_usage_error(
    pytester: pytest.Pytester, role: str
) -> None:
    pytester.makepyfile(
        f"import pytest\n@pytest.mark.phase('pre')\n@pytest.mark.manual({role})\n"
        "def test_pr_approved():\n    pass\n"
    )
    result = pytester.runpytest("--deploy-record=rec.json")
    assert_one_line_usage_error(result, "::test_pr_approved: ", "@pytest.mark.manual")
