"""Monitoring and alerts: alert thresholds (rollback triggers)"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence, Exposition, RedisTarget, SampleResult, Thresholds

pytestmark = [pytest.mark.phase("post"), pytest.mark.severity("critical")]


@pytest.mark.rollback_trigger("response time > 2 seconds")
def test_response_time_alert(po_latency: SampleResult, thresholds: Thresholds) -> None:
    """Response time > 2 seconds"""
    thresholds.check("response_time_alert_ms", po_latency.p95_ms)


@pytest.mark.rollback_trigger("cache hit ratio < 40%")
@pytest.mark.usefixtures("po_latency")
def test_cache_hit_ratio_alert(exposition: Exposition, thresholds: Thresholds) -> None:
    """Cache hit ratio < 40%"""
    ratio = exposition.ratio("cache_hits", "cache_hits", "cache_misses")
    thresholds.check("cache_hit_ratio_alert", ratio)


@pytest.mark.rollback_trigger("error rate > 1%")
@pytest.mark.usefixtures("po_latency")
def test_error_rate_alert(traffic: dict[str, float], thresholds: Thresholds) -> None:
    """Error rate > 1%"""
    thresholds.check("error_rate_alert", traffic["error_rate"])


@pytest.mark.rollback_trigger("memory usage > 90%")
def test_memory_usage_alert(redis: RedisTarget, thresholds: Thresholds, evidence: Evidence) -> None:
    """Memory usage > 90%"""
    memory = redis.memory()
    evidence.add("redis_memory", {"used": memory.used_bytes, "max": memory.maxmemory_bytes})
    assert memory.used_ratio is not None, "Redis has no maxmemory: cache memory is unbounded"
    thresholds.check("memory_usage_alert", memory.used_ratio)
