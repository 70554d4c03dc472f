"""``deployready scaffold`` input and output: encodings, binary files, unsafe output paths.

Every bad input is one line on stderr and exit 4, nothing written, no traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_deployready._cli import main

CHECKLIST = "# Release\n## Pre-deployment\n- [ ] Backup taken ✅\n- [ ] Tag pushed\n"


def errors(capsys: pytest.CaptureFixture[str]) -> list[str]:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err.strip().splitlines()


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32", "cp1252"]
)
def test_encodings_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    path = tmp_path / "CHECKLIST.md"
    text = CHECKLIST if encoding != "cp1252" else CHECKLIST.replace("✅", "é")
    path.write_bytes(text.encode(encoding))
    assert main(["scaffold", str(path), "-o", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.startswith("scaffolded 2 checks in 1 files")
    source = (tmp_path / "out" / "test_pre_pre_deployment.py").read_text(encoding="utf-8")
    assert '"""Backup taken"""' in source or '"""Backup taken é"""' in source


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 8, "binary data or an unknown encoding"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512), "binary data"),
        (b"\xff\xfe" + b"\x00\xd8" * 5, "not valid utf-16-le"),  # a BOM, then lone surrogates
        (b"# Notes\n\nJust prose, no list at all.\n", "found no checklist items"),
        (b"", "found no checklist items"),
    ],
    ids=["bytes", "png", "broken-utf16", "no-items", "empty"],
)
def test_unreadable_input_is_one_line_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "input.md"
    path.write_bytes(content)
    out = tmp_path / "out"
    assert main(["scaffold", str(path), "-o", str(out)]) == 4
    lines = errors(capsys)
    assert len(lines) == 1 and lines[0].startswith("deployready scaffold: error: ")
    assert message in lines[0]
    assert not out.exists()


def test_a_directory_as_checklist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scaffold", str(tmp_path), "-o", str(tmp_path / "out")]) == 4
    assert errors(capsys) == [
        f"deployready scaffold: error: checklist {tmp_path} is a directory, not a file"
    ]


def test_output_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checklist = tmp_path / "CHECKLIST.md"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    afile = tmp_path / "afile"
    afile.write_text("mine\n", encoding="utf-8")
    for out in (afile / "sub", afile / "sub" / "deeper", afile):
        assert main(["scaffold", str(checklist), "-o", str(out)]) == 4
        (line,) = errors(capsys)
        assert line.startswith("deployready scaffold: error: ")
        assert "exists and is not a directory" in line
    assert afile.read_text(encoding="utf-8") == "mine\n"


def test_force_never_replaces_what_a_person_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checklist = tmp_path / "CHECKLIST.md"
    checklist.write_text(CHECKLIST, encoding="utf-8")
    out = tmp_path / "checks"
    assert main(["scaffold", str(checklist), "-o", str(out)]) == 0
    capsys.readouterr()
    # regenerating over an earlier scaffold is fine with --force
    assert main(["scaffold", str(checklist), "-o", str(out), "--force"]) == 0
    capsys.readouterr()

    config = out / "deployready.toml"
    config.write_text('phases = ["pre"]\n# my own edits\n', encoding="utf-8")
    assert main(["scaffold", str(checklist), "-o", str(out), "--force"]) == 4
    assert errors(capsys) == [
        f"deployready scaffold: error: {config} was not written by deployready scaffold; "
        "move it away to regenerate"
    ]
    assert config.read_text(encoding="utf-8") == 'phases = ["pre"]\n# my own edits\n'

    config.unlink()
    target = tmp_path / "elsewhere.toml"
    target.write_text("keep\n", encoding="utf-8")
    config.symlink_to(target)
    assert main(["scaffold", str(checklist), "-o", str(out), "--force"]) == 4
    assert "is not a regular file" in errors(capsys)[0]
    assert target.read_text(encoding="utf-8") == "keep\n"
