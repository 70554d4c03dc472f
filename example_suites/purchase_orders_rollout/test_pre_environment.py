"""Pre-deployment: environment setup"""

from __future__ import annotations

import importlib.util
import os

import pytest

from pytest_deployready import Database, Evidence, RedisTarget

pytestmark = pytest.mark.phase("pre")

REQUIRED_VARIABLES = ("DATABASE_URL", "REDIS_URL", "API_BASE_URL", "API_TOKEN")
REQUIRED_PACKAGES = ("psycopg", "redis", "httpx")


@pytest.mark.severity("critical")
def test_required_environment_variables_set(evidence: Evidence) -> None:
    """Verify all required environment variables are set (validate_po_relationships.py)"""
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name)]
    evidence.add("variables_checked", list(REQUIRED_VARIABLES))
    assert missing == [], f"environment variables not set: {', '.join(missing)}"


def test_environment_configuration_valid(
    db: Database, redis: RedisTarget, evidence: Evidence
) -> None:
    """Environment configuration validation"""
    problems: list[str] = []
    ttl = os.environ.get("CACHE_TTL_SECONDS", "")
    if not ttl.isdigit() or not 0 < int(ttl) <= 86400:
        problems.append(f"CACHE_TTL_SECONDS must be 1..86400 seconds, got {ttl!r}")
    pool = os.environ.get("DB_POOL_SIZE", "")
    max_connections = db.max_connections
    if not pool.isdigit() or not 0 < int(pool) < max_connections:
        problems.append(f"DB_POOL_SIZE must be 1..{max_connections - 1}, got {pool!r}")
    redis_pool = os.environ.get("REDIS_MAX_CONNECTIONS", "")
    maxclients = int(redis.config_get("maxclients") or 0)
    if not redis_pool.isdigit() or not 0 < int(redis_pool) < maxclients:
        problems.append(f"REDIS_MAX_CONNECTIONS must be 1..{maxclients - 1}, got {redis_pool!r}")
    missing = [name for name in REQUIRED_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        problems.append(f"python packages not importable: {', '.join(missing)}")
    evidence.add(
        "configuration",
        {
            "CACHE_TTL_SECONDS": ttl,
            "DB_POOL_SIZE": pool,
            "postgres_max_connections": max_connections,
            "REDIS_MAX_CONNECTIONS": redis_pool,
            "redis_maxclients": maxclients,
        },
    )
    assert problems == [], "; ".join(problems)
