"""The --deploy-html page as a release manager reads it, and ``deployready verify``.

Measured values with units and sensible precision, attestations as a person reads them, a
first screen that answers "go or not, and why", links only to sections that exist, the
suite's uncommitted changes, and the embedded record whose digest ``verify`` checks.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready._cli import main
from pytest_deployready._formatting import format_measured, format_number, unit_of
from pytest_deployready._metadata import GitState, git_dirty, git_state
from pytest_deployready._verify import verify_page

pytest_plugins = ["pytester"]

CONFIG = """
signoff = ["Release manager"]

[report]
title = "Release 4.2 readiness"

[thresholds]
api_p95_ms = "< 200"
cache_hit_ratio = ">= 60%"
max_connections = ">= 100"
"""

CHECKS = '''
import pytest


@pytest.mark.phase("pre")
@pytest.mark.severity("critical")
def test_connections(thresholds):
    """Enough connections"""
    thresholds.check("max_connections", 512.0)


@pytest.mark.phase("pre")
@pytest.mark.severity("minor")
def test_hit_ratio(thresholds):
    """Cache hit ratio"""
    thresholds.check("cache_hit_ratio", 0.09166666666666667)


@pytest.mark.phase("post")
@pytest.mark.rollback_trigger("p95 > 200 ms")
def test_latency(thresholds):
    """API p95 under budget"""
    thresholds.check("api_p95_ms", 396.2418710499037)


@pytest.mark.phase("pre")
@pytest.mark.manual("QA")
def test_signup_flow():
    """User sign-up works in staging"""
'''

ATTESTATIONS = """
[[attestation]]
check = "test_checks.py::test_signup_flow"
by = "Max Ortiz"
role = "QA"
at = "2026-12-01T10:00:00Z"
note = "run by hand on staging"
"""


@pytest.fixture
def page_and_record(pytester: pytest.Pytester) -> tuple[Path, Path, str]:
    pytester.makefile(".toml", deployready=CONFIG)
    pytester.makepyfile(test_checks=CHECKS)
    pytester.makefile(".toml", attestations=ATTESTATIONS)
    result = pytester.runpytest(
        "--deploy-continue",
        "--deploy-attest=attestations.toml",
        "--deploy-record=record.json",
        "--deploy-html=record.html",
    )
    assert result.ret == 6  # the rollback trigger fired
    html = pytester.path / "record.html"
    return html, pytester.path / "record.json", html.read_text(encoding="utf-8")


def test_values_are_shown_with_units_and_sensible_precision(
    page_and_record: tuple[Path, Path, str],
) -> None:
    _, record_path, page = page_and_record
    assert "396.2 ms" in page and "396.2418710499037 " not in page.split("deployready-record")[0]
    assert "9.17 %" in page
    assert '<td class="n">512</td>' in page or "measured 512," in page
    record = json.loads(record_path.read_text())
    measured = {t["name"]: t["measured"] for c in record["checks"] for t in c["thresholds"]}
    assert measured["api_p95_ms"] == 396.2418710499037  # the JSON keeps full precision
    assert measured["max_connections"] == 512


def test_first_screen_answers_go_or_not_and_why(page_and_record: tuple[Path, Path, str]) -> None:
    _, _, page = page_and_record
    first = page[: page.index('id="nav"')]
    assert 'data-verdict="ROLLBACK"' in first
    assert "Rollback triggers fired" in first and "API p95 under budget" in first
    assert "Manual items pending</th><td>none" in first  # attested
    assert "1 of 1 roles still to sign: Release manager" in first
    assert "<b>pre</b>: " in first and "<b>post</b>: 1 failed" in first


def test_nav_links_only_to_sections_that_exist(page_and_record: tuple[Path, Path, str]) -> None:
    _, _, page = page_and_record
    nav = page[page.index('id="nav"') : page.index("</p>", page.index('id="nav"'))]
    assert 'href="#waivers"' not in nav and 'id="waivers"' not in page  # no waivers here
    assert 'href="#attestations"' in nav and 'id="attestations"' in page
    for target in ("blocking-h", "summary", "signoff", "environment", "checks-h", "record"):
        assert f'href="#{target}"' in nav and f'id="{target}"' in page


def test_attestations_read_as_a_person_writes_them(page_and_record: tuple[Path, Path, str]) -> None:
    _, _, page = page_and_record
    assert "attested by Max Ortiz (QA) on 2026-12-01T10:00:00Z" in page
    assert "&ldquo;run by hand on staging&rdquo;" in page
    assert "attested: {" not in page


def test_verify_accepts_the_page_and_its_record(
    page_and_record: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    html, record, _ = page_and_record
    assert main(["verify", str(html), str(record)]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["verify", str(html)]) == 0


@pytest.mark.parametrize(
    ("where", "old", "new", "expected"),
    [
        ("html", "Verdict: ROLLBACK<", "Verdict: GO<", "verdict shown 'GO'"),
        ("html", 'data-verdict="ROLLBACK"', 'data-verdict="GO"', "verdict shown"),
        ("html", '"verdict": "ROLLBACK"', '"verdict": "GO"', "embedded record sha256 is"),
        ("html", 'data-count="failed">2<', 'data-count="failed">0<', "failed count shown 0"),
        ("json", '"verdict": "ROLLBACK"', '"verdict": "GO"', 'verdict: "GO" in the file'),
        ("json", '"exit_code": 6', '"exit_code": 0', "exit_code: 0 in the file"),
    ],
)
def test_verify_catches_an_edit(
    page_and_record: tuple[Path, Path, str],
    capsys: pytest.CaptureFixture[str],
    where: str,
    old: str,
    new: str,
    expected: str,
) -> None:
    html, record, _ = page_and_record
    path = html if where == "html" else record
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert main(["verify", str(html), str(record)]) == 1
    assert expected in capsys.readouterr().out


def test_verify_on_a_page_without_a_record_and_on_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.html"
    plain.write_text("<html><body>hello</body></html>")
    assert main(["verify", str(plain)]) == 1
    assert "embeds no deployment record" in capsys.readouterr().out
    assert main(["verify", str(tmp_path / "nope.html")]) == 4
    err = capsys.readouterr().err
    assert err.startswith("deployready verify: error: cannot read") and err.count("\n") == 1


def test_verify_page_reports_nothing_for_an_untouched_page(
    page_and_record: tuple[Path, Path, str],
) -> None:
    _, record, page = page_and_record
    assert verify_page(page, record.read_text(encoding="utf-8")) == []
    reformatted = json.dumps(json.loads(record.read_text(encoding="utf-8")), indent=4)
    assert verify_page(page, reformatted) == []  # the same record, other whitespace


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def test_git_dirty_says_whether_tracked_files_changed(tmp_path: Path) -> None:
    assert git_dirty(tmp_path) is None  # not a checkout
    _git(tmp_path, "init", "-q")
    (tmp_path / "test_a.py").write_text("def test_a(): pass\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "a")
    assert git_dirty(tmp_path) is False
    (tmp_path / "record.json").write_text("{}")  # an untracked output does not count
    assert git_dirty(tmp_path) is False
    (tmp_path / "test_a.py").write_text("def test_a(): assert 0\n")
    assert git_dirty(tmp_path) is True


def test_git_state_reads_commit_branch_and_changes_from_one_status(tmp_path: Path) -> None:
    assert git_state(tmp_path) == GitState()  # not a checkout: nothing known
    _git(tmp_path, "init", "-q", "-b", "release/2.0")
    assert git_state(tmp_path) == GitState(None, "release/2.0", False)  # no commit yet
    (tmp_path / "a.txt").write_text("a\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "a")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert git_state(tmp_path) == GitState(head, "release/2.0", False)
    _git(tmp_path, "checkout", "-q", "--detach")
    (tmp_path / "a.txt").write_text("b\n")
    assert git_state(tmp_path) == GitState(head, None, True)


def test_the_record_and_page_say_the_checkout_is_dirty(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready='[thresholds]\nx_ms = "< 1"\n')
    pytester.makepyfile(
        test_one='import pytest\n\n@pytest.mark.phase("pre")\ndef test_one():\n    pass\n'
    )
    _git(pytester.path, "init", "-q")
    _git(pytester.path, "add", ".")
    _git(
        pytester.path,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-qm",
        "x",
    )
    pytester.makepyfile(
        test_one='import pytest\n\n@pytest.mark.phase("pre")\ndef test_one():\n    assert 1\n'
    )
    result = pytester.runpytest("--deploy-record=r.json", "--deploy-html=r.html")
    assert result.ret == 0
    record: dict[str, Any] = json.loads((pytester.path / "r.json").read_text())
    assert record["metadata"]["git_dirty"] is True
    assert "(uncommitted changes)" in (pytester.path / "r.html").read_text()


@pytest.mark.parametrize(
    ("value", "name", "rule", "shown"),
    [
        (396.2418710499037, "api_p95_ms", "< 200", "396.2 ms"),
        (0.09166666666666667, "cache_hit_ratio", ">= 60%", "9.17 %"),
        (0.09166666666666667, "cache_hit_ratio", ">= 0.6", "0.09167"),
        (512.0, "max_connections", ">= 100", "512"),
        (0.0, "error_count", "== 0", "0"),
        (1.5, "deploy_s", "< 2s", "1.5 s"),
        (12.345, "disk_used_pct", "< 80", "12.35 %"),
        (None, "x_ms", "< 1", "—"),
        (float("inf"), "x_ms", "< 1", "∞"),
        (3, "replicas", ">= 2", "3"),
    ],
)
def test_format_measured(value: Any, name: str, rule: str, shown: str) -> None:
    assert format_measured(value, name, rule) == shown


def test_format_number_and_unit_of() -> None:
    assert format_number(2.0) == "2" and format_number(-0.5) == "-0.5"
    assert format_number(1234.5678) == "1234.6" and format_number(float("nan")) == "NaN"
    assert unit_of("api_p95_ms") == "ms" and unit_of("uptime_seconds") == "s"
    assert unit_of("error_rate", "< 1%") == "%" and unit_of("error_rate", "< 0.01") == ""


def test_both_pages_show_the_baseline_and_each_change(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready='[thresholds]\napi_p95_ms = "<= baseline * 0.7"\n')
    pytester.makepyfile(
        test_speed="""
