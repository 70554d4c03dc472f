"""Step 2: Deploy Backend to VPS — Option A: Using Plesk Git Integration"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("deploy")

PLESK = "clicks in the Plesk panel of the VPS; the panel is not a deployment target"


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
@pytest.mark.manual("DevOps", reason=PLESK)
def test_plesk_main_branch_selected() -> None:
    """Select main branch"""


# seed line 75
@pytest.mark.manual("DevOps", reason=PLESK)
def test_plesk_deployment_completed() -> None:
    """Wait for deployment to complete"""


# seed line 76
@pytest.mark.manual(
    "DevOps", reason="Plesk's deployment log is shown in the panel, not exposed by any target"
)
def test_plesk_deployment_logs_clean() -> None:
    """Check deployment logs for errors"""
