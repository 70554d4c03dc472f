"""Step 4: Smoke Tests"""

from __future__ import annotations

import uuid

import pytest

from pytest_deployready import Api, Compose, Database, Evidence, Thresholds, eventually

from .support import BOOKING_PATH, CHAT_PATH, booking_body, chat_body, jobs_status, timed_post

pytestmark = pytest.mark.phase("deploy")

ASYNC_TIMEOUT_S = 15
BACKGROUND_SERVICES = ["worker", "scheduler"]


def _message(api: Api) -> tuple[int, float, dict[str, object], str]:
    text = f"Hello, test message {uuid.uuid4().hex[:12]}"
    status, ms, body = timed_post(api, CHAT_PATH, chat_body(text))
    assert status == 201, f"POST {CHAT_PATH} answered {status}: {body}"
    assert isinstance(body, dict) and "id" in body, f"POST {CHAT_PATH}: unexpected body {body}"
    return status, ms, body, text


# seed line 120
@pytest.mark.severity("critical")
def test_smoke_health_check(api: Api, evidence: Evidence) -> None:
    """**Test 1: Health Check**"""
    for path in ("/health", "/api/v1/health"):
        health = api.health(path)
        evidence.add(path, {"status": health.status, "elapsed_ms": round(health.elapsed_ms, 1)})
        assert health.ok, f"{path} answered {health.status}: {health.text}"


# seed line 124
@pytest.mark.severity("critical")
def test_smoke_ai_chat_message_storage(api: Api, db: Database, evidence: Evidence) -> None:
    """**Test 2: AI Chat Message Storage**"""
    _, _, body, text = _message(api)
    evidence.add("response", body)
    stored = db.rows(
        "SELECT conversation_id, role, content FROM ai_messages WHERE id = %s", [body["id"]]
    )
    assert stored, f"message {body['id']} was acknowledged but is not in ai_messages"
    assert stored[0]["content"] == text, "ai_messages holds different content than was sent"
    assert stored[0]["conversation_id"] == body["conversation_id"]


# seed line 130
def test_smoke_chat_response_time(api: Api, thresholds: Thresholds) -> None:
    """Test 2 — Expected: Response in <1000ms ✅"""
    _, ms, _, _ = _message(api)
    thresholds.check("store_message_ms", ms)


# seed line 132
@pytest.mark.severity("critical")
def test_smoke_booking_creation(api: Api, db: Database, evidence: Evidence) -> None:
    """**Test 3: Booking Creation**"""
    status, _, body = timed_post(api, BOOKING_PATH, booking_body())
    evidence.add("response", body)
    assert status == 201, f"POST {BOOKING_PATH} answered {status}: {body}"
    assert isinstance(body, dict) and "id" in body, f"POST {BOOKING_PATH}: unexpected body"
    stored = db.scalar("SELECT status FROM bookings WHERE id = %s", [body["id"]])
    assert stored is not None, f"booking {body['id']} was acknowledged but is not in bookings"


# seed line 135
def test_smoke_booking_response_time(api: Api, thresholds: Thresholds) -> None:
    """Test 3 — Expected: Response in <500ms ✅"""
    status, ms, body = timed_post(api, BOOKING_PATH, booking_body())
    assert status == 201, f"POST {BOOKING_PATH} answered {status}: {body}"
    thresholds.check("booking_ms", ms)


# seed line 138
def test_smoke_background_tasks(stack: Compose, evidence: Evidence) -> None:
    """**Test 4: Background Tasks**"""
    states = {name: stack.service(name) for name in BACKGROUND_SERVICES}
    evidence.add(
        "services",
        {
            name: {"state": s.state, "health": s.health, "restarts": s.restart_count}
            for name, s in states.items()
        },
    )
    bad = {name: f"{s.state}/{s.health}" for name, s in states.items() if not s.ok}
    assert not bad, f"background task services not running and healthy: {bad}"


# seed line 139
def test_smoke_emotion_history_populated(api: Api, db: Database, evidence: Evidence) -> None:
    """Test 4 — Check emotion_history table for new entries (should populate async)"""
    _, _, body, _ = _message(api)
    conversation = body["conversation_id"]

    def recorded() -> int:
        return int(
            db.scalar(
                "SELECT count(*) FROM emotion_history WHERE conversation_id = %s", [conversation]
            )
        )

    count = eventually(
        recorded,
        timeout=ASYNC_TIMEOUT_S,
        interval=0.5,
        message=f"emotion_history entry for conversation {conversation}",
    )
    evidence.add("emotion_rows", count)
    evidence.add("emotion", body.get("emotion"))


# seed line 140
def test_smoke_background_tasks_completing(api: Api, evidence: Evidence) -> None:
    """Test 4 — Check logs for "Background task completed" messages"""
    before = jobs_status(api)

    def progressed() -> dict[str, int] | None:
        status = jobs_status(api)
        assert status["processed"] > before["processed"], "no background job completed yet"
        return status

    after = eventually(
        progressed,
        timeout=ASYNC_TIMEOUT_S,
        interval=0.5,
        message="background jobs completing (processed count rising)",
    )
    assert after is not None
    evidence.add("processed", {"before": before["processed"], "after": after["processed"]})
    assert after["failed"] == 0, f"{after['failed']} background tasks failed"
