"""Redis setup"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, RedisTarget, Thresholds

pytestmark = pytest.mark.phase("pre")


@pytest.mark.severity("critical")
def test_redis_6_running(redis: RedisTarget, thresholds: Thresholds, evidence: Evidence) -> None:
    """Redis 6+ installed and running"""
    evidence.add("redis_version", redis.version)
    evidence.add("uptime_in_seconds", redis.info("server").get("uptime_in_seconds"))
    thresholds.check("redis_major_version", int(redis.version.split(".")[0]))


@pytest.mark.severity("critical")
def test_redis_accessible_from_application(api: Api, evidence: Evidence) -> None:
    """Redis accessible from application"""
    health = api.health("/api/v1/health")
    evidence.add("health", health.body)
    assert isinstance(health.body, dict), f"/api/v1/health returned no JSON: {health.text}"
    assert health.body.get("redis") == "ok", f"the application reports Redis {health.body}"


@pytest.mark.severity("critical")
def test_redis_password_configured(redis: RedisTarget) -> None:
    """Redis password configured (if applicable)"""
    # CONFIG GET shows a set password as "***" and an unset one as "".
    assert redis.config_get("requirepass"), "Redis has no password (requirepass is empty)"


@pytest.mark.severity("critical")
def test_redis_persistence_enabled(redis: RedisTarget, evidence: Evidence) -> None:
    """Redis persistence enabled"""
    persistence = redis.persistence()
    evidence.add("aof_enabled", persistence.aof_enabled)
    evidence.add("rdb_enabled", persistence.rdb_enabled)
    assert persistence.aof_enabled or persistence.rdb_enabled, (
        "neither AOF (appendonly) nor RDB snapshots (save) are on: a restart loses every job"
    )
    assert persistence.aof_last_write_status == "ok" and persistence.last_rdb_save_ok
