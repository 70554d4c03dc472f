"""Full rollback (< 15 minutes)"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("rollback")


@pytest.mark.manual("DevOps", reason="an action of the operator: the checks never stop services")
def test_stop_new_services() -> None:
    """Stop all new services: `docker-compose stop redis prometheus grafana`"""


@pytest.mark.manual(
    "DevOps",
    reason="an action of the operator during a rollback (cp .env.backup .env); that the backup "
    "exists is checked before the deployment (test_env_file_backed_up)",
)
def test_restore_previous_env() -> None:
    """Restore previous .env: `cp .env.backup .env`"""


@pytest.mark.severity("critical")
@pytest.mark.manual(
    "Developer", reason="a schema change (DEVELOPMENT ONLY): the checks never write to a database"
)
def test_rollback_database_migration() -> None:
    """Rollback database migration (DEVELOPMENT ONLY): `python -m src.db.migrations.performance_optimization rollback`"""  # noqa: E501


@pytest.mark.manual("DevOps", reason="an action of the operator on the deployment host")
def test_restart_previous_version() -> None:
    """Restart with previous version: `git checkout <previous-commit>`, `docker-compose up -d --build backend`"""  # noqa: E501
