"""Long-term validation (within 24 hours)"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, RedisTarget, Thresholds

from ._support import (
    assert_db_queries_reduced,
    assert_latency_improved,
    check_memory_stable,
    hit_ratio_from_metrics,
    scrape,
    server_errors,
)

pytestmark = pytest.mark.phase("post")


def test_cache_hit_rate_stabilized(
    api: Api, metrics: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Cache hit rate stabilized >70%"""
    exposition = scrape(metrics, api)
    evidence.add("cache_hits_total", exposition.counter("cache_hits"))
    evidence.add("cache_misses_total", exposition.counter("cache_misses"))
    thresholds.check("cache_hit_ratio_stable", hit_ratio_from_metrics(exposition))


@pytest.mark.severity("critical")
def test_zero_production_errors(
    api: Api, metrics: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Zero production errors"""
    errors = server_errors(scrape(metrics, api))
    evidence.add("server_errors", errors)
    thresholds.check("production_errors", sum(errors.values()))


def test_api_latency_improved(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """API latency improved by >60%"""
    assert_latency_improved(api, thresholds, evidence)


def test_database_load_reduced(
    db: Database, api: Api, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Database load reduced by >50%"""
    assert_db_queries_reduced(db, api, thresholds, evidence)


def test_memory_usage_stable(
    prometheus: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Memory usage stable"""
    check_memory_stable(prometheus, thresholds, evidence)


def test_no_cache_evictions(redis: RedisTarget, thresholds: Thresholds, evidence: Evidence) -> None:
    """No cache evictions: `docker-compose exec redis redis-cli INFO stats | grep evicted`"""
    evidence.add("expired_keys", redis.expired_keys())
    thresholds.check("redis_evicted_keys", redis.evicted_keys())
