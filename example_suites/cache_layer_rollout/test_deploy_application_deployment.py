"""Phase 4: Application deployment"""

from __future__ import annotations

import datetime as dt

import pytest

from pytest_deployready import Api, Compose, Evidence, Host, Metrics, Release

from ._support import cached_endpoint, host_path, scrape

pytestmark = pytest.mark.phase("deploy")

#: The Compose service that plays the seed's "backend" container in this stack.
BACKEND = "worker"


def test_backend_container_rebuilt(release: Release, api: Api, evidence: Evidence) -> None:
    """Backend container rebuilt: `docker-compose build backend`"""
    version = api.get("/version").json()
    evidence.add("version", version)
    evidence.add("release", release.describe())
    deployed = str(version.get("commit") or "")
    assert release.resolve(deployed) == release.commit, (
        f"the API runs commit {deployed!r}, not {release.describe()}: not rebuilt from this release"
    )


def test_backend_container_restarted(
    api: Api, metrics: Metrics, host: Host, evidence: Evidence
) -> None:
    """Backend container restarted: `docker-compose up -d backend`"""
    started = scrape(metrics, api).gauge("process_start_time_seconds")
    env = host.file(host_path("APP_DIR", ".env"))
    assert env.exists and env.mtime is not None, f"no {env.path} on host {host.name}"
    evidence.add("process_started_at", dt.datetime.fromtimestamp(started, dt.UTC).isoformat())
    evidence.add("env_changed_at", env.mtime.isoformat())
    # stat's mtime has whole seconds, the kernel's process start time a boot time in whole
    # seconds: two seconds of slack
    assert started >= env.mtime.timestamp() - 2, (
        f"the API process started before {env.path} was last changed: it runs the "
        "configuration before this deployment (not restarted)"
    )


def test_backend_logs_show_no_errors(stack: Compose, evidence: Evidence) -> None:
    """Backend logs show no errors: `docker-compose logs backend`"""
    errors = stack.log_errors(BACKEND)
    evidence.add("error_lines", errors[:20])
    assert errors == [], f"{len(errors)} error lines in the {BACKEND} logs: {errors[:5]}"


def test_redis_cache_initialization_logged(stack: Compose) -> None:
    """Redis cache initialization logged: `docker-compose logs backend | grep "Redis cache initialized"`"""  # noqa: E501
    assert "Redis cache initialized" in stack.logs(BACKEND), (
        f"the {BACKEND} logs do not say 'Redis cache initialized'"
    )


def test_cache_warmup_completed(stack: Compose) -> None:
    """Cache warmup completed: `docker-compose logs backend | grep "Cache warmup complete"`"""
    assert "Cache warmup complete" in stack.logs(BACKEND), (
        f"the {BACKEND} logs do not say 'Cache warmup complete'"
    )


@pytest.mark.severity("critical")
def test_health_check_passes(api: Api, evidence: Evidence) -> None:
    """Health check passes: `curl http://localhost:8000/health`"""
    health = api.health("/health")
    evidence.add("health", health.body)
    assert health.ok, f"/health answered {health.status}: {health.text}"


@pytest.mark.severity("critical")
def test_all_services_running(stack: Compose, evidence: Evidence) -> None:
    """Check all services running: `docker-compose ps`"""
    states = stack.states()
    evidence.add("services", {n: [s.state, s.health, s.restart_count] for n, s in states.items()})
    assert stack.missing() == [], f"services without a container: {stack.missing()}"
    assert stack.unhealthy() == [], f"services not up and healthy: {stack.unhealthy()}"


def test_api_endpoint(api: Api, evidence: Evidence) -> None:
    """Test API endpoint: `curl http://localhost:8000/api/conversations`"""
    response = api.get(cached_endpoint(1))
    evidence.add("status", response.status_code)
    assert response.status_code == 200, f"{cached_endpoint(1)} answered {response.status_code}"
    body = response.json()
    assert isinstance(body, list) and body, "the endpoint returned no rows"
