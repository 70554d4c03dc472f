"""Rollback plan: if issues occur"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, Thresholds, eventually

pytestmark = pytest.mark.phase("rollback")


@pytest.mark.manual(
    "Release manager",
    reason="an action of the rollback itself; the flags stay true until someone rolls back",
)
def test_optimizations_disabled() -> None:
    """Disable optimizations (ENABLE_PO_* and ENABLE_PERFORMANCE_MONITORING=false)"""


@pytest.mark.severity("critical")
def test_application_restarted(api: Api, evidence: Evidence) -> None:
    """Restart application (systemctl restart common-backend)"""
    health = eventually(lambda: api.health("/health"), timeout=30, message="API healthy")
    evidence.add("health", health.body)


@pytest.mark.severity("critical")
def test_rollback_verified(
    api: Api, po_url: str, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Verify rollback (scripts/comprehensive_performance_test.py)"""
    result = api.sample("GET", po_url, n=50, concurrency=5)
    evidence.add("purchase_orders_after_rollback", result.as_dict())
    assert result.errors == 0, f"errors after the rollback: {result}"
    thresholds.check("response_time_alert_ms", result.p95_ms)
