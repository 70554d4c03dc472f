"""Faults that must never turn into a wrong verdict (issue 10, "Wrong verdicts").

Each class is tried with several members, end to end in a real pytest subprocess:

* a check that kills its xdist worker (``os._exit``, a real SIGSEGV) in setup, call or
  teardown is an ``error`` with its severity's consequences;
* a run in which nothing ran (all skipped, blocked, pending, or waived before running) is NO_GO;
* every ``--dist`` mode gives the serial verdict, or refuses the run with a usage error;
* check ids, and so exact-id waivers, do not depend on where an output path points;
* an empty value of any ``--deploy-*`` option is a one-line usage error.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from pytest_deployready._verdict import EXIT_CODES, Verdict
from tests.runner import DeployRunner

pytest_plugins = ["pytester"]

TIMEOUT_S = 180.0


def last_line(result: pytest.RunResult) -> str:
    return [line for line in result.stdout.lines if line.strip()][-1]


# -- a check that crashes its worker ----------------------------------------------------------

CRASH_SUITE = """
import os
import signal

import pytest

HOW = os.environ["CRASH_HOW"]


def die():
    if HOW.startswith("segv"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if HOW.startswith("abort"):
        os.abort()
    os._exit(1)


@pytest.fixture
def crashing():
    if HOW.endswith("setup"):
        die()
    yield
    if HOW.endswith("teardown"):
        die()


@pytest.mark.phase("pre")
def test_fine():
    pass


@pytest.mark.phase("pre")
MARKS
def test_crashes(crashing):
    if HOW.endswith("call"):
        die()


@pytest.mark.phase("pre")
def test_fine_too():
    pass
"""


def crash_suite(pytester: pytest.Pytester, marks: str = "") -> None:
    pytester.makepyfile(test_crash=CRASH_SUITE.replace("MARKS", marks))


@pytest.mark.parametrize(
    "how", ["exit-call", "segv-call", "abort-call", "exit-setup", "segv-setup", "exit-teardown"]
)
def test_a_crashed_check_is_an_error(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setenv("CRASH_HOW", how)
    crash_suite(pytester, '@pytest.mark.severity("critical")')
    result, rec = deploy_run("-p", "no:cacheprovider", "-n", "2")
    by = {c["id"].split("::")[-1]: c for c in rec["checks"]}
    crashed = by["test_crashes"]
    assert crashed["outcome"] == "error", result.stdout.str()
    assert "crashed" in crashed["message"]
    assert crashed["severity"] == "critical" and crashed["phase"] == "pre"
    assert by["test_fine"]["outcome"] == by["test_fine_too"]["outcome"] == "passed"
    assert rec["verdict"] == "NO_GO"
    assert result.ret == EXIT_CODES[Verdict.NO_GO]
    assert last_line(result).startswith("deployready verdict: NO_GO")
    result.stdout.fnmatch_lines(["BLOCKING *test_crashes [[]pre, critical[]]: worker *crashed*"])


@pytest.mark.parametrize(
    ("marks", "verdict"),
    [
        ('@pytest.mark.severity("major")', Verdict.NO_GO),
        ('@pytest.mark.severity("minor")', Verdict.GO_WITH_WARNINGS),
        ('@pytest.mark.severity("minor")\n@pytest.mark.rollback_trigger', Verdict.ROLLBACK),
        ("", Verdict.NO_GO),  # the default severity (major)
    ],
)
def test_a_crash_has_its_severity_consequences(
    pytester: pytest.Pytester,
    deploy_run: DeployRunner,
    monkeypatch: pytest.MonkeyPatch,
    marks: str,
    verdict: Verdict,
) -> None:
    monkeypatch.setenv("CRASH_HOW", "exit-call")
    crash_suite(pytester, marks)
    result, rec = deploy_run("-p", "no:cacheprovider", "-n", "2")
    assert rec["verdict"] == str(verdict), result.stdout.str()
    assert result.ret == EXIT_CODES[verdict]
    assert last_line(result).startswith(f"deployready verdict: {verdict}")


def test_a_crash_in_setup_keeps_a_minor_check_minor(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No report of the check reached the controller: what the workers collected says who it was."""
    monkeypatch.setenv("CRASH_HOW", "exit-setup")
    crash_suite(pytester, '@pytest.mark.severity("minor")')
    result, rec = deploy_run("-p", "no:cacheprovider", "-n", "2")
    crashed = next(c for c in rec["checks"] if c["id"].endswith("test_crashes"))
    assert (crashed["outcome"], crashed["severity"]) == ("error", "minor")
    assert rec["verdict"] == "GO_WITH_WARNINGS" and result.ret == 0


def test_a_crash_blocks_the_later_phases(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash is the last check of ``pre``: ``post`` opens after it, blocked (no hang)."""
    monkeypatch.setenv("CRASH_HOW", "exit-call")
    pytester.makepyfile(
        test_crash="""
        import os
        import pytest

        @pytest.mark.phase("pre")
        def test_crashes():
            os._exit(1)

        @pytest.mark.phase("post")
        @pytest.mark.rollback_trigger
        @pytest.mark.parametrize("n", range(3))
        def test_after(n):
            assert False
        """
    )
    result, rec = deploy_run("-p", "no:cacheprovider", "-n", "2")
    outcomes = {c["id"].split("::")[-1]: c["outcome"] for c in rec["checks"]}
    assert outcomes.pop("test_crashes") == "error", result.stdout.str()
    assert set(outcomes.values()) == {"blocked"}
    assert rec["verdict"] == "NO_GO" and result.ret == 1


def test_a_crash_in_a_suite_opted_in_by_markers_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No config file, no option: the controller learns it is a deployment run from the workers."""
    monkeypatch.setenv("CRASH_HOW", "exit-call")
    crash_suite(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", timeout=TIMEOUT_S)
    assert result.ret == EXIT_CODES[Verdict.NO_GO], result.stdout.str()
    assert last_line(result).startswith("deployready verdict: NO_GO")


# -- nothing ran ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "config"),
    [
        pytest.param(
            "@pytest.mark.skip(reason='later')\ndef test_a():\n    pass\n"
            "def test_b():\n    pytest.skip('no replica')\n",
            "",
            id="all-skipped-unphased",
        ),
        pytest.param(
            "pytestmark = pytest.mark.phase('pre')\n"
            "@pytest.mark.xfail(reason='known')\ndef test_a():\n    assert False\n",
            "",
            id="all-xfail",
        ),
        pytest.param(
            "pytestmark = pytest.mark.phase('pre')\n"
            "@pytest.mark.manual('QA')\n@pytest.mark.severity('minor')\ndef test_a():\n    pass\n",
            "",
            id="all-pending-minor",
        ),
        pytest.param(
            "pytestmark = pytest.mark.phase('post')\ndef test_a():\n    assert False\n",
            '[[waivers]]\ncheck = "test_nothing.py::test_a"\njustification = "INC-1"\n'
            "run = false\n",
            id="all-waived-not-run",
        ),
    ],
)
def test_nothing_ran_is_no_go(
    pytester: pytest.Pytester, deploy_run: DeployRunner, source: str, config: str
) -> None:
    pytester.makepyfile(test_nothing="import pytest\n" + source)
    pytester.path.joinpath("deployready.toml").write_text(config, encoding="utf-8")
    result, rec = deploy_run("-p", "no:cacheprovider")
    assert rec["verdict"] == "NO_GO", result.stdout.str()
    assert result.ret == EXIT_CODES[Verdict.NO_GO]
    assert any(r.startswith("nothing ran") for r in rec["verdict_reasons"])
    result.stdout.fnmatch_lines(["reason: nothing ran: no check was executed (*)"])


def test_a_waived_failure_ran(pytester: pytest.Pytester, deploy_run: DeployRunner) -> None:
    """A waiver that covers a failure lets the check run: the run is not empty."""
    pytester.makepyfile(
        test_w="import pytest\npytestmark = pytest.mark.phase('pre')\n"
        "def test_a():\n    assert False\n"
    )
    pytester.path.joinpath("deployready.toml").write_text(
        '[[waivers]]\ncheck = "test_w.py::test_a"\njustification = "INC-2"\n', encoding="utf-8"
    )
    result, rec = deploy_run("-p", "no:cacheprovider")
    assert rec["checks"][0]["outcome"] == "waived"
    assert rec["verdict"] == "GO_WITH_WARNINGS" and result.ret == 0


def test_an_attested_manual_check_ran(pytester: pytest.Pytester, deploy_run: DeployRunner) -> None:
    pytester.makepyfile(
        test_m="import pytest\npytestmark = pytest.mark.phase('pre')\n"
        "@pytest.mark.manual('QA')\ndef test_a():\n    pass\n"
    )
    pytester.path.joinpath("att.toml").write_text(
        '[[attestation]]\ncheck = "test_m.py::test_a"\nby = "Jane"\nrole = "QA"\n'
        'at = "2026-11-23T23:54:03+00:00"\n',
        encoding="utf-8",
    )
    result, rec = deploy_run("-p", "no:cacheprovider", "--deploy-attest=att.toml")
    assert rec["checks"][0]["outcome"] == "passed", result.stdout.str()
    assert rec["verdict"] == "GO" and result.ret == 0


# -- every xdist distribution mode ---------------------------------------------------------

PHASED_SUITE = """
import pytest


@pytest.mark.phase("pre")
@pytest.mark.parametrize("n", range(4))
def test_pre(n):
    assert n != 2


@pytest.mark.phase("post")
@pytest.mark.rollback_trigger
@pytest.mark.parametrize("n", range(4))
def test_post(n):
    assert False
"""

DIST_MODES = ["load", "loadscope", "loadfile", "worksteal", "loadgroup", "each"]


def test_serial_reference(pytester: pytest.Pytester, deploy_run: DeployRunner) -> None:
    """What every mode must give: pre fails, post is blocked."""
    pytester.makepyfile(test_phased=PHASED_SUITE)
    result, rec = deploy_run("-p", "no:cacheprovider")
    assert rec["verdict"] == "NO_GO" and result.ret == 1
    assert rec["summary"]["blocked"] == 4


@pytest.mark.parametrize("dist", DIST_MODES)
def test_every_dist_mode_gives_the_serial_verdict_or_refuses(
    pytester: pytest.Pytester, dist: str
) -> None:
    pytester.makepyfile(test_phased=PHASED_SUITE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--dist", dist, "--deploy-record=rec.json",
        timeout=TIMEOUT_S,
    )  # fmt: skip
    if dist == "load":
        rec = json.loads(Path(pytester.path, "rec.json").read_text(encoding="utf-8"))
        assert rec["verdict"] == "NO_GO" and result.ret == 1, result.stdout.str()
        assert rec["summary"]["blocked"] == 4
        return
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors == [
        f"ERROR: --dist {dist} cannot keep the phases of a deployment run in order "
        "(selected: pre, post); use --dist load, select one phase with --deploy-phase, "
        "or pass --deploy-continue"
    ]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("dist", DIST_MODES)
@pytest.mark.parametrize(
    ("args", "verdict"),
    [
        pytest.param(("--deploy-phase=pre",), Verdict.NO_GO, id="one-phase"),
        pytest.param(("--deploy-continue",), Verdict.ROLLBACK, id="continue"),
    ],
)
def test_every_dist_mode_agrees_where_order_does_not_matter(
    pytester: pytest.Pytester,
    deploy_run: DeployRunner,
    dist: str,
    args: tuple[str, ...],
    verdict: Verdict,
) -> None:
    pytester.makepyfile(test_phased=PHASED_SUITE)
    serial, serial_rec = deploy_run("-p", "no:cacheprovider", *args)
    result, rec = deploy_run("-p", "no:cacheprovider", "-n", "2", "--dist", dist, *args)
    assert serial_rec["verdict"] == rec["verdict"] == str(verdict), result.stdout.str()
    assert serial.ret == result.ret == EXIT_CODES[verdict]


# -- check ids do not depend on where outputs go ------------------------------------------

WAIVED_SUITE = """
import pytest

pytestmark = pytest.mark.phase("pre")


def test_known_failure():
    assert False


def test_ok():
    pass
"""

WAIVER = """
[[waivers]]
check = "test_ids.py::test_known_failure"
justification = "INC-7: exact id"
"""


@pytest.mark.parametrize(
    "option", ["--deploy-record", "--deploy-html", "--deploy-config", "--deploy-attest",
               "--deploy-baseline"],
)  # fmt: skip
@pytest.mark.parametrize("form", ["equals", "space"])
@pytest.mark.parametrize("ini", [False, True], ids=["no-ini", "ini-with-addopts"])
def test_ids_do_not_depend_on_output_paths(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory, option: str,
    form: str, ini: bool,
) -> None:  # fmt: skip
    """An existing file outside the suite, given to any path option, leaves ids alone."""
    suite = pytester.mkdir("suite")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (suite / "test_ids.py").write_text(textwrap.dedent(WAIVED_SUITE), encoding="utf-8")
    if ini:
        (suite / "pytest.ini").write_text("[pytest]\naddopts = -rA\n", encoding="utf-8")
    outside = {
        "--deploy-record": ("record.json", "{}"),
        "--deploy-html": ("page.html", "<html></html>"),
        "--deploy-config": ("deployready.toml", WAIVER),
        "--deploy-attest": ("att.toml", ""),
        "--deploy-baseline": ("base.json", ""),
    }
    name, text = outside[option]
    path = elsewhere / name
    if option == "--deploy-baseline":  # a real record of the same suite
        pytester.chdir()
        first = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", str(suite), f"--deploy-record={path}", timeout=TIMEOUT_S
        )
        assert path.is_file(), first.stdout.str()
    else:
        path.write_text(text, encoding="utf-8")
    if option != "--deploy-config":
        (suite / "deployready.toml").write_text(WAIVER, encoding="utf-8")
    monkey = pytest.MonkeyPatch()
    monkey.chdir(suite)
    try:
        given = [f"{option}={path}"] if form == "equals" else [option, str(path)]
        record = [] if option == "--deploy-record" else ["--deploy-record=own.json"]
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", *given, *record, timeout=TIMEOUT_S
        )
    finally:
        monkey.undo()
    rec_path = path if option == "--deploy-record" else suite / "own.json"
    rec = json.loads(rec_path.read_text(encoding="utf-8"))
    ids = sorted(c["id"] for c in rec["checks"])
    assert ids == ["test_ids.py::test_known_failure", "test_ids.py::test_ok"], result.stdout.str()
    assert rec["verdict"] == "GO_WITH_WARNINGS" and result.ret == 0
    result.stdout.fnmatch_lines([f"rootdir: {suite}*"])
    if ini:
        result.stdout.fnmatch_lines(["PASSED test_ids.py::test_ok"])  # the ini's addopts


