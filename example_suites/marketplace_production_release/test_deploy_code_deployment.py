"""Code deployment"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, Release

pytestmark = pytest.mark.phase("deploy")

#: The branch production deploys from.
PRODUCTION_BRANCH = "main"
_CI = (
    "a CI result, not visible from the deployed targets (automating it needs the CI "
    "system's status for the release commit, which the demo stack does not provide)"
)


def test_code_pushed_to_production_branch(release: Release, api: Api, evidence: Evidence) -> None:
    """Code pushed to production branch"""
    deployed = str(api.get("/version").json().get("commit") or "")
    evidence.add("release", release.describe())
    evidence.add("deployed_commit", deployed)
    assert release.branch == PRODUCTION_BRANCH, (
        f"the release is {release.describe()}, not the head of {PRODUCTION_BRANCH}"
    )
    assert not release.dirty, f"uncommitted changes in the release: {release.changed_files[:10]}"
    assert release.resolve(deployed) == release.commit, (
        f"production runs commit {deployed!r}, not the head of {PRODUCTION_BRANCH} "
        f"({release.short_commit})"
    )


@pytest.mark.manual("DevOps", reason=_CI)
def test_build_successful() -> None:
    """Build successful"""


@pytest.mark.manual("Technical Lead", reason=_CI)
def test_no_typescript_eslint_errors() -> None:
    """No TypeScript/ESLint errors"""


@pytest.mark.manual("Technical Lead", reason=_CI)
def test_all_tests_passing() -> None:
    """All tests passing (if applicable)"""
