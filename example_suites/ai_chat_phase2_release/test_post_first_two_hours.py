"""First 2 Hours Monitoring"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_deployready import (
    Api,
    Database,
    Evidence,
    Metrics,
    RedisTarget,
    SampleResult,
    Thresholds,
)

from .support import CPU, HOUR_S, check_pool_usage, memory_growth_mb_per_h, summary

pytestmark = pytest.mark.phase("post")

SUPPORT = "complaints and tickets arrive at the support desk, not at a deployment target"
#: The first two hours after the deploy.
TWO_HOURS_S = 2 * HOUR_S


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
def test_no_memory_leaks(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """No memory leaks"""
    # The trend of the API's resident memory over the two hours since the deploy, per hour.
    growth = memory_growth_mb_per_h(prometheus, window(TWO_HOURS_S), evidence)
    thresholds.check("memory_growth_mb_per_h", growth)


# seed line 193
def test_cpu_usage_normal(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """CPU usage normal (<70%)"""
    # The API process's CPU seconds per second since the deploy (1.0 = one core busy).
    span = window(TWO_HOURS_S)
    evidence.add("window", span)
    thresholds.check("cpu_usage", prometheus.required_value(f"max(rate({CPU}[{span}]))"))


# seed line 194
def test_database_connections_stable(
    db: Database, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Database connections stable (<50% of pool)"""
    check_pool_usage(db, thresholds, evidence)