# -- empty option values ----------------------------------------------------------------------


def value_options(pytester: pytest.Pytester) -> list[str]:
    """Every ``--deploy-*`` option that takes a value, as ``pytest --help`` lists them."""
    result = pytester.runpytest_subprocess("--help", timeout=TIMEOUT_S)
    found = re.findall(r"^\s+(--deploy-[a-z-]+)=", result.stdout.str(), flags=re.MULTILINE)
    assert "--deploy-env" in found and "--deploy-config" in found
    return sorted(set(found))


@pytest.mark.parametrize("form", ["equals", "space", "blank"])
def test_an_empty_option_value_is_a_usage_error(pytester: pytest.Pytester, form: str) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    for option in value_options(pytester):
        args = {"equals": [f"{option}="], "space": [option, ""], "blank": [f"{option}=  "]}[form]
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=TIMEOUT_S)
        assert result.ret == pytest.ExitCode.USAGE_ERROR, (option, result.stdout.str())
        errors = [line for line in result.stderr.lines if line.strip()]
        assert errors == [f"ERROR: {option}: empty value; give a value or leave the option out"]


def test_several_phases_opted_in_by_markers_alone_are_refused_under_xdist(
    pytester: pytest.Pytester,
) -> None:
    """The controller cannot know before collection; the workers refuse, as for other modes."""
    pytester.makepyfile(test_phased=PHASED_SUITE)
    serial = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=TIMEOUT_S)
    assert serial.ret == EXIT_CODES[Verdict.NO_GO], serial.stdout.str()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", timeout=TIMEOUT_S)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and "phase markers alone" in errors[0]
    pytester.path.joinpath("deployready.toml").write_text("", encoding="utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", timeout=TIMEOUT_S)
    assert result.ret == EXIT_CODES[Verdict.NO_GO], result.stdout.str()


def test_ids_do_not_depend_on_output_paths_under_xdist(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The workers parse the same command line: their ids must match the controller's."""
    suite = pytester.mkdir("suite")
    (suite / "test_ids.py").write_text(textwrap.dedent(WAIVED_SUITE), encoding="utf-8")
    (suite / "deployready.toml").write_text(WAIVER, encoding="utf-8")
    record = tmp_path_factory.mktemp("elsewhere") / "record.json"
    record.write_text("{}", encoding="utf-8")
    monkey = pytest.MonkeyPatch()
    monkey.chdir(suite)
    try:
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-n", "2", "--deploy-record", str(record), timeout=TIMEOUT_S
        )
    finally:
        monkey.undo()
    rec = json.loads(record.read_text(encoding="utf-8"))
    assert sorted(c["id"] for c in rec["checks"]) == [
        "test_ids.py::test_known_failure",
        "test_ids.py::test_ok",
    ], result.stdout.str()
    assert rec["verdict"] == "GO_WITH_WARNINGS" and result.ret == 0
