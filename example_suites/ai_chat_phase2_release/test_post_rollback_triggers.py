"""When to Rollback"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, SampleResult, Thresholds

from .support import (
    BOOKING_PATH,
    HOUR_S,
    Traffic,
    booking_body,
    memory_growth_mb_per_h,
    summary,
    timed_post,
)

# Checked during post-deployment monitoring: a failure here means ROLLBACK.
pytestmark = [pytest.mark.phase("post"), pytest.mark.severity("critical")]


# seed line 285
@pytest.mark.rollback_trigger("P95 response time > 1500 ms")
def test_p95_not_worse_than_baseline(
    chat_latency: SampleResult,
    booking_latency: SampleResult,
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """P95 response time >1500ms (worse than baseline)"""
    evidence.add("store_message", summary(chat_latency))
    evidence.add("booking", summary(booking_latency))
    thresholds.check("rollback_p95_ms", max(chat_latency.p95_ms, booking_latency.p95_ms))


# seed line 286
@pytest.mark.rollback_trigger("error rate > 5 %")
def test_error_rate_below_rollback_limit(
    traffic: Traffic, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Error rate >5%"""
    evidence.add("requests", traffic.total)
    evidence.add("server_errors", traffic.server_errors)
    thresholds.check("rollback_error_rate", traffic.error_rate)


# seed line 287
@pytest.mark.rollback_trigger("database connection failures")
def test_no_database_connection_failures(api: Api, db: Database, evidence: Evidence) -> None:
    """Database connection failures"""
    health = api.health("/health")
    body = health.body if isinstance(health.body, dict) else {}
    evidence.add("app_database", body.get("database"))
    evidence.add("runner_connection", db.where)
    assert body.get("database") == "ok", (
        f"the application cannot use its database: {body.get('database')!r} "
        f"(/health answered {health.status})"
    )
    assert db.scalar("SELECT 1") == 1


# seed line 288
@pytest.mark.rollback_trigger("memory growing > 500 MB/hour")
def test_no_memory_leak_detected(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """Memory leak detected (memory growing >500MB/hour)"""
    # The trend of the API's resident memory since the deploy (up to the first hour), per hour.
    growth = memory_growth_mb_per_h(prometheus, window(HOUR_S), evidence)
    thresholds.check("memory_growth_mb_per_h", growth)


# seed line 289
@pytest.mark.rollback_trigger("critical bugs affecting bookings")
def test_no_critical_booking_bugs(api: Api, db: Database, evidence: Evidence) -> None:
    """Critical bugs affecting bookings"""
    status, ms, body = timed_post(api, BOOKING_PATH, booking_body())
    evidence.add("booking", {"status": status, "elapsed_ms": round(ms, 1)})
    assert status == 201, f"booking creation is broken: POST {BOOKING_PATH} answered {status}"
    assert isinstance(body, dict) and "id" in body, f"booking answer without an id: {body}"
    assert db.scalar("SELECT count(*) FROM bookings WHERE id = %s", [body["id"]]) == 1, (
        f"booking {body['id']} was acknowledged but not stored"
    )


# seed line 290
@pytest.mark.rollback_trigger("more than 3 user complaints in the first hour")
@pytest.mark.manual("Support", reason="complaints arrive at the support desk, not at a target")
def test_no_multiple_user_complaints() -> None:
    """Multiple user complaints (>3 in first hour)"""
