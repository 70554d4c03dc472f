"""Rollback plan: if critical issues occur"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, eventually

pytestmark = pytest.mark.phase("rollback")


@pytest.mark.manual(
    "DevOps", reason="stops the stack; checks never change a target (docker compose down)"
)
def test_current_deployment_stopped() -> None:
    """Stop current deployment (docker compose down)"""


@pytest.mark.severity("critical")
def test_previous_version_restored(api: Api, evidence: Evidence) -> None:
    """Restore from previous version (git checkout <PREVIOUS_TAG>; docker compose up -d)"""
    health = eventually(lambda: api.health("/health"), timeout=30, message="API healthy")
    evidence.add("running_version", health.body.get("version"))


@pytest.mark.manual(
    "DBA", reason="a restore writes to the database; only a DBA decides and runs it"
)
def test_database_restored_if_needed() -> None:
    """Restore database if needed (psql ... < backup_<timestamp>.sql)"""


@pytest.mark.manual("Release manager", reason="people are notified by a person")
def test_stakeholders_notified() -> None:
    """Notify stakeholders: development team, product owners, support team"""


@pytest.mark.manual("Incident commander", reason="an incident write-up by a person")
def test_incident_documented() -> None:
    """Document incident: what went wrong, when detected, how resolved, lessons learned"""
