"""1. Code quality"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence

pytestmark = pytest.mark.phase("pre")

_CI = (
    "a CI result on the release branch: needs the CI system's API (e.g. GitHub Actions check "
    "runs) — not a target"
)


def test_pr_14_merged(merged_prs: dict[int, str], evidence: Evidence) -> None:
    """**PR #14** merged (Type checking errors fixed)"""
    assert 14 in merged_prs, f"PR #14 is not merged into the release (merged: {list(merged_prs)})"
    evidence.add("merge_commit", merged_prs[14][:12])


def test_pr_17_merged(merged_prs: dict[int, str], evidence: Evidence) -> None:
    """**PR #17** merged (CI/CD pipeline functional)"""
    assert 17 in merged_prs, f"PR #17 is not merged into the release (merged: {list(merged_prs)})"
    evidence.add("merge_commit", merged_prs[17][:12])


@pytest.mark.manual("CI", reason=_CI)
def test_mypy_passing() -> None:
    """All MyPy checks passing"""


@pytest.mark.manual("CI", reason=_CI)
def test_no_eslint_errors() -> None:
    """No ESLint errors in frontend"""


@pytest.mark.manual("CI", reason=_CI)
def test_black_flake8_passing() -> None:
    """Black/Flake8 passing for backend"""
