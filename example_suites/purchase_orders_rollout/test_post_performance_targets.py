"""Success metrics: performance targets"""

from __future__ import annotations

import pytest

from pytest_deployready import Database, Evidence, RedisTarget, SampleResult, Thresholds

pytestmark = pytest.mark.phase("post")

#: The optimised query: a buyer's latest purchase orders (what the API runs on a cache miss).
BUYER_QUERY = (
    "SELECT id, buyer_company_id, seller_company_id, product_id, status, quantity,"
    " total_amount, created_at FROM purchase_orders WHERE buyer_company_id = %s"
    " ORDER BY created_at DESC LIMIT 100"
)


def test_response_time_target(
    po_latency: SampleResult, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Response Time: < 500ms for purchase order queries"""
    evidence.add("purchase_orders_latency", po_latency.as_dict())
    thresholds.check("po_response_p95_ms", po_latency.p95_ms)


@pytest.mark.usefixtures("po_latency")
def test_cache_hit_ratio_target(
    redis: RedisTarget, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Cache Hit Ratio: > 60% within 24 hours"""
    ratio = redis.hit_ratio()
    assert ratio is not None, "Redis has served no lookups yet: no hit ratio to judge"
    stats = redis.info("stats")
    evidence.add("keyspace", {k: stats.get(k) for k in ("keyspace_hits", "keyspace_misses")})
    thresholds.check("cache_hit_ratio", ratio)


def test_database_query_time_target(
    db: Database, buyer_ids: list[int], thresholds: Thresholds, evidence: Evidence
) -> None:
    """Database Query Time: < 100ms for optimized queries"""
    plan = db.explain(BUYER_QUERY, [buyer_ids[-1]], analyze=True)
    assert plan.execution_time_ms is not None, "EXPLAIN ANALYZE reported no execution time"
    evidence.add("plan", str(plan))
    thresholds.check("db_query_ms", plan.execution_time_ms)


@pytest.mark.usefixtures("po_latency")
def test_error_rate_target(
    traffic: dict[str, float], thresholds: Thresholds, evidence: Evidence
) -> None:
    """Error Rate: < 0.1% for all endpoints"""
    evidence.add("traffic", traffic)
    thresholds.check("error_rate", traffic["error_rate"])
