"""Short-term monitoring (within 1 hour)"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, RedisTarget, Thresholds

from ._support import CACHED_ENDPOINT, hit_ratio_from_metrics, scrape, slow_statements

pytestmark = pytest.mark.phase("post")


def test_cache_hit_rate(
    api: Api, metrics: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Cache hit rate >60%: `curl http://localhost:8000/metrics | grep cache_hits`"""
    exposition = scrape(metrics, api)
    evidence.add("cache_hits_total", exposition.counter("cache_hits"))
    evidence.add("cache_misses_total", exposition.counter("cache_misses"))
    thresholds.check("cache_hit_ratio", hit_ratio_from_metrics(exposition))


def test_no_slow_queries(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """No slow queries: `docker-compose logs backend | grep "SLOW QUERY"` is empty"""
    slowest = slow_statements(db, limit=5)
    evidence.add("slowest_statements", slowest)
    assert slowest, "pg_stat_statements has recorded no application query"
    thresholds.check("slow_query_mean_ms", float(str(slowest[0]["mean_ms"])))


def test_api_p95_latency(
    api: Api, metrics: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """API p95 latency <200ms: Check Prometheus metrics"""
    # The p95 the cache layer answers for: its cached read route, from the app's histogram
    # (other routes are evidence only: load tests of other suites skew them).
    exposition = scrape(metrics, api)
    per_path: dict[str, float] = {}
    for series in exposition.series("http_request_duration_seconds_count"):
        if series.value >= 20:
            labels = {k: v for k, v in series.labels.items() if k in ("method", "path")}
            p95 = exposition.histogram_quantile("http_request_duration_seconds", 0.95, **labels)
            per_path[f"{labels.get('method')} {labels.get('path')}"] = round(p95 * 1000, 1)
    evidence.add("p95_ms_by_route", per_path)
    route = f"GET {CACHED_ENDPOINT}"
    assert route in per_path, f"{route} has not served 20 requests yet"
    thresholds.check("api_p95_ms", per_path[route])


def test_redis_memory(redis: RedisTarget, thresholds: Thresholds, evidence: Evidence) -> None:
    """Redis memory <512MB: `docker-compose exec redis redis-cli INFO memory`"""
    memory = redis.memory()
    evidence.add("used_bytes", memory.used_bytes)
    evidence.add("fragmentation_ratio", memory.fragmentation_ratio)
    thresholds.check("redis_used_memory_mb", memory.used_bytes / 1024**2)


def test_no_connection_pool_exhaustion(
    db: Database, thresholds: Thresholds, evidence: Evidence
) -> None:
    """No connection pool exhaustion: `docker-compose logs backend | grep "pool"`"""
    counts = db.connection_counts(all_databases=True)
    evidence.add("connections", counts)
    evidence.add("max_connections", db.max_connections)
    thresholds.check("db_connections_used_ratio", counts["total"] / db.max_connections)
