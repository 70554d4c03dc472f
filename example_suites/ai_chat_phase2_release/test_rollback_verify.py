"""Step 5: Verify Rollback Success"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Compose, Database, Evidence, Thresholds

from .support import (
    BOOKING_PATH,
    CHAT_PATH,
    ERROR_PATTERN,
    booking_body,
    chat_body,
    summary,
    timed_post,
)

pytestmark = pytest.mark.phase("rollback")

VERIFY_N = 20


# seed line 337
@pytest.mark.severity("critical")
def test_application_responding_normally(api: Api, evidence: Evidence) -> None:
    """Application responding normally"""
    for path in ("/health", "/api/v1/health"):
        health = api.health(path)
        evidence.add(path, health.body)
        assert health.ok, f"{path} answered {health.status}: {health.text}"
    sample = api.sample("GET", "/health", n=VERIFY_N, concurrency=2)
    evidence.add("health_sample", summary(sample))
    assert sample.errors == 0, f"/health failed {sample.errors} of {sample.count} times"


# seed line 338
def test_response_times_back_to_baseline(
    api: Api, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Response times back to baseline (2000ms for store_message is OK)"""
    sample = api.sample(
        "POST",
        CHAT_PATH,
        json=chat_body("rollback verification"),
        n=VERIFY_N,
        concurrency=2,
        expect_status=201,
    )
    evidence.add("store_message", summary(sample))
    assert sample.errors == 0, f"store_message failed {sample.errors} of {sample.count} times"
    thresholds.check("rollback_store_message_ms", sample.p95_ms)


# seed line 339
def test_no_errors_in_logs_after_rollback(stack: Compose, evidence: Evidence) -> None:
    """No errors in logs"""
    found = {svc: stack.log_errors(svc, pattern=ERROR_PATTERN) for svc in stack.services()}
    evidence.add("services_checked", sorted(found))
    bad = {svc: lines[:5] for svc, lines in found.items() if lines}
    assert not bad, f"errors in the logs after the rollback: {bad}"


# seed line 340
@pytest.mark.severity("critical")
def test_users_can_book(api: Api, db: Database, evidence: Evidence) -> None:
    """Users can book normally"""
    status, ms, body = timed_post(api, BOOKING_PATH, booking_body())
    evidence.add("booking", {"status": status, "elapsed_ms": round(ms, 1)})
    assert status == 201, f"POST {BOOKING_PATH} answered {status}: {body}"
    assert isinstance(body, dict) and "id" in body, f"booking answer without an id: {body}"
    assert db.scalar("SELECT count(*) FROM bookings WHERE id = %s", [body["id"]]) == 1
