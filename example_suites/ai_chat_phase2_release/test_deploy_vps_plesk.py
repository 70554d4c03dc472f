"""Step 2: Deploy Backend to VPS — Option A: Using Plesk Git Integration"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence, Release

pytestmark = pytest.mark.phase("deploy")

PLESK = (
    "clicks in the Plesk panel of the VPS: automating it needs Plesk's API (its Git extension) "
    "as a target"
)


# seed line 71
@pytest.mark.manual("DevOps", reason=PLESK)
def test_plesk_login() -> None:
    """Login to Plesk panel"""


# seed line 72
@pytest.mark.manual("DevOps", reason=PLESK)
def test_plesk_git_section() -> None:
    """Navigate to Git section"""


# seed line 73
@pytest.mark.manual("DevOps", reason=PLESK)
def test_plesk_pull_updates() -> None:
    """Click "Pull Updates" or "Deploy\""""


# seed line 74
def test_plesk_main_branch_selected(
    release: Release, deployed_version: dict[str, str], evidence: Evidence
) -> None:
    """Select main branch"""
    # What was deployed comes from main: the commit the API reports is on main's history.
    main = release.resolve("main")
    evidence.add("main", main[:12] if main else None)
    assert main is not None, "the repository has no main branch"
    deployed = deployed_version.get("commit", "")
    assert release.contains(deployed), (
        f"the API runs {deployed!r}, which is not in {release.describe()}"
    )
    assert release.commit == main, f"the release is {release.describe()}, not main ({main[:12]})"


# seed line 75
@pytest.mark.severity("critical")
def test_plesk_deployment_completed(
    release: Release, deployed_version: dict[str, str], evidence: Evidence
) -> None:
    """Wait for deployment to complete"""
    # Complete: the API now runs the release's commit (not the one before).
    evidence.add("release", release.describe())
    assert deployed_version.get("commit") == release.commit, (
        f"the API runs {deployed_version.get('commit')!r}, the release is {release.describe()}"
    )


# seed line 76
@pytest.mark.manual(
    "DevOps",
    reason="Plesk's deployment log is shown in the panel: automating it needs Plesk's API "
    "(the Git extension's deployment log) as a target",
)
def test_plesk_deployment_logs_clean() -> None:
    """Check deployment logs for errors"""
