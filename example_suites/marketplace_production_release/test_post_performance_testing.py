"""Performance testing"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, Thresholds

from ._support import api_cpu_ratio, api_window, cached_endpoint, check_memory_stable, scrape

pytestmark = pytest.mark.phase("post")

#: Endpoints sampled for "most endpoints" (reads that every client uses).
ENDPOINTS = ("/api/v1/health", cached_endpoint(1), "/api/jobs/status", "/auth/me")


def test_response_times_acceptable(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """Response times acceptable (<500ms for most endpoints)"""
    results = {path: api.sample("GET", path, n=40, concurrency=5) for path in ENDPOINTS}
    evidence.add("samples", {p: r.as_dict() for p, r in results.items()})
    errors = {p: r.errors for p, r in results.items() if r.errors}
    assert errors == {}, f"errors while sampling: {errors}"
    thresholds.check("api_p95_ms", max(r.p95_ms for r in results.values()))
    thresholds.check("api_p50_ms", max(r.p50_ms for r in results.values()))


@pytest.mark.severity("critical")
def test_queries_use_indexes(db: Database, evidence: Evidence) -> None:
    """Database queries use indexes (check with EXPLAIN)"""
    plans = {
        "purchase orders by buyer": db.explain(
            "SELECT * FROM purchase_orders WHERE buyer_company_id = %s", [1]
        ),
        "credit score by user": db.explain(
            "SELECT score FROM credit_scores WHERE user_id = %s", [1]
        ),
        "user by email": db.explain("SELECT id FROM users WHERE email = %s", ["a@example.com"]),
    }
    evidence.add("plans", {name: str(plan) for name, plan in plans.items()})
    assert plans["purchase orders by buyer"].uses_index("idx_po_buyer_company"), str(
        plans["purchase orders by buyer"]
    )
    no_index = [name for name, plan in plans.items() if not plan.uses_index()]
    assert no_index == [], f"queries without an index: {no_index}"


def test_connection_pool_not_exhausted(
    db: Database, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Connection pool not exhausted"""
    counts = db.connection_counts(all_databases=True)
    evidence.add("connections", counts)
    evidence.add("max_connections", db.max_connections)
    assert counts["idle in transaction"] <= 2, f"sessions idle in transaction: {counts}"
    thresholds.check("db_connections_used_ratio", counts["total"] / db.max_connections)


def test_memory_usage_stable(
    prometheus: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Memory usage stable"""
    check_memory_stable(prometheus, thresholds, evidence)


def test_cpu_usage_reasonable(
    prometheus: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """CPU usage reasonable"""
    window = api_window(prometheus, min_s=40)
    evidence.add("window_s", window)
    thresholds.check("api_cpu_avg_ratio", api_cpu_ratio(prometheus, "avg", window))


def test_no_memory_leaks(
    api: Api, metrics: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """No memory leaks detected"""
    # A leak grows with the traffic: the resident memory before and after 1000 more lookups,
    # once the process is warm (200 first), read from the API's own /metrics.
    warm = api.sample("GET", cached_endpoint(1), n=200, concurrency=4)
    before = scrape(metrics, api).gauge("process_resident_memory_bytes")
    load = api.sample("GET", cached_endpoint(1), n=1000, concurrency=4)
    after = scrape(metrics, api).gauge("process_resident_memory_bytes")
    evidence.add(
        "rss_mb", {"before": round(before / 1024**2, 1), "after": round(after / 1024**2, 1)}
    )
    assert warm.errors == 0 and load.errors == 0, f"errors while loading: {warm}; {load}"
    thresholds.check("api_memory_growth_mb_per_1k_requests", (after - before) / 1024**2)
