"""Rollback: if deployment fails"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence

pytestmark = pytest.mark.phase("rollback")


@pytest.mark.manual("DevOps", reason="an action of the operator: the checks never stop services")
def test_stop_application() -> None:
    """**Stop Application**: `pm2 stop khaacho` or `docker stop khaacho-app`"""


@pytest.mark.severity("critical")
@pytest.mark.manual(
    "Database Admin", reason="a restore writes the database: the checks never write to it"
)
def test_restore_database() -> None:
    """**Restore Database** (if migrations were applied): `restore-database.ps1 -BackupFile backups\\pre-deployment-backup.sql`"""  # noqa: E501


@pytest.mark.manual("Technical Lead", reason="a git action on the application host")
def test_revert_code() -> None:
    """**Revert Code**: `git checkout previous-stable-tag`, `npm install`, `npx prisma generate`"""


@pytest.mark.manual("DevOps", reason="an action of the operator on the application host")
def test_restart_application() -> None:
    """**Restart Application**: `pm2 start khaacho` or `docker start khaacho-app`"""


@pytest.mark.severity("critical")
def test_verify(api: Api, evidence: Evidence) -> None:
    """**Verify**: `curl http://localhost:3000/api/v1/health`"""
    health = api.health("/api/v1/health")
    evidence.add("health", health.body)
    assert health.ok, f"/api/v1/health answered {health.status}: {health.text}"
