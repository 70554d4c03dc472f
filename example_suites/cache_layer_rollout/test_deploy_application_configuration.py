"""Phase 3: Application configuration"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, RedisTarget, Release

from ._support import (
    cached_endpoint,
    env_missing,
    missing_in_release,
    redis_target_matches,
    redis_url_parts,
    scrape,
)

pytestmark = pytest.mark.phase("deploy")

#: The .env settings of the seed, with the values it prescribes.
EXPECTED_ENV = {
    "REDIS_MAX_CONNECTIONS": "50",
    "CACHE_ENABLED": "true",
    "CACHE_TTL_SECONDS": "3600",
    "DB_POOL_SIZE": "20",
    "DB_MAX_OVERFLOW": "10",
}

#: The seed's integration files, committed in the release (non-empty).
INTEGRATION_FILES = (
    "src/infrastructure/redis_cache.py",
    "src/middleware/cache_middleware.py",
    "src/middleware/performance_middleware.py",
    "src/integrations/fastapi_redis_integration.py",
)


def _assert_committed(release: Release, path: str) -> None:
    assert missing_in_release(release, [path]) == [], (
        f"{release.describe()} has no {path} (or it is empty)"
    )


def _wrong_values(names: list[str]) -> list[str]:
    """Names whose value differs from the seed's (values are not secrets here)."""
    return [
        f"{name}={os.environ.get(name)!r} (expected {EXPECTED_ENV[name]!r})"
        for name in names
        if os.environ.get(name, "").lower() != EXPECTED_ENV[name]
    ]


def test_env_has_redis_configuration(redis: RedisTarget, evidence: Evidence) -> None:
    """.env file updated with Redis configuration"""
    host, port, db_index = redis_url_parts()
    evidence.add("redis_endpoint", f"{host}:{port}/{db_index}")
    evidence.add("missing", env_missing(EXPECTED_ENV))
    assert host and port, "neither REDIS_HOST/REDIS_PORT nor REDIS_URL is set"
    assert env_missing(EXPECTED_ENV) == [], f"not set: {env_missing(EXPECTED_ENV)}"
    assert _wrong_values(list(EXPECTED_ENV)) == []


def test_redis_host(redis: RedisTarget, evidence: Evidence) -> None:
    """`REDIS_HOST=redis`"""
    host, port, _ = redis_url_parts()
    evidence.add("redis_host", host)
    assert host, "REDIS_HOST (or the host of REDIS_URL) is not set"
    assert redis_target_matches(redis, host, port), (
        f"the application's Redis host {host}:{port} is not the Redis these checks reach "
        f"({redis.where})"
    )


def test_redis_port(redis: RedisTarget, evidence: Evidence) -> None:
    """`REDIS_PORT=6379`"""
    _, port, _ = redis_url_parts()
    evidence.add("redis_port", port)
    assert port, "REDIS_PORT (or the port of REDIS_URL) is not set"
    assert redis.info("server").get("tcp_port") == port, (
        f"Redis does not listen on the application's port {port}"
    )


def test_redis_db(evidence: Evidence) -> None:
    """`REDIS_DB=0`"""
    _, _, db_index = redis_url_parts()
    evidence.add("redis_db", db_index)
    assert db_index == 0, f"the application uses Redis database {db_index}, not 0"


def test_redis_max_connections(redis: RedisTarget, evidence: Evidence) -> None:
    """`REDIS_MAX_CONNECTIONS=50`"""
    clients = redis.connected_clients()
    maxclients = int(redis.config_get("maxclients") or 0)
    evidence.add("connected_clients", clients)
    evidence.add("maxclients", maxclients)
    assert _wrong_values(["REDIS_MAX_CONNECTIONS"]) == []
    assert maxclients >= int(EXPECTED_ENV["REDIS_MAX_CONNECTIONS"]), (
        f"Redis maxclients {maxclients} is below the application's pool of 50"
    )


def test_cache_enabled(api: Api, evidence: Evidence) -> None:
    """`CACHE_ENABLED=true`"""
    assert _wrong_values(["CACHE_ENABLED"]) == []
    first = api.get(cached_endpoint(1))
    second = api.get(cached_endpoint(1))
    evidence.add("x_cache", [first.headers.get("x-cache"), second.headers.get("x-cache")])
    assert second.headers.get("x-cache") == "HIT", "a repeated lookup was not served from cache"


