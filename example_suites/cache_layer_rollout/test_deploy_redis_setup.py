"""Phase 1: Redis setup"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from pytest_deployready import Evidence, RedisTarget, Release, Thresholds

pytestmark = pytest.mark.phase("deploy")

REDIS_CONF = "config/redis/redis.conf"
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1024,
    "m": 1000**2,
    "mb": 1024**2,
    "g": 1000**3,
    "gb": 1024**3,
}


def _directives(text: str) -> dict[str, str]:
    """``directive value`` lines of a redis.conf (the last one wins, as in Redis)."""
    found = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2:
            found[words[0].lower()] = " ".join(words[1:]).strip("\"'")
    return found


def _bytes(value: str) -> int:
    """A redis.conf memory size (``512mb``, ``1gb``, ``100000``) in bytes."""
    match = re.fullmatch(r"(\d+)\s*([a-z]*)", value.strip().lower())
    if match is None or match.group(2) not in _UNITS:
        raise AssertionError(f"cannot read the memory size {value!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


@pytest.mark.severity("minor")
def test_redis_config_directory_created(release: Release, evidence: Evidence) -> None:
    """Create Redis configuration directory: `mkdir -p config/redis`"""
    files = release.files("config/redis")
    evidence.add("config_redis", files)
    assert files, f"{release.describe()} has no config/redis/ directory (no file committed in it)"


def test_redis_config_file_created(
    release: Release, redis: RedisTarget, evidence: Evidence
) -> None:
    """Redis config file created: `config/redis/redis.conf`"""
    text = release.read_text(REDIS_CONF)
    assert text and text.strip(), f"{release.describe()} has no {REDIS_CONF} (or it is empty)"
    directives = _directives(text)
    evidence.add("directives", sorted(directives))
    # The committed file is the one in effect: its memory limit and persistence are the server's.
    differs: dict[str, tuple[object, object]] = {}
    if "maxmemory" in directives:
        wanted = _bytes(directives["maxmemory"])
        if wanted != redis.memory().maxmemory_bytes:
            differs["maxmemory"] = (directives["maxmemory"], redis.memory().maxmemory_bytes)
    if "appendonly" in directives and directives["appendonly"] != redis.config_get("appendonly"):
        differs["appendonly"] = (directives["appendonly"], redis.config_get("appendonly"))
    assert differs == {}, f"the running Redis differs from {REDIS_CONF} (file, server): {differs}"


def test_compose_file_has_redis_service(release: Release, evidence: Evidence) -> None:
    """Docker compose file updated with Redis service"""
    text = release.read_text("docker-compose.yml")
    assert text, f"{release.describe()} has no docker-compose.yml"
    spec: Any = yaml.safe_load(text) or {}
    services = spec.get("services") if isinstance(spec, dict) else None
    evidence.add("services", sorted(services) if isinstance(services, dict) else services)
    assert isinstance(services, dict) and "redis" in services, (
        "docker-compose.yml declares no redis service"
    )
    redis_service = services["redis"] or {}
    assert redis_service.get("image") or redis_service.get("build"), (
        "the redis service has neither an image nor a build"
    )


@pytest.mark.severity("critical")
def test_redis_started(redis: RedisTarget, evidence: Evidence) -> None:
    """Start Redis container: `docker-compose up -d redis`"""
    server = redis.info("server")
    evidence.add("uptime_in_seconds", server.get("uptime_in_seconds"))
    evidence.add("role", redis.role())
    assert int(server.get("uptime_in_seconds", 0)) > 0, "Redis reports no uptime"
    assert redis.role() == "master", f"Redis is a {redis.role()}, not a writable master"


@pytest.mark.severity("critical")
def test_redis_health_check(redis: RedisTarget, thresholds: Thresholds, evidence: Evidence) -> None:
    """Redis health check passes: `docker-compose exec redis redis-cli ping`"""
    latency = redis.ping_latency(n=20)
    evidence.add("ping_ms", latency)
    thresholds.check("redis_ping_ms", latency["p95"])


def test_redis_memory_limit(redis: RedisTarget, thresholds: Thresholds, evidence: Evidence) -> None:
    """Redis memory limit set: `docker-compose exec redis redis-cli CONFIG GET maxmemory` returns `512mb`"""  # noqa: E501
    memory = redis.memory()
    evidence.add("maxmemory_bytes", memory.maxmemory_bytes)
    evidence.add("maxmemory_policy", memory.policy)
    assert memory.maxmemory_bytes > 0, "maxmemory is 0: Redis may grow without limit"
    thresholds.check("redis_maxmemory_mb", memory.maxmemory_bytes / 1024**2)


@pytest.mark.severity("critical")
def test_redis_persistence_enabled(redis: RedisTarget, evidence: Evidence) -> None:
    """Redis persistence enabled: `docker-compose exec redis redis-cli CONFIG GET appendonly` returns `yes`"""  # noqa: E501
    appendonly = redis.config_get("appendonly")
    persistence = redis.persistence()
    evidence.add("appendonly", appendonly)
    evidence.add("rdb_save_configured", persistence.rdb_enabled)
    assert appendonly == "yes", f"appendonly is {appendonly!r}, not 'yes': a restart loses keys"
    assert persistence.aof_last_write_status == "ok", "the last AOF write failed"


def test_redis_version_reported(redis: RedisTarget, evidence: Evidence) -> None:
    """`docker-compose exec redis redis-cli INFO server | grep redis_version`"""
    version = redis.version
    evidence.add("redis_version", version)
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"unexpected redis_version {version!r}"


@pytest.mark.manual(
    "DevOps",
    reason="not provided by the demo stack: its Redis runs outside Compose and its log file "
    "is not readable from the runner",
)
def test_redis_logs_have_no_errors() -> None:
    """`docker-compose logs redis | grep -i error` should be empty"""
