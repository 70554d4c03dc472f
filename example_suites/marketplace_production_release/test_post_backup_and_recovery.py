"""Backup & recovery"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("post")

_HOST = "backups run on the database host, not visible from any target"


@pytest.mark.severity("critical")
@pytest.mark.manual("Database Admin", reason=_HOST)
def test_backup_script_scheduled() -> None:
    """Automated backup script scheduled"""


@pytest.mark.manual("Database Admin", reason=_HOST)
def test_backup_location_configured() -> None:
    """Backup location configured"""


@pytest.mark.manual("Database Admin", reason=_HOST)
def test_backup_retention_policy() -> None:
    """Backup retention policy set (7 days default)"""


@pytest.mark.severity("critical")
@pytest.mark.manual("Database Admin", reason="a restore drill, done by a person")
def test_restore_procedure_tested() -> None:
    """Restore procedure tested"""


@pytest.mark.severity("minor")
@pytest.mark.manual("DevOps", reason=_HOST)
def test_backup_notifications_configured() -> None:
    """Backup notifications configured"""
