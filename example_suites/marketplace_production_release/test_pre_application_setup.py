"""Application setup"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Compose, Evidence

pytestmark = pytest.mark.phase("pre")


@pytest.mark.manual(
    "Technical Lead",
    reason="not provided by the demo stack: a build step of a Node.js application (its API is "
    "Python, with no node_modules); with one, automate it with host.file() on node_modules",
)
def test_dependencies_installed() -> None:
    """Dependencies installed: `npm install`"""


@pytest.mark.manual(
    "Technical Lead",
    reason="not provided by the demo stack: a build step of a Prisma application (its API has "
    "no Prisma client); with one, automate it with host.file() on node_modules/.prisma/client",
)
def test_prisma_client_generated() -> None:
    """Prisma client generated: `npx prisma generate`"""


def test_application_starts_without_errors(stack: Compose, evidence: Evidence) -> None:
    """Application starts without errors"""
    errors = {name: stack.log_errors(name)[:10] for name in stack.services()}
    errors = {name: lines for name, lines in errors.items() if lines}
    evidence.add("error_lines", errors)
    assert errors == {}, f"error lines in the logs of {sorted(errors)}"


@pytest.mark.severity("critical")
def test_health_endpoint_responds(api: Api, evidence: Evidence) -> None:
    """Health check endpoint responds: `/api/v1/health`"""
    health = api.health("/api/v1/health")
    evidence.add("health", health.body)
    assert health.ok, f"/api/v1/health answered {health.status}: {health.text}"


@pytest.mark.severity("critical")
def test_all_workers_initialize(api: Api, stack: Compose, evidence: Evidence) -> None:
    """All workers initialize successfully"""
    status = api.get("/api/jobs/status").json()
    worker = stack.service("worker")
    evidence.add("jobs_status", status)
    evidence.add("worker_service", {"state": worker.state, "health": worker.health})
    assert status.get("workers") == 7, f"{status.get('workers')} workers running, not 7"
    assert worker.ok, f"worker service is {worker.state} / {worker.health}"
