"""Step 4: deploy to staging"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Compose, Evidence, eventually

pytestmark = pytest.mark.phase("deploy")


def test_staging_deployed(stack: Compose, evidence: Evidence) -> None:
    """Deploy to staging environment (docker compose -f docker-compose.stack.yml up -d)"""
    states = stack.states()
    evidence.add("services", {name: state.state for name, state in states.items()})
    assert stack.missing() == [], f"services without a container: {stack.missing()}"
    stopped = [name for name, state in states.items() if not state.running]
    assert stopped == [], f"services not running: {stopped}"


@pytest.mark.severity("critical")
def test_services_healthy(stack: Compose, evidence: Evidence) -> None:
    """Wait for services to be healthy (docker compose ps)"""
    eventually(lambda: stack.unhealthy() == [], timeout=20, interval=1, message="services healthy")
    evidence.add("health", {name: s.health for name, s in stack.states().items()})


def test_smoke_tests(api: Api, evidence: Evidence) -> None:
    """Run smoke tests (make smoke)"""
    answers = {
        path: api.get(path).status_code
        for path in ("/health", "/api/v1/health", "/api/jobs/status", "/metrics")
    }
    evidence.add("answers", answers)
    failed = {path: status for path, status in answers.items() if status != 200}
    assert failed == {}, f"smoke requests failed: {failed}"


def test_logs_free_of_errors(stack: Compose, evidence: Evidence) -> None:
    """Monitor logs for errors (docker compose logs -f --tail=100)"""
    errors = {name: stack.log_errors(name)[-5:] for name in stack.services()}
    errors = {name: lines for name, lines in errors.items() if lines}
    evidence.add("error_lines", errors)
    assert errors == {}, f"error lines in service logs: {errors}"