import os

import pytest


@pytest.mark.phase("post")
def test_faster(thresholds):
    \"\"\"p95 30 % better than the last release\"\"\"
    thresholds.check("api_p95_ms", float(os.environ["P95"]))
"""
    )
    pytester.makefile(".toml", first='[thresholds]\napi_p95_ms = "< 1000"\n')
    os_env = pytest.MonkeyPatch()
    try:
        os_env.setenv("P95", "200.0")
        first = pytester.runpytest("--deploy-config=first.toml", "--deploy-record=before.json")
        assert first.ret == 0
        os_env.setenv("P95", "120.0")
        result = pytester.runpytest(
            "--deploy-baseline=before.json",
            "--deploy-record=after.json",
            "--deploy-html=after.html",
            "--html=report.html",
            "--self-contained-html",
        )
    finally:
        os_env.undo()
    assert result.ret == 0
    page = (pytester.path / "after.html").read_text()
    assert "Compared with</th><td><code>" in page and "before.json" in page
    assert "baseline 200 ms, change -40 %" in page
    report = (pytester.path / "report.html").read_text()
    assert 'id="deployready-baseline"' in report and "before.json" in report
    import html

    # pytest-html keeps its rows as escaped JSON in an attribute: compare the unescaped text.
    shown = html.unescape(html.unescape(report))
    assert "api_p95_ms: 120 ms (<= baseline * 0.7; baseline 200 ms, change -40 %)" in shown


def test_summary_and_signature_are_written_with_the_record(
    page_and_record: tuple[Path, Path, str], pytester: pytest.Pytester
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    (pytester.path / "release.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (pytester.path / "release.pub.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    result = pytester.runpytest(
        "--deploy-continue",
        "--deploy-attest=attestations.toml",
        "--deploy-record=signed.json",
        "--deploy-html=signed.html",
        "--deploy-summary=summary.md",
        "--deploy-sign-key=release.pem",
    )
    assert result.ret == 6
    summary = (pytester.path / "summary.md").read_text()
    assert summary.startswith("## ⏪ ROLLBACK — Release 4.2 readiness")
    assert "### Rollback triggers fired (1)" in summary and "396.2 ms" in summary
    assert "Release manager: **unsigned**" in summary and "signed.json" in summary
    envelope = pytester.path / "signed.json.dsse.json"
    assert envelope.is_file()
    args = ["verify", "--key", str(pytester.path / "release.pub.pem")]
    page, record = str(pytester.path / "signed.html"), str(pytester.path / "signed.json")
    assert main([*args, page, record]) == 0
    text = (pytester.path / "signed.json").read_text()
    (pytester.path / "signed.json").write_text(text.replace('"exit_code": 6', '"exit_code": 0'))
    assert main([*args, page, record]) == 1  # the signature no longer matches the record


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deploy-sign-key=nope.pem", "--deploy-record=r.json"], "cannot use"),
        (["--deploy-sign-key=deployready.toml"], "give --deploy-record too"),
        (["--deploy-summary=deployready.toml"], "configuration file"),
    ],
)
def test_bad_summary_or_key_options_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makefile(".toml", deployready=CONFIG)
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest(*args)
    assert result.ret == 4
    assert message in result.stderr.str()


def test_the_summary_is_capped_on_a_large_run(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready="[thresholds]\n")
    pytester.makepyfile(
        test_many="""
