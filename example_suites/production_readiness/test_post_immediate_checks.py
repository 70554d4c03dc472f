"""Immediate checks (first 5 minutes)"""

from __future__ import annotations

import secrets

import pytest

from pytest_deployready import Api, Compose, Evidence, RedisTarget

pytestmark = [pytest.mark.phase("post"), pytest.mark.severity("critical")]


@pytest.mark.rollback_trigger("containers down or unhealthy after the rollout")
def test_all_containers_running_and_healthy(stack: Compose, evidence: Evidence) -> None:
    """All containers running and healthy"""
    states = stack.states()
    evidence.add(
        "containers",
        {
            n: {"state": s.state, "health": s.health, "restarts": s.restart_count}
            for n, s in states.items()
        },
    )
    bad = {n: f"{s.state}/{s.health}" for n, s in states.items() if not s.ok}
    assert bad == {}, f"containers not running and healthy: {bad}"
    restarted = {n: s.restart_count for n, s in states.items() if s.restart_count}
    assert restarted == {}, f"containers restarted since the rollout: {restarted}"


@pytest.mark.rollback_trigger("the backend health endpoint fails")
def test_backend_health_200(api: Api, evidence: Evidence) -> None:
    """Backend /health endpoint responding (200 OK)"""
    health = api.health("/health")
    evidence.add("health", health.body)
    assert health.status == 200 and health.ok, f"/health: HTTP {health.status}: {health.text}"


@pytest.mark.manual("QA", reason="not provided by the demo stack: no Next.js front end")
def test_frontend_accessible() -> None:
    """Frontend accessible and loading"""


@pytest.mark.rollback_trigger("users cannot log in")
def test_authentication_flow_working(api: Api, evidence: Evidence) -> None:
    """Authentication flow working"""
    email = f"post-{secrets.token_hex(6)}@example.com"
    password = secrets.token_urlsafe(16)
    created = api.post("/auth/register", json={"email": email, "password": password})
    login = api.post("/auth/login", json={"email": email, "password": password})
    release_bot = api.get("/auth/me")
    evidence.add(
        "statuses",
        {
            "register": created.status_code,
            "login": login.status_code,
            "me": release_bot.status_code,
        },
    )
    assert created.status_code == 201, f"register: HTTP {created.status_code}"
    assert login.status_code == 200, f"login: HTTP {login.status_code}"
    assert release_bot.status_code == 200, (
        f"/auth/me with API_TOKEN: HTTP {release_bot.status_code}"
    )


def test_redis_connection_working(redis: RedisTarget, api: Api, evidence: Evidence) -> None:
    """Redis connection working"""
    latency = redis.ping_latency(n=10)
    evidence.add("redis", {"version": redis.version, "role": redis.role(), "ping_ms": latency})
    assert redis.role() == "master", f"Redis role is {redis.role()}, expected master"
    body = api.health("/health").body
    assert isinstance(body, dict) and body.get("redis") == "ok", f"the API's Redis check: {body}"
