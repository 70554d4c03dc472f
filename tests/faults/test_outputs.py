"""Output paths: nothing but a regular file is replaced, and no input is ever an output.

Every refused path is a usage error before any check runs: exit 4, one line, no traceback,
and the node at the path (symlink, FIFO, device node made here in a temp dir, socket,
directory, input file) is exactly as it was.
"""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_deployready._outputs import (
    OutputPathError,
    OutputPaths,
    holds_record,
    read_regular,
    rewrite_file,
    write_files,
)
from pytest_deployready._record import write_record_files

CHECK = """
import pathlib
import pytest
@pytest.mark.phase("pre")
def test_a():
    pathlib.Path("check-ran").write_text("yes")
"""


def _snapshot(path: Path) -> tuple[int, int, int, str | None]:
    """What must not change: the node's type and mode, inode, device, and a link's target."""
    st = path.lstat()
    target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
    return st.st_mode, st.st_ino, st.st_rdev, target


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    socks: list[socket.socket] = []

    def make(path: Path) -> None:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        socks.append(sock)

    yield make
    for sock in socks:
        sock.close()


def _make(kind: str, path: Path, make_socket: Callable[[Path], None]) -> None:
    if kind == "symlink":
        (path.parent / "real.json").write_text('{"verdict": "GO"}')
        path.symlink_to("real.json")
    elif kind == "dangling symlink":
        path.symlink_to("nowhere/real.json")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "char device":  # a private node in tmp_path: the kernel's null device numbers
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    elif kind == "directory":
        path.mkdir()
    elif kind == "socket":
        make_socket(path)


KINDS = ["symlink", "dangling symlink", "fifo", "char device", "directory", "socket"]
WORDS = {
    "symlink": "a symbolic link",
    "dangling symlink": "a symbolic link",
    "fifo": "a FIFO",
    "char device": "a character device",
    "directory": "a directory",
    "socket": "a socket",
}


def assert_usage_error(result: pytest.RunResult, *fragments: str) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, output
    errors = [line for line in result.stderr.lines if line.startswith("ERROR: ")]
    assert len(errors) == 1, output
    for fragment in fragments:
        assert fragment in errors[0], output
    assert "Traceback" not in output and "INTERNALERROR" not in output


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("option", ["--deploy-record", "--deploy-html"])
@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_output_that_is_not_a_regular_file_is_refused(
    pytester: pytest.Pytester,
    unix_socket: Callable[[Path], None],
    kind: str,
    option: str,
    xdist: tuple[str, ...],
) -> None:
    pytester.makepyfile(CHECK)
    node = pytester.path / "out.json"
    _make(kind, node, unix_socket)
    before = _snapshot(node)
    result = pytester.runpytest_subprocess(f"{option}={node}", *xdist)
    assert_usage_error(result, option, str(node), WORDS[kind])
    assert _snapshot(node) == before
    assert not (pytester.path / "check-ran").exists()
    if kind == "symlink":
        assert (pytester.path / "real.json").read_text() == '{"verdict": "GO"}'


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("afile/record.json", "not a directory"),
        ("afile/sub/record.json", "not a directory"),
        ("/proc/deployready-record.json", ""),
        ("/proc/self/deployready-record.json", ""),
    ],
)
def test_unwritable_output_is_a_usage_error_before_any_check(
    pytester: pytest.Pytester, path: str, why: str
) -> None:
    pytester.makepyfile(CHECK)
    (pytester.path / "afile").write_text("a file, not a directory")
    for option in ("--deploy-record", "--deploy-html"):
        result = pytester.runpytest_subprocess(f"{option}={path}")
        assert_usage_error(result, option, "cannot write", why)
        assert not (pytester.path / "check-ran").exists()
    assert (pytester.path / "afile").read_text() == "a file, not a directory"


