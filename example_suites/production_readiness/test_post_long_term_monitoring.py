"""Long-term monitoring (first 24 hours)"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_deployready import Api, Evidence, Exposition, Thresholds, eventually

pytestmark = pytest.mark.phase("post")

_WINDOW = "needs 24 hours of history from a monitoring system; not provided by the demo stack"


def test_user_authentication_metrics_normal(exposition: Exposition, evidence: Evidence) -> None:
    """User authentication metrics normal"""
    logins = {
        s.labels["status"]: s.value for s in exposition.series("http_requests", path="/auth/login")
    }
    evidence.add("login_statuses", logins)
    assert logins.get("200", 0) > 0, f"no successful login counted: {logins}"
    errors = {status: n for status, n in logins.items() if status.startswith("5")}
    assert errors == {}, f"logins failing with server errors: {errors}"


def test_api_success_rate(
    traffic: dict[str, float], thresholds: Thresholds, evidence: Evidence
) -> None:
    """API endpoint success rates >99%"""
    evidence.add("traffic", traffic)
    thresholds.check("success_rate", 1 - traffic["error_rate"])


@pytest.mark.severity("critical")
def test_background_jobs_processing(api: Api, evidence: Evidence) -> None:
    """Background jobs processing correctly"""
    first: dict[str, Any] = api.get("/api/jobs/status").json()

    def progressed() -> bool:
        now: dict[str, Any] = api.get("/api/jobs/status").json()
        return int(now["processed"]) > int(first["processed"])

    eventually(progressed, timeout=10, interval=0.5, message="background jobs processed")
    evidence.add("jobs", first)
    assert first["failed"] == 0, f"failed background jobs: {first}"
    assert first["workers"] > 0 and first["queues"] > 0, f"no workers or queues: {first}"


@pytest.mark.manual("On-call engineer", reason=_WINDOW)
def test_no_memory_leaks() -> None:
    """No memory leaks detected"""


@pytest.mark.manual("DBA", reason=_WINDOW)
def test_database_query_performance_stable() -> None:
    """Database query performance stable"""