import pytest


@pytest.mark.phase("pre")
@pytest.mark.parametrize("n", range(40))
def test_item(n):
    assert n % 2 == 0, f"item {n} is broken"
"""
    )
    pytester.runpytest("--deploy-summary=summary.md")
    summary = (pytester.path / "summary.md").read_text()
    assert "### Blocking (20)" in summary and "… and 10 more in the record" in summary
    assert len(summary.splitlines()) < 40


def test_the_rollback_reason_is_recorded_and_shown_where_the_trigger_fired(
    page_and_record: tuple[Path, Path, str], pytester: pytest.Pytester
) -> None:
    _, record_path, page = page_and_record
    record = json.loads(record_path.read_text())
    reasons = {c["id"].split("::")[1]: c["rollback_reason"] for c in record["checks"]}
    assert reasons["test_latency"] == "p95 > 200 ms" and reasons["test_connections"] is None
    first = page[: page.index('id="nav"')]
    assert "API p95 under budget</a> — p95 &gt; 200 ms" in first
    assert "rollback trigger: p95 &gt; 200 ms" in page
    result = pytester.runpytest("--deploy-continue", "--deploy-attest=attestations.toml")
    result.stdout.fnmatch_lines(
        ["BLOCKING *test_latency [[]post, major, rollback trigger: p95 > 200 ms[]]*"]
    )


def test_the_record_names_the_attestation_file_and_its_digest(
    page_and_record: tuple[Path, Path, str],
) -> None:
    import hashlib

    _, record_path, page = page_and_record
    record = json.loads(record_path.read_text())
    attest = record_path.parent / "attestations.toml"
    assert record["attestation_file"] == {
        "path": str(attest),
        "sha256": hashlib.sha256(attest.read_bytes()).hexdigest(),
    }
    assert "Attestation file" in page and record["attestation_file"]["sha256"] in page
