"""3. Environment Variables"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from pytest_deployready import Evidence, Host, RedisTarget
from pytest_deployready._redact import url_host

from .support import env_present

pytestmark = pytest.mark.phase("pre")

#: The copy of .env taken before the deploy (the seed's `.env.backup.$(date +%Y%m%d)`).
ENV_BACKUP = ".env.backup"

#: The variables the seed lists, plus JWT_SECRET: the chat and booking endpoints are
#: authenticated, and without it the API signs tokens with an insecure development key.
REQUIRED = [
    "DATABASE_URL",
    "OPENAI_API_KEY",
    "REDIS_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "JWT_SECRET",
]


def _require(name: str, evidence: Evidence) -> str:
    __tracebackhide__ = True
    value = os.environ.get(name, "")
    evidence.add("present", bool(value.strip()))
    assert value.strip(), f"environment variable {name} is not set (or empty)"
    return value


# seed line 34
def test_env_file_backed_up(host: Host, app_dir: str, evidence: Evidence) -> None:
    """`.env` file backed up"""
    # The backup is on the host, as private as .env itself (mode 0600, same owner), not empty.
    env = host.file(f"{app_dir}/.env")
    backup = host.file(f"{app_dir}/{ENV_BACKUP}")
    evidence.add(
        "files",
        {
            f.path: {"mode": oct(f.mode) if f.mode is not None else None, "user": f.user}
            for f in (env, backup)
        },
    )
    assert env.exists, f"no .env in {app_dir} on host {host.name}"
    assert backup.exists and backup.is_file, f"no {ENV_BACKUP} in {app_dir} on host {host.name}"
    assert backup.mode == 0o600, f"{backup.path} has mode {backup.mode:o}: readable by others"
    assert backup.user == env.user, f"{backup.path} belongs to {backup.user}, .env to {env.user}"
    assert backup.size, f"{backup.path} is empty"


# seed line 35
@pytest.mark.severity("critical")
def test_required_environment_variables_present(evidence: Evidence) -> None:
    """All required environment variables present:"""
    present = env_present(REQUIRED)
    evidence.add("variables", present)  # names and presence only, never values
    missing = [name for name, ok in present.items() if not ok]
    assert not missing, f"required environment variables not set: {', '.join(missing)}"


# seed line 36
@pytest.mark.severity("critical")
def test_database_url_present(evidence: Evidence) -> None:
    """`DATABASE_URL` (Supabase connection string)"""
    value = _require("DATABASE_URL", evidence)
    scheme = urlsplit(value).scheme
    evidence.add("host", url_host(value, 5432))
    assert scheme in ("postgres", "postgresql"), (
        f"DATABASE_URL is not a PostgreSQL connection string (scheme {scheme!r})"
    )


# seed line 37
def test_openai_api_key_present(evidence: Evidence) -> None:
    """`OPENAI_API_KEY` (for emotion detection)"""
    _require("OPENAI_API_KEY", evidence)


# seed line 38
def test_redis_url_present(redis: RedisTarget, evidence: Evidence) -> None:
    """`REDIS_URL` (if using Redis caching)"""
    value = _require("REDIS_URL", evidence)
    scheme = urlsplit(value).scheme
    assert scheme in ("redis", "rediss"), f"REDIS_URL is not a Redis URL (scheme {scheme!r})"
    evidence.add("host", url_host(value, 6379))
    evidence.add("redis_version", redis.version)
    evidence.add("ping_ms", round(redis.ping_ms(), 2))


# seed line 39
@pytest.mark.severity("critical")
def test_twilio_account_sid_present(evidence: Evidence) -> None:
    """`TWILIO_ACCOUNT_SID` (properly in .env, not committed)"""
    value = _require("TWILIO_ACCOUNT_SID", evidence)
    assert value.startswith("AC"), "TWILIO_ACCOUNT_SID does not look like an account SID (AC...)"


# seed line 40
@pytest.mark.severity("critical")
def test_twilio_auth_token_present(evidence: Evidence) -> None:
    """`TWILIO_AUTH_TOKEN` (properly in .env, not committed)"""
    _require("TWILIO_AUTH_TOKEN", evidence)
