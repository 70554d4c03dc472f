"""Rollback Steps (15-20 minutes)"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, HealthResult, eventually

pytestmark = pytest.mark.phase("rollback")

ON_VPS = "an action over SSH or Plesk on the VPS, outside every deployment target"
RESTART_TIMEOUT_S = 60


# seed line 300
@pytest.mark.severity("critical")
@pytest.mark.manual("DevOps", reason=ON_VPS)
def test_stop_current_deployment() -> None:
    """Step 1: Stop Current Deployment — `sudo systemctl stop myhibachi-api` (or via Plesk)"""


# seed line 310
@pytest.mark.severity("critical")
@pytest.mark.manual("DevOps", reason=ON_VPS)
def test_restore_previous_code() -> None:
    """Step 2: Restore Previous Code — `git checkout v1.0-pre-phase2` (or restore `apps/backend.backup.YYYYMMDD` and `.env.backup.YYYYMMDD`)"""  # noqa: E501


# seed line 323
@pytest.mark.manual("DevOps", reason=ON_VPS)
def test_reinstall_dependencies() -> None:
    """Step 3: Reinstall Dependencies (if needed) — `pip install -r requirements.txt`"""


# seed line 329
@pytest.mark.severity("critical")
@pytest.mark.manual("DevOps", reason=ON_VPS)
def test_restart_application() -> None:
    """Step 4: Restart Application — `sudo systemctl start myhibachi-api` (or via Plesk)"""


# seed line 333
@pytest.mark.severity("critical")
def test_restarted_application_running(api: Api, evidence: Evidence) -> None:
    """Step 4: Verify it's running — `curl https://your-api-domain.com/health`"""

    def healthy() -> HealthResult:
        result = api.health("/health")
        assert result.ok, f"/health answered {result.status}: {result.text}"
        return result

    health = eventually(
        healthy,
        timeout=RESTART_TIMEOUT_S,
        interval=1.0,
        message="application answering /health after the rollback",
    )
    evidence.add("health", health.body)
    assert health.ok, f"/health answered {health.status}: {health.text}"
