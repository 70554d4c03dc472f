"""End to end: installed but inactive, the plugin changes nothing in an unrelated suite.

Every run of an ordinary project (passes, failures, errors, skips, xfail/xpass, parametrize,
fixtures in a conftest, markers of its own registered in its ini, ``--strict-markers``) is made
twice in a real subprocess — with the plugin and with ``-p no:deployready`` — and the outcomes,
exit codes, terminal output (durations and the ``plugins:`` line normalised) and JUnit XML
(timestamps, times and hostname normalised) must be identical.
"""

from __future__ import annotations

import difflib
import re

import pytest

from tests.runner import DeployRunner

pytest_plugins = ["pytester"]

INI = """
[pytest]
markers =
    slow: takes a while
    integration(service): talks to a (fake) service
"""

CONFTEST = """
import pytest


@pytest.fixture(scope="session")
def numbers():
    return [1, 2, 3]


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "data.txt").write_text("hello")
    return tmp_path


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(pytest.mark.slow)
"""

SUITE = """
import sys
import warnings

import pytest


def test_passes(numbers):
    assert sum(numbers) == 6


def test_fails(numbers):
    print("debug output on stdout")
    print("debug output on stderr", file=sys.stderr)
    assert numbers == [1, 2, 4]


@pytest.mark.skip(reason="not ready")
def test_skipped():
    pass


@pytest.mark.skipif(sys.platform != "no-such-platform", reason="platform")
def test_skipif():
    pass


def test_skip_inside():
    pytest.skip("decided at run time")


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="maybe fixed")
def test_xpass():
    pass


@pytest.mark.xfail(strict=True, reason="must fail")
def test_xpass_strict():
    pass


@pytest.mark.parametrize(("a", "b"), [(1, 1), (2, 3)], ids=["same", "different"])
def test_equal(a, b):
    assert a == b


@pytest.mark.slow
def test_slow():
    pass


@pytest.mark.integration("fake")
def test_integration(workdir):
    assert (workdir / "data.txt").read_text() == "hello"


def test_error(broken):
    pass


def test_warns():
    warnings.warn("old api", UserWarning)


def test_captured(capsys):
    print("hello")
    assert capsys.readouterr().out == "hello\\n"


class TestGroup:
    def test_method(self, numbers):
        assert numbers

    def test_method_fails(self):
        raise ValueError("boom")
"""


@pytest.fixture
def ordinary(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An unrelated project: no deployready config, markers, fixtures or options."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.delenv("DEPLOYREADY_ENV", raising=False)
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_app=SUITE)
    return pytester


def _normalise(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if line.startswith("plugins: "):
            continue
        line = re.sub(r"\bin \d+\.\d+s( \(\d+:\d\d:\d\d\))?", "in N.NNs", line)
        line = re.sub(r"runpytest-\d+", "runpytest-N", line)
        line = re.sub(r" at 0x[0-9a-f]+", " at 0xADDR", line)
        if line.startswith("metadata: "):  # pytest-metadata's -v header lists the plugins
            line = re.sub(r", 'deployready': '[^']*'", "", line)
        out.append(line)
    return out


def _progress_sorted(lines: list[str]) -> list[str]:
    """xdist: results arrive in any order, so compare lines as a multiset and progress
    characters as a multiset too."""
    out = []
    for line in lines:
        match = re.fullmatch(r"([.FEsxX]+)(\s+\[\s*\d+%\])", line)
        if match:
            line = "".join(sorted(match.group(1))) + "[progress]"
        line = re.sub(r"\[gw\d\] \[\s*\d+%\]", "[gwN] [N%]", line)
        out.append(re.sub(r"\[gw\d\] ", "[gwN] ", line))
    return sorted(out)


def _assert_same_lines(ours: list[str], reference: list[str]) -> None:
    """Equal, or fail with a unified diff (ours = with the plugin)."""
    if ours != reference:
        diff = difflib.unified_diff(reference, ours, "without plugin", "with plugin", lineterm="")
        pytest.fail("output differs:\n" + "\n".join(diff), pytrace=False)


def _twice(deploy_run: DeployRunner, *args: str) -> tuple[pytest.RunResult, pytest.RunResult]:
    """With the plugin and with ``-p no:deployready``, each in a real subprocess."""
    ours = deploy_run.run("--strict-markers", *args)
    reference = deploy_run.run("--strict-markers", "-p", "no:deployready", *args)
    return ours, reference


def _assert_same_run(ours: pytest.RunResult, reference: pytest.RunResult) -> None:
    assert ours.ret == reference.ret
    assert ours.parseoutcomes() == reference.parseoutcomes()
    _assert_same_lines(_normalise(ours.errlines), _normalise(reference.errlines))


EXPECTED = {
    "passed": 7,
    "failed": 4,
    "skipped": 3,
    "xfailed": 1,
    "xpassed": 1,
    "errors": 1,
    "warnings": 1,
}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param((), id="default"),
        pytest.param(("-v",), id="verbose"),
        pytest.param(("-rA",), id="report-all"),
        pytest.param(("-x",), id="exitfirst"),
        pytest.param(("--tb=short", "-l"), id="tb-short-locals"),
        pytest.param(("-W", "error::DeprecationWarning"), id="deprecations-are-errors"),
    ],
)
def test_same_terminal_output_and_exit_code(
    ordinary: pytest.Pytester, deploy_run: DeployRunner, args: tuple[str, ...]
) -> None:
    ours, reference = _twice(deploy_run, *args)
    _assert_same_run(ours, reference)
    assert ours.ret == pytest.ExitCode.TESTS_FAILED
    if "-x" not in args:
        ours.assert_outcomes(**EXPECTED)
    _assert_same_lines(_normalise(ours.outlines), _normalise(reference.outlines))
    assert not any("deployready" in line for line in _normalise(ours.outlines))


