"""First 2 Hours Monitoring"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, RedisTarget, SampleResult, Thresholds

from .support import check_pool_usage, summary

pytestmark = pytest.mark.phase("post")

SUPPORT = "complaints and tickets arrive at the support desk, not at a deployment target"
NO_HOST_METRICS = (
    "not provided by the demo stack: no process memory/CPU metric is exposed; "
    "read it from the host's monitoring"
)


# seed line 186
@pytest.mark.manual("Support", reason=SUPPORT)
def test_user_impact() -> None:
    """**User Impact**"""


# seed line 187
@pytest.mark.manual("Support", reason=SUPPORT)
def test_no_user_complaints() -> None:
    """No user complaints"""


# seed line 188
@pytest.mark.manual("Support", reason=SUPPORT)
def test_no_increase_in_support_tickets() -> None:
    """No increase in support tickets"""


# seed line 189
@pytest.mark.manual(
    "Product owner", reason="conversion rates come from business analytics, not from a target"
)
def test_booking_conversion_stable() -> None:
    """Booking conversion rate stable or improved"""


# seed line 191
@pytest.mark.severity("critical")
def test_system_stability(
    api: Api,
    db: Database,
    redis: RedisTarget,
    health_latency: SampleResult,
    evidence: Evidence,
) -> None:
    """**System Stability**"""
    evidence.add("health_sample", summary(health_latency))
    health = api.health("/health")
    evidence.add("health", health.body)
    evidence.add("redis_ping_ms", round(redis.ping_ms(), 2))
    evidence.add("postgres", db.server_version())
    assert health_latency.errors == 0, (
        f"/health failed {health_latency.errors} of {health_latency.count} times"
    )
    assert health.ok, f"/health answered {health.status}: {health.text}"


# seed line 192
@pytest.mark.manual("DevOps", reason=NO_HOST_METRICS)
def test_no_memory_leaks() -> None:
    """No memory leaks"""


# seed line 193
@pytest.mark.manual("DevOps", reason=NO_HOST_METRICS)
def test_cpu_usage_normal() -> None:
    """CPU usage normal (<70%)"""


# seed line 194
def test_database_connections_stable(
    db: Database, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Database connections stable (<50% of pool)"""
    check_pool_usage(db, thresholds, evidence)
