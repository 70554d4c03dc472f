"""Step 2: Deploy Backend to VPS — Option B: Manual SSH Deployment"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence, Release

pytestmark = pytest.mark.phase("deploy")


# seed line 78
@pytest.mark.severity("minor")
def test_manual_ssh_deployment(
    release: Release, deployed_version: dict[str, str], evidence: Evidence
) -> None:
    """Option B (alternative to A): manual SSH deployment — `git stash`, `git pull origin main`, `pip install -r requirements.txt`, restart `myhibachi-api`"""  # noqa: E501
    # What the commands leave behind, whichever option ran: the checkout is main with no local
    # changes (`git stash`), and the restarted API runs its commit. (The packages of
    # `pip install -r` are test_pre_dependencies.py::test_python_dependencies_updated.)
    evidence.add("release", release.describe())
    assert release.branch == "main", f"the checkout is {release.describe()}, not main"
    assert not release.dirty, f"local changes not stashed: {release.changed_files}"
    assert deployed_version.get("commit") == release.commit, (
        f"the API runs {deployed_version.get('commit')!r}, the release is {release.describe()}"
    )