def test_same_junit_xml(ordinary: pytest.Pytester, deploy_run: DeployRunner) -> None:
    xml = []
    for disable in ((), ("-p", "no:deployready")):
        result = deploy_run.run("--strict-markers", "--junitxml", "junit.xml", *disable)
        result.assert_outcomes(**EXPECTED)
        text = (ordinary.path / "junit.xml").read_text(encoding="utf-8")
        text = re.sub(r'\b(timestamp|time|hostname)="[^"]*"', r'\1=""', text)
        text = re.sub(r" at 0x[0-9a-f]+", " at 0xADDR", text)
        xml.append(re.sub(r"runpytest-\d+", "runpytest-N", text))
    _assert_same_lines(xml[0].split("><"), xml[1].split("><"))
    assert "<testcase" in xml[0]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("-n", "2"), id="xdist"),
        pytest.param(("-n", "2", "-v", "-rA"), id="xdist-verbose"),
    ],
)
def test_same_under_xdist(
    ordinary: pytest.Pytester, deploy_run: DeployRunner, args: tuple[str, ...]
) -> None:
    ours, reference = _twice(deploy_run, *args)
    _assert_same_run(ours, reference)
    assert ours.ret == pytest.ExitCode.TESTS_FAILED
    ours.assert_outcomes(**EXPECTED)
    _assert_same_lines(
        _progress_sorted(_normalise(ours.outlines)),
        _progress_sorted(_normalise(reference.outlines)),
    )


def test_same_collect_only(ordinary: pytest.Pytester, deploy_run: DeployRunner) -> None:
    ours, reference = _twice(deploy_run, "--collect-only", "-q")
    _assert_same_run(ours, reference)
    assert ours.ret == pytest.ExitCode.OK
    _assert_same_lines(_normalise(ours.outlines), _normalise(reference.outlines))


def test_passing_suite_exits_zero(ordinary: pytest.Pytester, deploy_run: DeployRunner) -> None:
    ours, reference = _twice(deploy_run, "-k", "passes or method and not fails")
    _assert_same_run(ours, reference)
    assert ours.ret == pytest.ExitCode.OK
    ours.assert_outcomes(passed=2, deselected=15)
    _assert_same_lines(_normalise(ours.outlines), _normalise(reference.outlines))


def test_no_tests_collected_exit_code(ordinary: pytest.Pytester, deploy_run: DeployRunner) -> None:
    ours, reference = _twice(deploy_run, "-k", "no_such_test")
    _assert_same_run(ours, reference)
    assert ours.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    _assert_same_lines(_normalise(ours.outlines), _normalise(reference.outlines))


