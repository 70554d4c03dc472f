"""Load testing"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, SampleResult, Thresholds

pytestmark = pytest.mark.phase("post")


def test_comprehensive_performance_test(
    api: Api, po_url: str, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Run comprehensive performance test (Expected results: All tests pass)"""
    load = api.sample("GET", po_url, n=150, concurrency=15)
    health = api.sample("GET", "/health", n=30, concurrency=5)
    evidence.add("purchase_orders_under_load", load.as_dict())
    evidence.add("health_under_load", health.as_dict())
    assert load.errors == 0 and health.errors == 0, f"errors under load: {load}; {health}"
    thresholds.check("po_response_p95_ms", load.p95_ms)


def test_response_times_improved(
    po_latency: SampleResult, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Response times improved by 30-60%"""
    # The baseline's sample, not the load test's: the same requests at the same concurrency.
    evidence.add("purchase_orders_latency", po_latency.as_dict())
    thresholds.check("po_response_after_p95_ms", po_latency.p95_ms)


@pytest.mark.severity("critical")
def test_no_authentication_errors(api: Api, evidence: Evidence) -> None:
    """No authentication errors"""
    result = api.sample("GET", "/auth/me", n=40, concurrency=5, expect_status=200)
    evidence.add("auth_me_under_load", result.as_dict())
    assert result.errors == 0, f"authenticated requests failed: {dict(result.status_counts)}"


def test_cache_hit_ratio_under_load(
    api: Api, buyer_ids: list[int], thresholds: Thresholds, evidence: Evidence
) -> None:
    """Cache hit ratio > 60%"""
    outcomes: dict[str, int] = {}
    for _ in range(3):
        for buyer in buyer_ids:
            response = api.get(f"/api/purchase-orders?buyer_company_id={buyer}&limit=20")
            key = response.headers.get("x-cache", f"HTTP {response.status_code}")
            outcomes[key] = outcomes.get(key, 0) + 1
    evidence.add("x_cache", outcomes)
    thresholds.check("cache_hit_ratio", outcomes.get("HIT", 0) / sum(outcomes.values()))
