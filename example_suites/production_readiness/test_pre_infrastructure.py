"""4. Infrastructure"""

from __future__ import annotations

import pytest
import yaml

from pytest_deployready import Api, Compose, Evidence, Exposition, RedisTarget, Release

pytestmark = pytest.mark.phase("pre")

#: The release's Compose file, and where the postgres image keeps its data.
COMPOSE_FILE = "docker-compose.yml"
PG_DATA = "/var/lib/postgresql/data"


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


def test_postgres_persistent_volumes(release: Release, evidence: Evidence) -> None:
    """PostgreSQL persistent volumes configured"""
    # The release's own Compose file (the demo's PostgreSQL runs outside its Compose stack).
    text = release.read_text(COMPOSE_FILE)
    assert text is not None, f"{COMPOSE_FILE} is not committed in {release.describe()}"
    spec = yaml.safe_load(text) or {}
    services = spec.get("services") or {}
    postgres = {n: s for n, s in services.items() if "postgres" in str(s.get("image", ""))}
    assert postgres, f"{COMPOSE_FILE} has no service running a postgres image"
    named = set(spec.get("volumes") or {})
    for name, service in postgres.items():
        data_dir = (service.get("environment") or {}).get("PGDATA", PG_DATA)
        mounts = [_mount(m) for m in service.get("volumes") or []]
        evidence.add(f"{name}_volumes", mounts)
        sources = [
            src for src, target in mounts if target == data_dir or data_dir.startswith(target + "/")
        ]
        assert sources, f"service {name}: nothing is mounted on its data directory {data_dir}"
        source = sources[0]
        persistent = source in named or source.startswith(("/", "./", "../"))
        assert persistent, (
            f"service {name}: {data_dir} is on {source!r}, neither a named volume of the file "
            "nor a host path"
        )


def _mount(entry: object) -> tuple[str, str]:
    """A Compose volume entry (short ``src:target[:mode]`` or long form) as (source, target)."""
    if isinstance(entry, dict):
        return str(entry.get("source", "")), str(entry.get("target", ""))
    parts = str(entry).split(":")
    return (parts[0], parts[1]) if len(parts) >= 2 else ("", parts[0])


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
