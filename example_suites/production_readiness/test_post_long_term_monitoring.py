"""Long-term monitoring (first 24 hours)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_deployready import Api, Evidence, Exposition, Thresholds, eventually

pytestmark = pytest.mark.phase("post")

#: The first 24 hours after the deploy (less when the deploy is more recent).
FIRST_DAY_S = 24 * 3600


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


def test_no_memory_leaks(memory_growth: Callable[[float], float], thresholds: Thresholds) -> None:
    """No memory leaks detected"""
    # The API's resident memory over the day since the deploy: its growth per hour.
    thresholds.check("memory_growth_mb_per_h", memory_growth(FIRST_DAY_S))


@pytest.mark.manual(
    "DBA",
    reason="needs 24 hours of query timings from a monitoring system (e.g. postgres_exporter "
    "scraped by Prometheus); the demo's Prometheus scrapes only the API",
)
def test_database_query_performance_stable() -> None:
    """Database query performance stable"""
