"""Manual items, attestations (with commit pinning) and the sign-off table."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready._attest import (
    Attestation,
    AttestationError,
    Attestations,
    append_attestation,
    check_id_warning,
    load_attestations,
    same_role,
)

SUITE = """
import pytest
pytestmark = pytest.mark.phase("pre")

@pytest.mark.manual("Team lead", reason="approval happens in the code host")
def test_pr_approved():
    \"\"\"PR #3 reviewed and approved by team lead\"\"\"

@pytest.mark.manual("Support")
@pytest.mark.severity("minor")
def test_support_notified():
    \"\"\"Notify the support team\"\"\"

def test_automated():
    pass
"""


def record(pytester: pytest.Pytester) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(pytester.path, "rec.json").read_text())
    return data


def by_name(rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"].split("::")[-1]: c for c in rec["checks"]}


def test_unattested_manual_items_are_pending_and_block(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--deploy-record=rec.json")
    rec = record(pytester)
    checks = by_name(rec)
    assert checks["test_pr_approved"]["outcome"] == "pending"
    assert checks["test_pr_approved"]["blocking"] is True
    assert checks["test_pr_approved"]["manual"] == "Team lead"
    assert checks["test_support_notified"]["outcome"] == "pending"
    assert checks["test_support_notified"]["blocking"] is False
    assert rec["verdict"] == "NO_GO"
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "2 manual check(s) pending attestation; attest each with:",
            "  deployready attest '*::test_pr_approved' --by NAME --role 'Team lead' --file *",
        ]
    )


def test_attested_by_id_and_by_title(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    pytester.makefile(
        ".toml",
        attest=(
            '[[attestation]]\ncheck = "test_attested_by_id_and_by_title.py::test_pr_approved"\n'
            'by = "Jane"\nrole = "Team lead"\nnote = "approved"\n'
            '[[attestation]]\ntitle = "Notify the support team"\nby = "Sam"\nrole = "Support"\n'
        ),
    )
    result = pytester.runpytest("--deploy-record=rec.json", "--deploy-attest=attest.toml")
    rec = record(pytester)
    checks = by_name(rec)
    assert checks["test_pr_approved"]["outcome"] == "passed"
    assert checks["test_pr_approved"]["attestation"]["by"] == "Jane"
    assert checks["test_support_notified"]["attestation"]["by"] == "Sam"
    assert rec["verdict"] == "GO" and result.ret == 0
    assert [a["by"] for a in rec["attestations"]] == ["Jane", "Sam"]


def git(path: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=path,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_attestation_for_another_commit_does_not_count(pytester: pytest.Pytester) -> None:
    git(pytester.path, "init", "-q")
    pytester.makepyfile(SUITE)
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "x")
    head = git(pytester.path, "rev-parse", "HEAD")
    pytester.makefile(
        ".yaml",
        attest=(
            "- check: test_attestation_for_another_commit_does_not_count.py::test_pr_approved\n"
            "  by: Jane\n  role: Team lead\n  commit: 0123456789ab\n"
            "- title: Notify the support team\n  by: Sam\n  role: Support\n"
            f"  commit: {head[:10]}\n"
        ),
    )
    pytester.runpytest("--deploy-record=rec.json", "--deploy-attest=attest.yaml")
    checks = by_name(record(pytester))
    pr = checks["test_pr_approved"]
    assert pr["outcome"] == "pending"
    assert pr["attestation"] is None
    assert pr["attestation_rejected"] == [
        f"attestation by Jane (Team lead) is for commit 0123456789ab, this run is {head[:12]}"
    ]
    assert "is for commit 0123456789ab" in pr["message"]
    assert checks["test_support_notified"]["outcome"] == "passed"


def test_attestation_by_another_role_does_not_count(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    pytester.makefile(
        ".toml",
        attest=(
            '[[attestation]]\ntitle = "PR #3 reviewed and approved by team lead"\n'
            'by = "Max"\nrole = "QA"\n'
            # the same role written differently counts
            '[[attestation]]\ntitle = "Notify the support team"\nby = "Sam"\nrole = " support"\n'
        ),
    )
    result = pytester.runpytest("--deploy-record=rec.json", "--deploy-attest=attest.toml")
    checks = by_name(record(pytester))
    pr = checks["test_pr_approved"]
    assert pr["outcome"] == "pending" and pr["attestation"] is None
    assert pr["attestation_rejected"] == [
        "attestation by Max (QA) is not by the role this check asks for: Team lead"
    ]
    assert pr["message"] == (
        "manual: pending attestation by Team lead; "
        "attestation by Max (QA) is not by the role this check asks for: Team lead"
    )
    assert checks["test_support_notified"]["outcome"] == "passed"
    assert result.ret == 1


def test_same_role() -> None:
    assert same_role("Release manager", "release-manager")
    assert same_role("Release  Manager", "release_manager ")
    assert not same_role("QA", "Team lead")
    assert not same_role("Release manager", "Release")


def test_signoff_table(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready='signoff = ["Developer", "DevOps", "QA"]\n')
    pytester.makepyfile("import pytest\n@pytest.mark.phase('pre')\ndef test_a():\n    pass\n")
    pytester.makefile(
        ".toml",
        attest=(
            '[[attestation]]\ncheck = "signoff"\nby = "Dee"\nrole = "DevOps"\n'
            'at = 2026-11-23T10:00:00Z\nnote = "ok to ship"\n'
        ),
    )
    result = pytester.runpytest(
        "--deploy-record=rec.json",
        "--deploy-attest=attest.toml",
        "--html=report.html",
        "--self-contained-html",
    )
    signoff = record(pytester)["signoff"]
    assert [(r["role"], r["signed"], r["by"]) for r in signoff] == [
        ("Developer", False, None),
        ("DevOps", True, "Dee"),
        ("QA", False, None),
    ]
    assert signoff[1]["at"] == "2026-11-23T10:00:00+00:00"
    result.stdout.fnmatch_lines(["sign-off missing: Developer, QA"])
    html = (pytester.path / "report.html").read_text()
    assert 'id="deployready-signoff"' in html and "UNSIGNED" in html and "signed by Dee" in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[attestation]]\nby = "x"\nrole = "y"\n', "needs 'check'"),
        ('[[attestation]]\ncheck = "a"\nrole = "y"\n', "missing 'by'"),
        ('[[attestation]]\ncheck = "a"\nby = "x"\nrole = "y"\nwho = 1\n', "unknown key 'who'"),
        ("[[attestation]\n", "cannot parse"),
    ],
)
def test_bad_attestation_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "a.toml"
    path.write_text(text)
    with pytest.raises(AttestationError, match=message):
        load_attestations(path)


def test_bad_attestation_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("--deploy-attest=missing.toml")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--deploy-attest: *missing.toml: no such file*"])


def test_append_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "attestations.toml"
    append_attestation(path, Attestation(by='Jo "JJ" Ng', role="QA", check="t.py::test_a"))
    append_attestation(path, Attestation(by="Dee", role="DevOps", check="signoff", note="ok"))
    entries = load_attestations(path).entries
    assert [(e.by, e.role, e.check) for e in entries] == [
        ('Jo "JJ" Ng', "QA", "t.py::test_a"),
        ("Dee", "DevOps", "signoff"),
    ]


def test_attest_command_appends_and_the_run_counts_it(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_deployready._cli import main

    pytester.makepyfile(SUITE)
    path = str(pytester.path / "attestations.toml")
    check = "test_attest_command_appends_and_the_run_counts_it.py::test_pr_approved"
    assert main(["attest", check, "--by", "Jane", "--role", "Team lead", "--file", path]) == 0
    assert capsys.readouterr().out.startswith(f"attested {check} by Jane (Team lead) in ")
    args = ["attest", "test_support_notified", "--by", "Sam", "--role", "Support", "--file", path]
    assert main(args) == 0
    pytester.runpytest("--deploy-record=rec.json", f"--deploy-attest={path}")
    checks = by_name(record(pytester))
    assert checks["test_pr_approved"]["outcome"] == "passed"
    # a bare test name is not a check id: the attestation does not match
    assert checks["test_support_notified"]["outcome"] == "pending"
    assert main(["attest", "x", "--by", " ", "--role", "QA", "--file", path]) == 4
    assert "--by must not be empty" in capsys.readouterr().err


def test_append_to_yaml(tmp_path: Path) -> None:
    path = tmp_path / "attestations.yaml"
    append_attestation(path, Attestation(by="Jo", role="QA", check="t.py::test_a", note="a: b"))
    append_attestation(path, Attestation(by="Dee", role="DevOps", check="signoff"))
    entries = load_attestations(path).entries
    assert [(e.by, e.check, e.note) for e in entries] == [
        ("Jo", "t.py::test_a", "a: b"),
        ("Dee", "signoff", ""),
    ]


def test_entries_that_match_no_check_are_named_with_a_close_id() -> None:
    attestations = Attestations(
        [
            Attestation(by="A", role="Lead", check="checks/test_pre.py::test_pr_approved"),
            Attestation(
                by="A", role="Lead", check="test_pre.py::test_pr_approved"
            ),  # other rootdir
            Attestation(by="B", role="Lead", check="checks/test_pre.py::test_pr_aprovd"),
            Attestation(by="C", role="Lead", title="PR approved"),
            Attestation(by="D", role="Lead", title="Nothing like it"),
            Attestation(by="E", role="qa", check="signoff"),
            Attestation(by="F", role="Security", check="signoff"),
        ]
    )
    checks = [("checks/test_pre.py::test_pr_approved", "PR approved")]
    unmatched = attestations.unmatched(checks, ["QA"])
    assert sorted(unmatched) == [2, 4, 6]
    assert unmatched[2].endswith("did you mean 'checks/test_pre.py::test_pr_approved'?")
    assert unmatched[4] == (
        "attestation of title 'Nothing like it' by D (Lead) matches no check of this run"
    )
    assert unmatched[6] == "sign-off by F (Security) matches no sign-off role (signoff roles: QA)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[attestations]]\ncheck = "a::b"\n',
            "unknown top-level key 'attestations' (did you mean",
        ),
        ('[[Attestation]]\ncheck = "a::b"\n', "unknown top-level key 'Attestation' (did you mean"),
        ('[[attestation]]\ncheck = "a::b"\nby = "A"\nrole = "B"\n[meta]\nx = 1\n', "key 'meta'"),
    ],
)
def test_unknown_top_level_keys_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AttestationError, match=re.escape(message)):
        load_attestations(path)


def test_check_id_warning_reads_the_file_without_collecting(tmp_path: Path) -> None:
    (tmp_path / "test_a.py").write_text("async def test_one():\n    pass\n", encoding="utf-8")
    assert check_id_warning("test_a.py::test_one", tmp_path) is None
    assert check_id_warning("test_a.py::test_one[pg-1]", tmp_path) is None
    assert check_id_warning("test_a.py::unrelated", tmp_path) == "no unrelated in test_a.py"
    assert check_id_warning("test_a", tmp_path) == (
        "'test_a' is not a check id (FILE::NAME, as in the record or the terminal)"
    )
    (tmp_path / "test_b.py").write_text("def broken(:\n", encoding="utf-8")
    assert check_id_warning("test_b.py::test_x", tmp_path) is None  # only pytest can tell


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    text = '[[attestation]]\ncheck = "t.py::test_a"\nby = "Zoë"\nrole = "QA"\n'
    path.write_text(text, encoding="utf-8-sig")
    assert load_attestations(path).entries[0].by == "Zoë"
