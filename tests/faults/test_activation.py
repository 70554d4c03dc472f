"""The activation rule: the plugin acts only on a suite that opted in.

A suite opts in with a ``deployready.toml`` (or ``[tool.deployready]``), a ``--deploy-*``
option, or our ``phase`` marker (not one the project registered itself). Any other run must
be exactly the run of ``-p no:deployready``: outcomes, exit code, terminal output, with and
without ``--strict-markers``, with the project's own markers of our names registered or not,
and under ``-n 2``. Each case runs twice in a real subprocess and compares (test_hygiene.py
has the helpers and the registered-markers and same-named-fixtures cases).
"""

from __future__ import annotations

import pytest

from tests.runner import DeployRunner
from tests.test_hygiene import _assert_same_lines, _normalise, _progress_sorted

pytest_plugins = ["pytester"]

#: a project's own markers that happen to carry our names, with other meanings and values
SAME_NAMED = """
import pytest


@pytest.mark.severity("minor")
def test_minor_fails():
    assert False


@pytest.mark.severity("INFO")
def test_info_passes():
    pass


@pytest.mark.manual
def test_manual_passes():
    pass


@pytest.mark.manual("")
def test_manual_empty_role():
    pass


@pytest.mark.rollback_trigger(42)
def test_rollback_fails():
    assert False


@pytest.mark.section(["a", "b"])
def test_section():
    pass
"""

REGISTERED_INI = """
[pytest]
markers =
    severity(level): QA dashboard level
    manual: needs a person
    rollback_trigger: ops alarm
    section: docs section
"""

CASES = [
    pytest.param((), id="plain"),
    pytest.param(("-m", "manual"), id="select-manual"),
    pytest.param(("-m", "severity and not manual"), id="select-severity"),
    pytest.param(("-rA",), id="report-all"),
    pytest.param(("--strict-markers",), id="strict"),
    pytest.param(("--strict-markers", "-m", "manual"), id="strict-select-manual"),
]


def compare(deploy_run: DeployRunner, *args: str, xdist: bool = False) -> pytest.RunResult:
    """Run with and without the plugin; everything a user sees must be the same."""
    ours = deploy_run.run(*args)
    reference = deploy_run.run("-p", "no:deployready", *args)
    assert ours.ret == reference.ret, ours.stdout.str() + ours.stderr.str()
    out, ref = _normalise(ours.outlines), _normalise(reference.outlines)
    if xdist:
        out, ref = _progress_sorted(out), _progress_sorted(ref)
    _assert_same_lines(out, ref)
    _assert_same_lines(_normalise(ours.errlines), _normalise(reference.errlines))
    assert not any("deployready" in line for line in out)
    return ours


@pytest.mark.parametrize("registered", [False, True], ids=["unregistered", "registered"])
@pytest.mark.parametrize("args", CASES)
def test_same_named_markers_change_nothing(
    pytester: pytest.Pytester, deploy_run: DeployRunner, args: tuple[str, ...], registered: bool
) -> None:
    if registered:
        pytester.makeini(REGISTERED_INI)
    pytester.makepyfile(test_own=SAME_NAMED)
    compare(deploy_run, *args)


@pytest.mark.parametrize("registered", [False, True], ids=["unregistered", "registered"])
def test_same_named_markers_change_nothing_under_xdist(
    pytester: pytest.Pytester, deploy_run: DeployRunner, registered: bool
) -> None:
    if registered:
        pytester.makeini(REGISTERED_INI)
    pytester.makepyfile(test_own=SAME_NAMED)
    compare(deploy_run, "-n", "2", xdist=True)


def test_the_issue_examples(pytester: pytest.Pytester, deploy_run: DeployRunner) -> None:
    """severity("minor") keeps exit 1; severity("INFO") runs; ``-m manual`` is not exit 4."""
    pytester.makepyfile(test_own=SAME_NAMED)
    assert compare(deploy_run).ret == pytest.ExitCode.TESTS_FAILED
    assert compare(deploy_run, "-k", "info").ret == pytest.ExitCode.OK
    assert compare(deploy_run, "-m", "manual").ret == pytest.ExitCode.OK


def test_the_projects_own_phase_marker_is_not_ours(
    pytester: pytest.Pytester, deploy_run: DeployRunner
) -> None:
    pytester.makeini("[pytest]\nmarkers =\n    phase(name): rollout wave\n")
    pytester.makepyfile(
        test_own=SAME_NAMED + "\n@pytest.mark.phase('wave-1')\ndef test_wave():\n    pass\n"
    )
    for args in ((), ("--strict-markers",), ("-m", "phase")):
        compare(deploy_run, *args)


# -- what does opt in --------------------------------------------------------------------------

CHECK = """
import pytest

MARK
@pytest.mark.severity("minor")
def test_minor_fails():
    assert False
"""


@pytest.mark.parametrize(
    ("mark", "files", "args"),
    [
        pytest.param("@pytest.mark.phase('pre')", {}, (), id="phase-marker"),
        pytest.param("", {"deployready.toml": ""}, (), id="deployready-toml"),
        pytest.param(
            "",
            {"pyproject.toml": "[tool.deployready]\ndefault_severity = 'major'\n"},
            (),
            id="pyproject",
        ),
        pytest.param("", {}, ("--deploy-continue",), id="option-flag"),
        pytest.param("", {}, ("--deploy-record=rec.json",), id="option-value"),
    ],
)
def test_opting_in(
    pytester: pytest.Pytester,
    deploy_run: DeployRunner,
    mark: str,
    files: dict[str, str],
    args: tuple[str, ...],
) -> None:
    """Each way of opting in makes a deployment run: a failed minor check is a warning."""
    for name, text in files.items():
        pytester.path.joinpath(name).write_text(text, encoding="utf-8")
    pytester.makepyfile(test_check=CHECK.replace("MARK", mark))
    result = deploy_run.run(*args)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert result.stdout.lines[-1].startswith("deployready verdict: GO_WITH_WARNINGS")


def test_without_opting_in_a_minor_failure_fails(
    pytester: pytest.Pytester, deploy_run: DeployRunner
) -> None:
    pytester.makepyfile(test_check=CHECK.replace("MARK", ""))
    assert compare(deploy_run).ret == pytest.ExitCode.TESTS_FAILED


def test_opted_in_suite_gets_every_marker_registered(
    pytester: pytest.Pytester, deploy_run: DeployRunner
) -> None:
    """With a config file, ``--strict-markers`` accepts all five markers."""
    pytester.path.joinpath("deployready.toml").write_text("", encoding="utf-8")
    pytester.makepyfile(
        test_check="""
        import pytest

        @pytest.mark.phase("pre")
        @pytest.mark.severity("minor")
        @pytest.mark.rollback_trigger("p95 > 1500 ms")
        @pytest.mark.section("API")
        def test_a():
            pass

        @pytest.mark.phase("pre")
        @pytest.mark.manual("QA")
        @pytest.mark.severity("minor")
        def test_b():
            pass
        """
    )
    result = deploy_run.run("--strict-markers")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["deployready verdict: GO_WITH_WARNINGS*"])
