"""Security"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

import pytest

from pytest_deployready import Api, Evidence, RedisTarget, Thresholds

pytestmark = [pytest.mark.phase("pre"), pytest.mark.severity("critical")]

#: The production front-end origin that CORS must allow, and one it must refuse.
PRODUCTION_ORIGIN = "https://app.example.com"
FOREIGN_ORIGIN = "https://evil.example"
#: Other secrets the JWT secret must not reuse.
OTHER_SECRETS = ("API_TOKEN", "OPENAI_API_KEY", "TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID")


def test_jwt_secret_strong_and_unique(thresholds: Thresholds, evidence: Evidence) -> None:
    """JWT secret is strong and unique"""
    secret = os.environ.get("JWT_SECRET", "")
    assert secret, "JWT_SECRET is not set"
    evidence.add("distinct_characters", len(set(secret)))
    thresholds.check("jwt_secret_length", len(secret))
    db_password = unquote(urlsplit(os.environ.get("DATABASE_URL", "")).password or "")
    redis_password = unquote(urlsplit(os.environ.get("REDIS_URL", "")).password or "")
    reused = [n for n in OTHER_SECRETS if os.environ.get(n) == secret]
    reused += [n for n, v in (("database", db_password), ("redis", redis_password)) if v == secret]
    assert reused == [], f"JWT_SECRET reuses the value of {reused}"


def test_database_password_strong(thresholds: Thresholds) -> None:
    """Database password is strong"""
    password = unquote(urlsplit(os.environ.get("DATABASE_URL", "")).password or "")
    assert password, "DATABASE_URL carries no password"
    thresholds.check("db_password_length", len(password))


def test_redis_password_if_exposed(redis: RedisTarget, evidence: Evidence) -> None:
    """Redis password set (if exposed)"""
    bind = redis.config_get("bind") or ""
    protected = redis.config_get("protected-mode")
    evidence.add("bind", bind)
    evidence.add("protected_mode", protected)
    loopback_only = bool(bind) and all(a in ("127.0.0.1", "-::1", "::1") for a in bind.split())
    assert redis.config_get("requirepass") or (loopback_only and protected == "yes"), (
        "Redis listens beyond loopback without a password"
    )


def test_rate_limiting_configured(api: Api, evidence: Evidence) -> None:
    """Rate limiting configured"""
    limit = api.get("/health").headers.get("x-ratelimit-limit")
    statuses = [api.get("/api/limited") for _ in range(12)]
    limited = [r for r in statuses if r.status_code == 429]
    evidence.add("x_ratelimit_limit", limit)
    evidence.add("statuses", [r.status_code for r in statuses])
    assert limit, "responses carry no X-RateLimit-Limit header"
    assert limited, "12 quick calls to /api/limited were never answered 429"
    assert limited[0].headers.get("retry-after"), "the 429 answer has no Retry-After"


def test_cors_production_domains(api: Api, evidence: Evidence) -> None:
    """CORS configured for production domains"""
    ours = api.cors("/api/purchase-orders", PRODUCTION_ORIGIN, "GET", credentials=True)
    foreign = api.cors("/api/purchase-orders", FOREIGN_ORIGIN, "GET")
    evidence.add("allowed_origin", ours.allow_origin)
    assert ours.allowed, f"{PRODUCTION_ORIGIN} is refused: {ours}"
    assert not foreign.allowed, f"{FOREIGN_ORIGIN} is allowed: {foreign}"


def test_security_headers_enabled(api: Api, evidence: Evidence) -> None:
    """Helmet.js security headers enabled"""
    headers = api.security_headers("/api/v1/health")
    evidence.add("headers", headers.values())
    assert headers.missing() == [], f"security headers missing: {headers.missing()}"
    assert (headers.hsts_max_age or 0) >= 15552000, "HSTS max-age is below 180 days"


def test_input_validation(api: Api, evidence: Evidence) -> None:
    """Input validation on all endpoints"""
    malformed = {"content": b"{not json", "headers": {"Content-Type": "application/json"}}
    answers = {
        "POST /auth/register (malformed)": api.post("/auth/register", **malformed),
        "POST /auth/register (no password)": api.post("/auth/register", json={"email": "a@b.c"}),
        "POST /auth/login (no fields)": api.post("/auth/login", json={}),
        "POST /api/payments (malformed)": api.post("/api/payments", **malformed),
        "GET /api/credit-score/abc": api.get("/api/credit-score/abc"),
        "GET /api/purchase-orders?buyer_company_id=x": api.get(
            "/api/purchase-orders", params={"buyer_company_id": "x"}
        ),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    evidence.add("statuses", statuses)
    wrong = {name: s for name, s in statuses.items() if s != 422}
    assert wrong == {}, f"invalid input not answered 422: {wrong}"


def test_sql_injection_protection(api: Api, evidence: Evidence) -> None:
    """SQL injection protection verified"""
    probes = {
        "buyer_company_id=1;DROP": api.get(
            "/api/purchase-orders", params={"buyer_company_id": "1;DROP TABLE companies"}
        ),
        "buyer_company_id=1 OR 1=1": api.get(
            "/api/purchase-orders", params={"buyer_company_id": "1 OR 1=1"}
        ),
        "login email ' OR '1'='1": api.post(
            "/auth/login", json={"email": "' OR '1'='1", "password": "' OR '1'='1"}
        ),
    }
    statuses = {name: r.status_code for name, r in probes.items()}
    evidence.add("statuses", statuses)
    assert statuses["buyer_company_id=1;DROP"] == 422, statuses
    assert statuses["buyer_company_id=1 OR 1=1"] == 422, statuses
    assert statuses["login email ' OR '1'='1"] in (401, 422), statuses


def test_xss_protection(api: Api, evidence: Evidence) -> None:
    """XSS protection enabled"""
    response = api.get("/api/credit-score/<script>alert(1)</script>")
    csp = response.headers.get("content-security-policy", "")
    evidence.add("content_security_policy", csp)
    evidence.add("content_type", response.headers.get("content-type"))
    assert "default-src" in csp and "unsafe-inline" not in csp, f"weak CSP: {csp!r}"
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert not response.headers.get("content-type", "").startswith("text/html"), (
        "reflected input came back as HTML"
    )