def test_cache_ttl_seconds(api: Api, redis: RedisTarget, evidence: Evidence) -> None:
    """`CACHE_TTL_SECONDS=3600`"""
    assert _wrong_values(["CACHE_TTL_SECONDS"]) == []
    assert api.get(cached_endpoint(1)).status_code == 200
    ttl = redis.ttl("po:buyer:1")
    evidence.add("ttl_po_buyer_1", ttl)
    assert 0 < ttl <= 3600, f"cache key po:buyer:1 has TTL {ttl} (-1: never expires, -2: none)"


def test_db_pool_size(api: Api, metrics: Metrics, evidence: Evidence) -> None:
    """`DB_POOL_SIZE=20`"""
    assert _wrong_values(["DB_POOL_SIZE"]) == []
    pool = scrape(metrics, api).gauge("db_pool_size")
    evidence.add("db_pool_size_gauge", pool)
    assert pool == 20, f"the application runs with a pool of {pool:g} connections, not 20"


def test_db_max_overflow(db: Database, evidence: Evidence) -> None:
    """`DB_MAX_OVERFLOW=10`"""
    assert _wrong_values(["DB_MAX_OVERFLOW"]) == []
    peak = int(EXPECTED_ENV["DB_POOL_SIZE"]) + int(EXPECTED_ENV["DB_MAX_OVERFLOW"])
    evidence.add("pool_peak", peak)
    evidence.add("max_connections", db.max_connections)
    assert peak < db.max_connections, (
        f"pool size + overflow ({peak}) does not fit max_connections ({db.max_connections})"
    )


def test_dependencies_installed(evidence: Evidence) -> None:
    """Dependencies installed"""
    wanted = {"redis": "redis", "prometheus-client": "prometheus_client"}
    missing = [dist for dist, module in wanted.items() if importlib.util.find_spec(module) is None]
    assert missing == [], f"not importable: {missing}"
    evidence.add("versions", {d: importlib.metadata.version(d) for d in wanted})


def test_redis_package_installed(evidence: Evidence) -> None:
    """`redis` package installed"""
    assert importlib.util.find_spec("redis") is not None, "the redis package is not importable"
    evidence.add("redis_py_version", importlib.metadata.version("redis"))


def test_prometheus_client_installed(evidence: Evidence) -> None:
    """`prometheus-client` package installed"""
    spec = importlib.util.find_spec("prometheus_client")
    assert spec is not None, "the prometheus-client package is not importable"
    evidence.add("prometheus_client_version", importlib.metadata.version("prometheus-client"))


def test_integration_files_created(release: Release, evidence: Evidence) -> None:
    """Integration files created"""
    evidence.add("release", release.describe())
    missing = missing_in_release(release, INTEGRATION_FILES)
    assert missing == [], f"not committed in {release.describe()}: {missing}"


def test_redis_cache_module(release: Release) -> None:
    """`src/infrastructure/redis_cache.py`"""
    _assert_committed(release, INTEGRATION_FILES[0])


def test_cache_middleware_module(release: Release) -> None:
    """`src/middleware/cache_middleware.py`"""
    _assert_committed(release, INTEGRATION_FILES[1])


def test_performance_middleware_module(release: Release) -> None:
    """`src/middleware/performance_middleware.py`"""
    _assert_committed(release, INTEGRATION_FILES[2])


def test_fastapi_redis_integration_module(release: Release) -> None:
    """`src/integrations/fastapi_redis_integration.py`"""
    _assert_committed(release, INTEGRATION_FILES[3])


def test_redis_variables_in_environment(evidence: Evidence) -> None:
    """`docker-compose exec backend env | grep REDIS` (names only, never values)"""
    names = sorted(name for name in os.environ if name.startswith("REDIS"))
    evidence.add("redis_variables", names)
    assert "REDIS_URL" in names or {"REDIS_HOST", "REDIS_PORT"} <= set(names), (
        f"no Redis location among the REDIS* variables: {names}"
    )
    assert "REDIS_MAX_CONNECTIONS" in names, "REDIS_MAX_CONNECTIONS is not set"
