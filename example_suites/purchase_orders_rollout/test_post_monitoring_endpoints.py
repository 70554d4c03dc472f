"""Success metrics: monitoring endpoints"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence

pytestmark = pytest.mark.phase("post")


@pytest.mark.manual(
    "Release manager",
    reason="not provided by the demo stack: /api/admin/optimization-dashboard",
)
def test_optimization_dashboard_endpoint() -> None:
    """GET /api/admin/optimization-dashboard - Overall optimization status"""


@pytest.mark.manual(
    "Release manager",
    reason="not provided by the demo stack: /api/admin/performance-metrics",
)
def test_performance_metrics_endpoint() -> None:
    """GET /api/admin/performance-metrics - Detailed performance metrics"""


@pytest.mark.severity("critical")
def test_health_endpoint(api: Api, evidence: Evidence) -> None:
    """GET /health - Application health check"""
    health = api.health("/health")
    evidence.add("health", health.body)
    assert health.ok, f"/health: HTTP {health.status}: {health.text}"
    assert health.body.get("database") == "ok" and health.body.get("redis") == "ok", health.body
