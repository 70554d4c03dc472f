"""Performance benchmarks"""

from __future__ import annotations

import os

import pytest

from pytest_deployready import Api, Evidence, Metrics, RedisTarget

from ._support import cached_endpoint, hit_ratio_from_metrics, sample_cached_endpoint, scrape

pytestmark = pytest.mark.phase("post")


def test_record_after_deployment(
    api: Api, metrics: Metrics, redis: RedisTarget, evidence: Evidence
) -> None:
    """Record post-deployment metrics: p50 / p95 / p99, cache enabled, hit rate, latency"""
    result = sample_cached_endpoint(api, n=100)
    evidence.add("api", result.as_dict())
    evidence.add("cache_hit_rate", round(hit_ratio_from_metrics(scrape(metrics, api)), 4))
    evidence.add("redis_ping_ms", redis.ping_latency(n=10))
    assert result.errors == 0, f"errors while sampling: {result}"
    assert os.environ.get("CACHE_ENABLED", "").lower() == "true", "CACHE_ENABLED is not true"
    assert api.get(cached_endpoint(1)).headers.get("x-cache") in ("HIT", "MISS"), (
        "the API does not answer through the cache (no X-Cache header)"
    )