def test_read_only_directory_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """A read-only mount refuses even root: /proc/sys is one on every Linux."""
    pytester.makepyfile(CHECK)
    result = pytester.runpytest_subprocess("--deploy-record=/proc/sys/deployready.json")
    assert_usage_error(result, "--deploy-record", "cannot write")
    assert not (pytester.path / "check-ran").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("--deploy-record=same.out", "--deploy-html=same.out"),
        ("--deploy-record=same.out", "--deploy-html=./sub/../same.out"),
        ("--deploy-record=same.out", "--junitxml=same.out"),
        ("--deploy-html=same.out", "--junitxml=same.out"),
        ("--deploy-html=same.out", "--html=same.out"),
        ("--deploy-record=same.out", "--html=same.out"),
        ("--deploy-record=same.out", "--deploy-html=alias/same.out"),  # alias -> .
    ],
)
def test_one_path_for_two_outputs_is_refused(
    pytester: pytest.Pytester, args: tuple[str, ...]
) -> None:
    pytester.makepyfile(CHECK)
    (pytester.path / "sub").mkdir()
    (pytester.path / "alias").symlink_to(".")
    (pytester.path / "same.out").write_text("previous")
    result = pytester.runpytest_subprocess(*args)
    assert_usage_error(result, "same.out is also the path of")
    assert (pytester.path / "same.out").read_text() == "previous"
    assert not (pytester.path / "check-ran").exists()


def test_hard_link_to_another_output_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(CHECK)
    (pytester.path / "a.json").write_text("previous")
    os.link(pytester.path / "a.json", pytester.path / "b.json")
    result = pytester.runpytest_subprocess("--deploy-record=a.json", "--deploy-html=b.json")
    assert_usage_error(result, "is also the path of")
    assert (pytester.path / "a.json").read_text() == "previous"


INPUTS = {
    "config": ("deployready.toml", "the configuration file"),
    "pyproject": ("pyproject.toml", "the configuration file"),
    "attest": ("attest.toml", "the attestation file"),
    "baseline": ("baseline.json", "the baseline record"),
    "test module": ("test_checks.py", "source code"),
    "conftest": ("conftest.py", "source code"),
}


@pytest.mark.parametrize("which", list(INPUTS))
@pytest.mark.parametrize("option", ["--deploy-record", "--deploy-html"])
def test_an_input_is_never_an_output(pytester: pytest.Pytester, which: str, option: str) -> None:
    if which == "pyproject":
        pytester.makepyprojecttoml("[tool.deployready]\ndefault_severity = 'major'\n")
    else:
        pytester.makefile(".toml", deployready="default_severity = 'major'\n")
    pytester.makefile(".toml", attest="")
    pytester.makeconftest("")
    pytester.path.joinpath("baseline.json").write_text(
        json.dumps(
            {
                "schema": "deployready.record/1",
                "verdict": "GO",
                "complete": True,
                "checks": [],
            }
        )
    )
    pytester.makepyfile(test_checks=CHECK)
    name, what = INPUTS[which]
    before = {p.name: p.read_bytes() for p in pytester.path.iterdir() if p.is_file()}
    result = pytester.runpytest_subprocess(
        f"{option}={name}", "--deploy-attest=attest.toml", "--deploy-baseline=baseline.json"
    )
    assert_usage_error(result, option, name, what)
    assert {name: (pytester.path / name).read_bytes() for name in before} == before
    assert not (pytester.path / "check-ran").exists()


COLLECTING_CONFTEST = """
import pathlib
import pytest

def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".check":
        return CheckFile.from_parent(parent, path=file_path)

class CheckFile(pytest.File):
    def collect(self):
        yield CheckItem.from_parent(self, name="spec")

class CheckItem(pytest.Item):
    def runtest(self):
        pathlib.Path("check-ran").write_text("yes")
"""


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_collected_test_file_is_never_an_output(
    pytester: pytest.Pytester, xdist: tuple[str, ...]
) -> None:
    """Not Python source, so only collection tells: refused before any check runs."""
    pytester.makeconftest(COLLECTING_CONFTEST)
    pytester.makefile(".toml", deployready="")
    spec = pytester.makefile(".check", spec="the checklist")
    result = pytester.runpytest_subprocess(f"--deploy-record={spec.name}", *xdist)
    assert_usage_error(result, "--deploy-record", "collected test module")
    assert spec.read_text() == "the checklist"
    assert not (pytester.path / "check-ran").exists()


def test_collect_only_keeps_the_previous_record(pytester: pytest.Pytester) -> None:
    """Listing checks runs none: the previous record is neither replaced nor marked."""
    pytester.makepyfile(CHECK)
    (pytester.path / "rec.json").write_text('{"previous": true}')
    result = pytester.runpytest_subprocess("--deploy-record=rec.json", "--collect-only")
    assert result.ret == 0
    assert (pytester.path / "rec.json").read_text() == '{"previous": true}'


