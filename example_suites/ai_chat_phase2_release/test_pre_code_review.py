"""1. Code Review & Approval"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pytest_deployready import Evidence, Release

from .support import PR

pytestmark = pytest.mark.phase("pre")

REVIEW = (
    "PR approvals and review comments live on GitHub: automating it needs the code host's API "
    "(GitHub reviews) as a target"
)
#: Lines git writes into a file when a merge conflicts.
CONFLICT_MARKERS = r"^(<<<<<<<|>>>>>>>) "
TESTS_TIMEOUT_S = 120


# seed line 14
@pytest.mark.manual("Team lead", reason=REVIEW)
def test_pr_reviewed_and_approved() -> None:
    """PR #3 reviewed and approved by team lead"""


# seed line 15
@pytest.mark.manual(
    "Developer",
    reason="CI/CD results live in the CI system: automating it needs the CI system's API "
    "(e.g. GitHub Actions check runs) as a target",
)
def test_ci_checks_passed() -> None:
    """All CI/CD checks passed (tests, builds, linting)"""


# seed line 16
def test_no_merge_conflicts(
    release: Release, merged_prs: dict[int, str], evidence: Evidence
) -> None:
    """No merge conflicts with main branch"""
    # PR #3 is merged into main, and no committed file carries a conflict marker.
    evidence.add("branch", release.branch)
    assert release.branch == "main", f"the release is {release.describe()}, not main"
    assert PR in merged_prs, f"PR #{PR} is not merged into main (merged: {list(merged_prs)})"
    markers = [f"{path}:{line}" for path, line, _ in release.grep(CONFLICT_MARKERS)]
    evidence.add("conflict_markers", markers)
    assert markers == [], f"conflict markers committed: {', '.join(markers)}"


# seed line 17
def test_all_tests_passing_locally(release: Release, evidence: Evidence) -> None:
    """All 9/9 tests passing locally"""
    # The release's own tests, run from its checkout (no cache or bytecode written there).
    assert release.files("tests", "test_*.py"), "the release has no tests/test_*.py"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=release.root,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_ADDOPTS": ""},
        capture_output=True,
        text=True,
        timeout=TESTS_TIMEOUT_S,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    evidence.add("result", summary)
    assert result.returncode == 0, f"the release's tests fail: {summary}"
    assert " passed" in summary and "skipped" not in summary, f"not all tests ran: {summary}"


# seed line 18
@pytest.mark.severity("minor")
@pytest.mark.manual(
    "Team lead",
    reason="reviewing documentation is a human judgement (whether it is accurate needs a "
    "reader who knows the system)",
)
def test_documentation_reviewed() -> None:
    """Documentation reviewed and accurate"""