def test_strict_markers_catches_a_typo_the_same_way(
    ordinary: pytest.Pytester, deploy_run: DeployRunner
) -> None:
    ordinary.makepyfile(
        test_typo="import pytest\n\n@pytest.mark.slwo\ndef test_typo():\n    pass\n"
    )
    ours, reference = _twice(deploy_run, "test_typo.py")
    _assert_same_run(ours, reference)
    assert ours.ret == pytest.ExitCode.INTERRUPTED
    _assert_same_lines(_normalise(ours.outlines), _normalise(reference.outlines))


# -- the project's own names -------------------------------------------------------------

OWN_FIXTURES = """
import pytest


@pytest.fixture
def db():
    return {"users": 1}


@pytest.fixture
def redis():
    return {"hits": 3}


@pytest.fixture
def api():
    return "client"


@pytest.fixture
def evidence():
    return []


@pytest.fixture
def thresholds():
    return {"p95": 200}
"""

OWN_FIXTURE_TESTS = """
def test_db(db):
    assert db["users"] == 2


def test_redis(redis, api):
    assert redis["hits"] == 3 and api == "client"


def test_evidence(evidence, thresholds):
    evidence.append(thresholds["p95"])
    assert evidence == [200]
"""


def test_own_fixtures_with_our_names_do_not_activate(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project's own ``db``/``redis``/``api``/``evidence`` fixtures are not ours."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makeconftest(OWN_FIXTURES)
    pytester.makepyfile(test_own=OWN_FIXTURE_TESTS)
    for args in ((), ("-rA",), ("-n", "2")):
        ours, reference = _twice(deploy_run, *args)
        _assert_same_run(ours, reference)
        assert ours.ret == pytest.ExitCode.TESTS_FAILED
        ours.assert_outcomes(passed=2, failed=1)
        out, ref = _normalise(ours.outlines), _normalise(reference.outlines)
        if "-n" in args:
            out, ref = _progress_sorted(out), _progress_sorted(ref)
        _assert_same_lines(out, ref)


OWN_MARKERS_INI = """
[pytest]
markers =
    manual: needs a person in front of the screen
    severity(level): low, medium or high, for the QA dashboard
    section(name): documentation section
"""

OWN_MARKER_TESTS = """
import pytest


@pytest.mark.manual
def test_manual():
    pass


@pytest.mark.severity("low")
def test_low():
    assert False


@pytest.mark.section("intro")
def test_intro():
    pass
"""


def test_own_markers_with_our_names_do_not_activate(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project that registered its own ``manual``, ``severity`` and ``section`` markers
    (with other signatures and values) must run as before: same outcomes, same exit code."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makeini(OWN_MARKERS_INI)
    pytester.makepyfile(test_own=OWN_MARKER_TESTS)
    ours, reference = _twice(deploy_run)
    assert ours.ret == reference.ret == pytest.ExitCode.TESTS_FAILED, "\n".join(ours.errlines)
    _assert_same_run(ours, reference)
    ours.assert_outcomes(passed=2, failed=1)
    _assert_same_lines(_normalise(ours.outlines), _normalise(reference.outlines))


# -- what the plugin may add: its markers and options in the help --------------------------


def test_markers_are_listed(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without opting in only ``phase`` (the marker that opts in); with a config file, all."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    result = deploy_run.run("--markers")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["@pytest.mark.phase(*names):*"])
    for name in ("severity", "rollback_trigger", "manual", "section"):
        assert f"@pytest.mark.{name}" not in result.stdout.str()
    pytester.path.joinpath("deployready.toml").write_text("", encoding="utf-8")
    result = deploy_run.run("--markers")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines_random(
        [
            "@pytest.mark.phase(*names):*",
            "@pytest.mark.severity(level):*",
            "@pytest.mark.rollback_trigger(reason=''):*",
            "@pytest.mark.manual(role, *, reason=''):*",
            "@pytest.mark.section(name):*",
        ]
    )
    reference = deploy_run.run("--markers", "-p", "no:deployready")
    assert "@pytest.mark.phase" not in reference.stdout.str()


def test_help_shows_the_deployready_group(
    deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    result = deploy_run.run("--help")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "deployment readiness (pytest-deployready):",
            "  --deploy-phase=PHASES*",
            "  --deploy-continue*",
            "  --deploy-config=PATH*",
            "  --deploy-env=NAME*",
            "  --deploy-threshold=NAME=RULE*",
            "  --deploy-record=PATH*",
        ]
    )
    reference = deploy_run.run("--help", "-p", "no:deployready")
    assert "--deploy-phase" not in reference.stdout.str()
