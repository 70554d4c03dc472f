"""Backup and safety"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("pre")


@pytest.mark.severity("critical")
@pytest.mark.manual(
    "DevOps", reason="the dump is a file on the operator's machine, not visible from any target"
)
def test_database_backup_created() -> None:
    """Database backup created: `pg_dump postgres > backup_$(date +%Y%m%d).sql`"""


@pytest.mark.manual(
    "Developer", reason="the application's git repository is not a target of these checks"
)
def test_application_code_committed() -> None:
    """Application code committed to git"""


@pytest.mark.manual(
    "DevOps", reason="the .env file lives on the deployment host, not visible from any target"
)
def test_env_file_backed_up() -> None:
    """Current .env file backed up: `cp .env .env.backup`"""


@pytest.mark.manual("Product Owner", reason="a document, reviewed by a person")
def test_rollback_plan_documented() -> None:
    """Rollback plan documented"""
