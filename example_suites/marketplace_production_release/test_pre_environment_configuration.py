"""Environment configuration"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import pytest

from pytest_deployready import Evidence, Host, RedisTarget, Release

from ._support import env_missing, host_path, redis_target_matches, redis_url_parts

pytestmark = pytest.mark.phase("pre")

#: Variables the application needs (names only; values are never shown).
REQUIRED_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SECRET",
    "NODE_ENV",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "DB_POOL_SIZE",
)
#: Placeholders that mean "not really set".
PLACEHOLDERS = {"secret", "changeme", "change-me", "your-secret", "jwt_secret", "test", "dev"}


def test_env_file_created(release: Release, host: Host, evidence: Evidence) -> None:
    """`.env` file created from `.env.example`"""
    example = release.read_text(".env.example")
    assert example, f"{release.describe()} has no .env.example"
    wanted = [
        line.split("=", 1)[0].removeprefix("export ").strip()
        for line in example.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    ]
    env = host.file(host_path("APP_DIR", ".env"))
    assert env.exists and env.is_file, f"no {env.path} on host {host.name}"
    assert env.mode is not None and env.mode & 0o077 == 0, (
        f"{env.path} has mode {oct(env.mode or 0)}: its secrets are readable by other users"
    )
    names = host.env_names(env.path)  # names only: the values stay on the host
    missing = [name for name in wanted if name not in names]
    evidence.add("variables_of_example", len(wanted))
    evidence.add("missing", missing)
    assert wanted, ".env.example names no variable"
    assert missing == [], f"variables of .env.example that {env.path} does not set: {missing}"


@pytest.mark.severity("critical")
def test_database_url_with_pool_parameters(evidence: Evidence) -> None:
    """`DATABASE_URL` configured with connection pool parameters"""
    assert not env_missing(["DATABASE_URL"]), "DATABASE_URL is not set"
    query = parse_qs(urlsplit(os.environ["DATABASE_URL"]).query)
    in_url = sorted(k for k in query if k in ("connection_limit", "pool_timeout", "pool_size"))
    in_env = sorted(k for k in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW") if os.environ.get(k))
    evidence.add("pool_parameters", {"url": in_url, "environment": in_env})
    assert in_url or "DB_POOL_SIZE" in in_env, (
        "no pool size: neither connection_limit in DATABASE_URL nor DB_POOL_SIZE"
    )


@pytest.mark.severity("critical")
def test_redis_host_and_port(redis: RedisTarget, evidence: Evidence) -> None:
    """`REDIS_HOST` and `REDIS_PORT` configured"""
    host, port, _ = redis_url_parts()
    evidence.add("redis_endpoint", f"{host}:{port}")
    assert host and port, "neither REDIS_HOST/REDIS_PORT nor REDIS_URL is set"
    assert redis_target_matches(redis, host, port), (
        f"the application's Redis {host}:{port} is not the Redis these checks reach"
    )
    assert redis.ping_ms() >= 0


@pytest.mark.severity("critical")
def test_jwt_secret_set(evidence: Evidence) -> None:
    """`JWT_SECRET` set to strong random value"""
    secret = os.environ.get("JWT_SECRET", "")
    evidence.add("JWT_SECRET_set", bool(secret))
    assert secret, "JWT_SECRET is not set: tokens would be signed with a default key"
    assert secret.lower() not in PLACEHOLDERS, "JWT_SECRET is a placeholder value"
    assert len(set(secret)) >= 10, "JWT_SECRET does not look random (too few distinct characters)"


def test_node_env_production() -> None:
    """`NODE_ENV` set to `production`"""
    value = os.environ.get("NODE_ENV")
    assert value == "production", f"NODE_ENV is {value!r}, not 'production'"


def test_whatsapp_credentials_configured(evidence: Evidence) -> None:
    """WhatsApp API credentials configured"""
    missing = env_missing(["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
    evidence.add("missing", missing)
    assert missing == [], f"WhatsApp (Twilio) credentials not set: {missing}"


@pytest.mark.severity("critical")
def test_all_required_variables_set(evidence: Evidence) -> None:
    """All required environment variables set"""
    missing = env_missing(REQUIRED_ENV)
    evidence.add("required", list(REQUIRED_ENV))
    evidence.add("missing", missing)
    assert missing == [], f"required variables not set: {missing}"
