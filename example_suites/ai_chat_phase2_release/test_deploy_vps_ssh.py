"""Step 2: Deploy Backend to VPS — Option B: Manual SSH Deployment"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("deploy")


# seed line 78
@pytest.mark.severity("minor")
@pytest.mark.manual(
    "DevOps", reason="the alternative to Option A: commands run over SSH on the VPS"
)
def test_manual_ssh_deployment() -> None:
    """Option B (alternative to A): manual SSH deployment — `git stash`, `git pull origin main`, `pip install -r requirements.txt`, restart `myhibachi-api`"""  # noqa: E501
