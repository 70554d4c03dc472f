"""Immediate rollback (< 5 minutes)"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence

pytestmark = pytest.mark.phase("rollback")


@pytest.mark.manual(
    "DevOps", reason="a change made by the operator (CACHE_ENABLED=false, restart backend)"
)
def test_disable_cache() -> None:
    """Disable cache: edit .env (CACHE_ENABLED=false), restart backend"""


@pytest.mark.manual("DevOps", reason="an action of the operator: the checks never stop services")
def test_stop_redis() -> None:
    """Stop Redis: `docker-compose stop redis`"""


@pytest.mark.severity("critical")
def test_application_works_without_cache(api: Api, evidence: Evidence) -> None:
    """Verify application works without cache: `curl http://localhost:8000/health`"""
    health = api.health("/health")
    evidence.add("health", health.body)
    assert health.status == 200, f"/health answered {health.status}: {health.text}"
