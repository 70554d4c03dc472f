"""Short-term monitoring (first hour)"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, Thresholds

pytestmark = pytest.mark.phase("post")

#: The first hour after the deploy (less when the deploy is more recent).
FIRST_HOUR_S = 3600
CPU = 'process_cpu_seconds_total{job="api"}'


def test_no_error_spikes(traffic: dict[str, float], evidence: Evidence) -> None:
    """No error spikes in logs"""
    evidence.add("traffic", traffic)
    assert traffic["server_errors"] == 0, f"{traffic['server_errors']:.0f} server errors answered"


def test_api_response_times_within_sla(
    api: Api, buyer_id: int, thresholds: Thresholds, evidence: Evidence
) -> None:
    """API response times within SLA"""
    paths = (f"/api/purchase-orders?buyer_company_id={buyer_id}", "/api/jobs/status", "/auth/me")
    p95 = {}
    for path in paths:
        result = api.sample("GET", path, n=40, concurrency=5)
        assert result.errors == 0, f"errors while sampling: {result}"
        p95[path] = result.p95_ms
    evidence.add("p95_ms", p95)
    thresholds.check("api_p95_ms", max(p95.values()))


def test_memory_usage_stable(
    memory_growth: Callable[[float], float], thresholds: Thresholds
) -> None:
    """Memory usage stable"""
    # The API's resident memory since the deploy: its growth per hour (least squares trend).
    thresholds.check("memory_growth_mb_per_h", memory_growth(FIRST_HOUR_S))


def test_cpu_usage_normal(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """CPU usage within normal range"""
    # The API process's CPU time per second since the deploy (1.0 = one core busy).
    span = window(FIRST_HOUR_S)
    evidence.add("window", span)
    thresholds.check("cpu_usage", prometheus.required_value(f"max(rate({CPU}[{span}]))"))


@pytest.mark.severity("critical")
def test_no_connection_pool_exhaustion(db: Database, evidence: Evidence) -> None:
    """No database connection pool exhaustion"""
    counts = db.connection_counts(all_databases=True)
    max_connections = db.max_connections
    evidence.add("connections", {**counts, "max_connections": max_connections})
    assert counts["total"] < 0.8 * max_connections, (
        f"{counts['total']} of {max_connections} connections in use"
    )
