"""Performance benchmarks"""

from __future__ import annotations

import statistics
import time

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, Thresholds

from ._support import (
    api_cpu_ratio,
    api_memory_mb,
    api_window,
    sample_cached_endpoint,
    scrape,
    slow_statements,
)

pytestmark = pytest.mark.phase("post")


def _processed(api: Api) -> int:
    return int(api.get("/api/jobs/status").json()["processed"])


@pytest.mark.section("Expected performance")
def test_api_response_time(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """**API Response Time**: <200ms (p50), <500ms (p95)"""
    result = sample_cached_endpoint(api, n=100)
    evidence.add("sample", result.as_dict())
    thresholds.check("api_p50_ms", result.p50_ms)
    thresholds.check("api_p95_ms", result.p95_ms)
    thresholds.check("error_rate", result.error_rate)


@pytest.mark.section("Expected performance")
def test_database_query_time(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Database Query Time**: <50ms (p50), <200ms (p95)"""
    statements = slow_statements(db, limit=1000)
    assert statements, "pg_stat_statements has recorded no application query"
    means = [float(str(s["mean_ms"])) for s in statements]
    evidence.add("statements", len(means))
    evidence.add("slowest", statements[:3])
    thresholds.check("db_query_mean_ms", statistics.median(means))
    thresholds.check("db_query_slowest_ms", max(means))


@pytest.mark.section("Expected performance")
def test_job_processing_time(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Job Processing**: <5s per job (average)"""
    start, before = time.monotonic(), _processed(api)
    time.sleep(2)
    done, elapsed = _processed(api) - before, time.monotonic() - start
    evidence.add("jobs_in_window", done)
    assert done > 0, "no job finished within 2 s"
    thresholds.check("job_processing_s", elapsed / done)


@pytest.mark.section("Expected performance")
def test_memory_usage(prometheus: Metrics, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Memory Usage**: <512MB (idle), <1GB (peak)"""
    window = api_window(prometheus)
    evidence.add("window_s", window)
    # Idle: now, between checks (no request of this check is running); peak: since the start.
    thresholds.check("api_memory_idle_mb", api_memory_mb(prometheus, "now"))
    thresholds.check("api_memory_peak_mb", api_memory_mb(prometheus, "max", window))


@pytest.mark.section("Expected performance")
def test_cpu_usage(prometheus: Metrics, thresholds: Thresholds, evidence: Evidence) -> None:
    """**CPU Usage**: <20% (idle), <60% (peak)"""
    window = api_window(prometheus, min_s=40)
    evidence.add("window_s", window)
    # Share of one core, averaged over 30 s: idle is the quietest stretch since the start,
    # peak the busiest (this run's load tests included).
    thresholds.check("api_cpu_idle_ratio", api_cpu_ratio(prometheus, "min", window))
    thresholds.check("api_cpu_peak_ratio", api_cpu_ratio(prometheus, "max", window))


@pytest.mark.section("Load capacity")
def test_concurrent_users(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Concurrent Users**: 100+"""
    result = api.sample("GET", "/api/v1/health", n=100, concurrency=100)
    evidence.add("sample", result.as_dict())
    thresholds.check("concurrent_users", result.concurrency)
    thresholds.check("error_rate", result.error_rate)


@pytest.mark.section("Load capacity")
def test_requests_per_second(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Requests per Second**: 50+"""
    result = api.sample("GET", "/api/v1/health", n=100, concurrency=10)
    evidence.add("sample", result.as_dict())
    thresholds.check("error_rate", result.error_rate)
    thresholds.check("requests_per_second", result.rps)


@pytest.mark.section("Load capacity")
@pytest.mark.manual(
    "DevOps",
    reason="a capacity figure from a load test that writes orders in bulk; these checks do not "
    "write bulk data to the target",
)
def test_orders_per_day() -> None:
    """**Orders per Day**: 10,000+"""


@pytest.mark.section("Load capacity")
def test_database_connections_per_instance(
    api: Api, metrics: Metrics, thresholds: Thresholds
) -> None:
    """**Database Connections**: 20 per instance"""
    thresholds.check("db_pool_connections", scrape(metrics, api).gauge("db_pool_size"))


@pytest.mark.section("Load capacity")
def test_job_queue_throughput(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Job Queue Throughput**: 100+ jobs/minute"""
    start, before = time.monotonic(), _processed(api)
    time.sleep(3)
    done, elapsed = _processed(api) - before, time.monotonic() - start
    evidence.add("jobs_in_window", done)
    thresholds.check("jobs_per_minute", done * 60 / elapsed)
