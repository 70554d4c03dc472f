"""Application start"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Compose, Evidence, Metrics, Thresholds, eventually

from ._support import scrape

pytestmark = pytest.mark.phase("deploy")


def test_application_deployed(api: Api, metrics: Metrics, evidence: Evidence) -> None:
    """Application deployed"""
    health = api.health("/api/v1/health")
    info = scrape(metrics, api).series("app_info")
    evidence.add("health_version", (health.body or {}).get("version"))
    evidence.add("app_info", [s.labels for s in info])
    assert health.body and health.body.get("version"), "the API reports no version"
    assert [s.labels.get("version") for s in info] == [health.body["version"]], (
        "the version in /metrics (app_info) differs from /api/v1/health"
    )


@pytest.mark.severity("critical")
def test_server_starts_successfully(api: Api) -> None:
    """Server starts successfully"""
    eventually(
        lambda: api.health("/api/v1/health").ok, timeout=30, message="API healthy after start"
    )


def test_no_startup_errors_in_logs(stack: Compose, evidence: Evidence) -> None:
    """No startup errors in logs"""
    errors = {name: stack.log_errors(name)[:10] for name in stack.services()}
    errors = {name: lines for name, lines in errors.items() if lines}
    evidence.add("error_lines", errors)
    assert errors == {}, f"error lines in the logs of {sorted(errors)}"


def test_six_job_queues_initialized(
    api: Api, metrics: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """All 6 job queues initialized"""
    status = api.get("/api/jobs/status").json()
    gauge = scrape(metrics, api).gauge("job_queues")
    evidence.add("jobs_status", status)
    assert status.get("queues") == gauge, "/api/jobs/status and /metrics disagree on queues"
    thresholds.check("job_queues", gauge)


def test_seven_workers_started(
    api: Api, metrics: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """All 7 workers started"""
    status = api.get("/api/jobs/status").json()
    gauge = scrape(metrics, api).gauge("workers_running")
    evidence.add("jobs_status", status)
    assert status.get("workers") == gauge, "/api/jobs/status and /metrics disagree on workers"
    thresholds.check("workers", gauge)


@pytest.mark.severity("critical")
@pytest.mark.rollback_trigger("health check fails after deploying: follow 'If Deployment Fails'")
def test_health_check_passes(api: Api, evidence: Evidence) -> None:
    """Health check passes"""
    health = api.health("/api/v1/health")
    evidence.add("health", health.body)
    assert health.ok, f"/api/v1/health answered {health.status}: {health.text}"