def test_good_outputs_are_written_and_no_temp_file_stays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(CHECK)
    (pytester.path / "rec.json").write_text("previous")
    result = pytester.runpytest_subprocess(
        "--deploy-record=out/new/rec.json", "--deploy-html=rec.html", "--junitxml=junit.xml"
    )
    assert result.ret == 0, result.stdout.str()
    rec = json.loads((pytester.path / "out/new/rec.json").read_text())
    assert rec["verdict"] == "GO" and rec["started_at"] in (pytester.path / "rec.html").read_text()
    every = [p.name for p in pytester.path.rglob("*")]
    assert not [n for n in every if ".deployready-tmp-" in n]


# -- the writer and the rewrite, on their own ----------------------------------------------


def test_guard_in_process(tmp_path: Path) -> None:
    guard = OutputPaths(tmp_path, ["check_*.py"])
    (tmp_path / "check_db.py").write_text("")
    with pytest.raises(OutputPathError, match="source code"):
        guard.output("--deploy-record", "check_db.py")
    record = guard.output("--deploy-record", "a/b/rec.json")
    assert record == tmp_path / "a/b/rec.json" and not (tmp_path / "a").exists()
    with pytest.raises(OutputPathError, match="also the path of --deploy-record"):
        guard.output("--deploy-html", "a/b/rec.json")
    with pytest.raises(OutputPathError, match="is the baseline record"):
        guard.protect("the baseline record", tmp_path / "a/b/rec.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check_db.py"]  # the probe is gone


def test_only_a_previous_record_is_replaced_before_collection(tmp_path: Path) -> None:
    """At session start the placeholder goes only over absent paths and previous records."""
    page, rec, other = tmp_path / "r.html", tmp_path / "r.json", tmp_path / "spec.yaml"
    page.write_text("<tr><th>Schema</th><td>deployready.record/1</td></tr>")
    rec.write_text('{\n  "schema": "deployready.record/1"\n}')
    other.write_text("checks: [deployready.record/1]")
    assert holds_record(page) and holds_record(rec) and holds_record(tmp_path / "absent")
    assert not holds_record(other)


def test_pair_is_replaced_together_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the HTML page is rendered: the previous pair stays, no temp file."""
    rec, html = tmp_path / "rec.json", tmp_path / "rec.html"
    rec.write_text("old json")
    html.write_text("old html")

    def interrupted(record: object, text: str | None = None) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("pytest_deployready._html_record.render_record_html", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_record_files({}, "new json", json_path=rec, html_path=html)
    assert (rec.read_text(), html.read_text()) == ("old json", "old html")
    # The second target became a FIFO since start-up: nothing is renamed, nothing left behind.
    html.unlink()
    os.mkfifo(html)
    with pytest.raises(OSError, match="not a regular file"):
        write_files({rec: "new json", html: "new html"})
    assert rec.read_text() == "old json" and stat.S_ISFIFO(html.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.html", "rec.json"]


def test_rewrite_goes_through_a_symlink_and_never_opens_a_fifo(tmp_path: Path) -> None:
    real = tmp_path / "junit-real.xml"
    real.write_text("<secret/>")
    real.chmod(0o640)
    link = tmp_path / "junit.xml"
    link.symlink_to(real.name)
    assert read_regular(link) == "<secret/>"
    rewrite_file(link, "<masked/>")
    assert link.is_symlink() and real.read_text() == "<masked/>"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    fifo, dev = tmp_path / "fifo.xml", tmp_path / "null.xml"
    os.mkfifo(fifo)
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for node in (fifo, dev):
        before = _snapshot(node)
        assert read_regular(node) is None  # returns at once: a FIFO is never opened
        with pytest.raises(OSError, match="not a regular file"):
            rewrite_file(node, "x")
        assert _snapshot(node) == before
    assert not [p for p in tmp_path.iterdir() if ".deployready-tmp-" in p.name]


def test_junit_and_pytest_html_on_special_files_are_left_alone(
    pytester: pytest.Pytester,
) -> None:
    """The secret-masking rewrite of pytest's own outputs never replaces a device node."""
    pytester.makepyfile(CHECK)
    dev = pytester.path / "null.xml"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    before = _snapshot(dev)
    result = pytester.runpytest_subprocess("--deploy-record=rec.json", f"--junitxml={dev}")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert _snapshot(dev) == before
