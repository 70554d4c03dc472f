"""Success criteria summary"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, RedisTarget, Thresholds

pytestmark = pytest.mark.phase("post")


@pytest.mark.manual("Customer support", reason="user reports reach support, not the system")
def test_no_user_facing_issues_reported() -> None:
    """No user-facing issues reported"""


def test_monitoring_shows_stable_performance(
    api: Api, po_url: str, redis: RedisTarget, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Monitoring shows stable performance"""
    samples = [api.sample("GET", po_url, n=40, concurrency=5) for _ in range(2)]
    evidence.add("consecutive_samples", [s.as_dict() for s in samples])
    for sample in samples:
        assert sample.errors == 0, f"errors in a monitoring sample: {sample}"
        thresholds.check("po_response_p95_ms", sample.p95_ms)
    jobs = api.get("/api/jobs/status").json()
    evidence.add("jobs", jobs)
    assert jobs["failed"] == 0, f"background jobs failed: {jobs}"
    evicted = redis.evicted_keys()
    evidence.add("redis_evicted_keys", evicted)
    assert evicted == 0, f"Redis evicted {evicted} keys: the cache is too small"
