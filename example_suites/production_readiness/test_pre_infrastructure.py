"""4. Infrastructure"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Compose, Evidence, Exposition, RedisTarget

pytestmark = pytest.mark.phase("pre")


@pytest.mark.phase("pre", "deploy")
def test_docker_images_built(stack: Compose, evidence: Evidence) -> None:
    """Docker images build successfully"""
    images = {name: (stack.spec(name).image, state.image) for name, state in stack.states().items()}
    evidence.add("images", {name: running for name, (_, running) in images.items()})
    wrong = {name: pair for name, pair in images.items() if pair[1] is None or pair[0] != pair[1]}
    assert wrong == {}, f"services not running their declared image (declared, running): {wrong}"


@pytest.mark.phase("pre", "deploy")
@pytest.mark.severity("critical")
def test_docker_compose_stack_validated(stack: Compose, evidence: Evidence) -> None:
    """Docker compose stack validated (`scripts/validate_docker_stack.sh`)"""
    states = stack.states()
    evidence.add(
        "services",
        {
            n: {"state": s.state, "health": s.health, "restarts": s.restart_count}
            for n, s in states.items()
        },
    )
    missing = stack.missing()
    assert missing == [], f"declared services without a container: {missing}"
    unhealthy = {n: f"{s.state}/{s.health}" for n, s in states.items() if not s.ok}
    assert unhealthy == {}, f"services not running and healthy: {unhealthy}"


@pytest.mark.manual(
    "DevOps",
    reason="not provided by the demo stack: PostgreSQL runs outside the compose stack",
)
def test_postgres_persistent_volumes() -> None:
    """PostgreSQL persistent volumes configured"""


@pytest.mark.severity("critical")
def test_redis_session_storage(redis: RedisTarget, evidence: Evidence) -> None:
    """Redis configured for session storage"""
    persistence = redis.persistence()
    evidence.add(
        "persistence",
        {"appendonly": persistence.aof_enabled, "rdb_snapshots": persistence.rdb_enabled},
    )
    evidence.add("session_keys", redis.key_count("session:*", limit=10_000))
    assert persistence.aof_enabled or persistence.rdb_enabled, (
        "Redis persistence is off (appendonly no, save ''): a restart logs every user out"
    )
    assert persistence.aof_last_write_status in ("ok", ""), "the last AOF write failed"
    assert redis.config_get("requirepass") == "***", "Redis has no password"


@pytest.mark.phase("pre", "post")
@pytest.mark.severity("critical")
def test_healthcheck_endpoints(api: Api, evidence: Evidence) -> None:
    """Healthcheck endpoints responding"""
    results = {path: api.health(path) for path in ("/health", "/api/v1/health")}
    evidence.add("health", {path: r.body for path, r in results.items()})
    down = {path: f"HTTP {r.status}" for path, r in results.items() if not r.ok}
    assert down == {}, f"health endpoints not OK: {down}"


def test_prometheus_metrics_exposed(exposition: Exposition, evidence: Evidence) -> None:
    """Prometheus metrics exposed"""
    wanted = ("http_requests_total", "http_request_duration_seconds_bucket", "app_info")
    names = exposition.names()
    evidence.add("metric_names", names)
    missing = [name for name in wanted if name not in names]
    assert missing == [], f"/metrics lacks {missing}"
