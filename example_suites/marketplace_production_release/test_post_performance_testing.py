"""Performance testing"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, Thresholds

from ._support import API_JOB, api_cpu_ratio, api_memory_mb, api_window, cached_endpoint

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
    # Stable: after the first minute (imports, pools, caches warming up), the resident memory
    # moved within a narrow band.
    window = api_window(prometheus) - 60
    assert window >= 30, "the API started less than 90 s ago: too short to judge stability"
    low, high = api_memory_mb(prometheus, "min", window), api_memory_mb(prometheus, "max", window)
    evidence.add("window_s", window)
    evidence.add("rss_mb", {"min": round(low, 1), "max": round(high, 1)})
    thresholds.check("api_memory_spread_mb", high - low)


def test_cpu_usage_reasonable(
    prometheus: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """CPU usage reasonable"""
    window = api_window(prometheus)
    evidence.add("window_s", window)
    thresholds.check("api_cpu_avg_ratio", api_cpu_ratio(prometheus, "avg", window))


def test_no_memory_leaks(prometheus: Metrics, thresholds: Thresholds, evidence: Evidence) -> None:
    """No memory leaks detected"""
    # A leak grows the resident memory steadily: its trend (deriv) since the start, per hour.
    window = api_window(prometheus)
    growth = prometheus.required_value(
        f'max(deriv(process_resident_memory_bytes{{job="{API_JOB}"}}[{window}s]))'
    )
    evidence.add("window_s", window)
    thresholds.check("api_memory_growth_mb_per_h", growth * 3600 / 1024**2)
