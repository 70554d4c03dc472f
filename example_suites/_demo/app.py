"""The demo API: a small Starlette service on PostgreSQL and Redis that the example suites check.

Configured from the environment (``DATABASE_URL``, ``REDIS_URL``, ``JWT_SECRET``,
``CACHE_TTL_SECONDS``, ``DB_POOL_SIZE``, ``REDIS_MAX_CONNECTIONS``, ``DEMO_BROKEN``,
``DEMO_APP_LOG``, ``DEMO_APP_COMMIT`` and ``DEMO_APP_TAG`` for ``/version``). Run it with::

    python -m _demo.app --port 8000 [--tls-port 8443 --tls-cert cert.pem --tls-key key.pem]

or build it in-process with :func:`create_app`. It has security headers on every response, CORS
for https://app.example.com only, rate limits, Prometheus metrics, a Redis cache of
purchase-order lookups and background job workers (see the demo contract in docs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import re
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
import redis.asyncio as aioredis
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from psycopg.rows import dict_row
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from _demo import tokens

__all__ = ["APP_VERSION", "INSECURE_DEV_SECRET", "Settings", "create_app", "main"]

APP_VERSION = "2.0.0"
#: What the app signs tokens with when JWT_SECRET is unset (the --broken fault); never use it.
INSECURE_DEV_SECRET = "dev-secret"
QUEUES = 6
WORKERS = 7
JOB_INTERVAL_S = 0.1
ALLOWED_ORIGIN = "https://app.example.com"
RATE_LIMIT = 6000  # per client and path per window: the suites' latency sampling stays below
RATE_LIMITED_ENDPOINT_LIMIT = 5
RATE_WINDOW_S = 10.0
SLOW_DELAY_S = 0.4
#: Health and scrape endpoints are never rate limited (monitoring must see an overloaded app).
UNLIMITED_PATHS = frozenset({"/health", "/api/v1/health", "/metrics", "/version"})
WARM_BUYERS = 20
CACHE_ROWS = 100
PBKDF2_ITERATIONS = 20_000

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

log = logging.getLogger("deployready.demo.app")


@dataclass(frozen=True)
class Settings:
    """The app's configuration, normally read from the environment by :meth:`from_env`.

    Example::

        Settings.from_env().jwt_secret_configured  # False when JWT_SECRET is unset
    """

    database_url: str
    redis_url: str
    jwt_secret: str
    jwt_secret_configured: bool
    cache_ttl_s: int = 3600
    db_pool_size: int = 20
    redis_max_connections: int = 50
    broken: bool = False
    #: CACHE_ENABLED: purchase-order lookups go through the Redis cache (the release before
    #: the cache layer had none).
    cache_enabled: bool = True
    #: ENABLE_PO_QUERY_OPTIMIZATION: the database sorts and limits a buyer's purchase orders;
    #: without it the API reads them all and sorts them itself, as the release before did.
    po_query_optimization: bool = True
    #: The deployed release: the git commit and tag ``/version`` reports (DEMO_APP_COMMIT,
    #: DEMO_APP_TAG; empty when not deployed from a repository).
    commit: str = ""
    tag: str = ""
    #: DEMO_TLS_CERT: the certificate the HTTPS listener serves; its expiry is a metric.
    tls_cert: str = ""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default: ``os.environ``)."""
        source = dict(os.environ if env is None else env)
        secret = source.get("JWT_SECRET", "")
        return cls(
            database_url=source["DATABASE_URL"],
            redis_url=source["REDIS_URL"],
            jwt_secret=secret or INSECURE_DEV_SECRET,
            jwt_secret_configured=bool(secret),
            cache_ttl_s=int(source.get("CACHE_TTL_SECONDS", "3600")),
            db_pool_size=int(source.get("DB_POOL_SIZE", "20")),
            redis_max_connections=int(source.get("REDIS_MAX_CONNECTIONS", "50")),
            broken=source.get("DEMO_BROKEN", "0") == "1",
            cache_enabled=_flag(source, "CACHE_ENABLED"),
            po_query_optimization=_flag(source, "ENABLE_PO_QUERY_OPTIMIZATION"),
            commit=source.get("DEMO_APP_COMMIT", ""),
            tag=source.get("DEMO_APP_TAG", ""),
            tls_cert=source.get("DEMO_TLS_CERT", ""),
        )


def _flag(env: dict[str, str], name: str) -> bool:
    """A feature flag: on unless set to false, 0, no or off."""
    return env.get(name, "true").strip().lower() not in ("false", "0", "no", "off")


class ValidationFailed(Exception):
    """Request input is invalid: answered with 422 and a JSON body."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class HTTPError(Exception):
    """Any other client error: answered with ``status`` and ``{"error": message}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class Pool:
    """A tiny async pool of autocommit connections, at most ``size`` open at once."""

    def __init__(self, conninfo: str, size: int) -> None:
        self._conninfo = conninfo
        self.size = size
        self._sem = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection[Any]] = []

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._sem:
            conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, connect_timeout=3
                )
            try:
                yield conn
            except BaseException:
                await conn.close()
                raise
            if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                await conn.close()
            else:
                self._idle.append(conn)

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()


@dataclass
class Metrics:
    """The app's Prometheus metrics in a private registry."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "http_requests", "HTTP requests", ["method", "path", "status"], registry=r
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration",
            ["method", "path"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0),
            registry=r,
        )
        self.cache_hits = Counter("cache_hits", "Cache hits", registry=r)
        self.cache_misses = Counter("cache_misses", "Cache misses", registry=r)
        self.jobs = Counter("background_jobs_processed", "Background jobs processed", registry=r)
        Gauge("job_queues", "Job queues", registry=r).set(QUEUES)
        Gauge("workers_running", "Background workers running", registry=r).set(WORKERS)
        self.pool = Gauge("db_pool_size", "Database pool size", registry=r)
        Gauge("app_info", "Application info", ["version"], registry=r).labels(APP_VERSION).set(1)
        ProcessCollector(registry=r)  # process_resident_memory_bytes, process_cpu_seconds_total
        self.tls_expiry = Gauge(
            "tls_certificate_expiry_timestamp_seconds",
            "When the certificate of the HTTPS listener expires (unix time)",
            registry=r,
        )


class RateLimiter:
    """Sliding-window request counter per client key."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}

    def check(self, key: str) -> tuple[bool, int, int]:
        """Count one request: (allowed, remaining, retry_after_s)."""
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            retry = max(1, math.ceil(hits[0] + self.window_s - now))
            return False, 0, retry
        hits.append(now)
        return True, self.limit - len(hits), 0


@dataclass
class State:
    """Everything the handlers share."""

    settings: Settings
    metrics: Metrics
    pool: Pool
    redis: aioredis.Redis
    limiter: RateLimiter
    limited: RateLimiter
    processed: int = 0
    failed: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _state(request: Request) -> State:
    state: State = request.app.state.demo
    return state


# --- helpers -------------------------------------------------------------------------------------


async def _json_object(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip() and allow_empty:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("body: malformed JSON") from exc
    if not isinstance(body, dict):
        raise ValidationFailed("body: expected a JSON object")
    return body


def _field(
    body: dict[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool
) -> Any:
    if name not in body or body[name] is None:
        if required:
            raise ValidationFailed(f"{name}: field required")
        return None
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValidationFailed(f"{name}: wrong type")
    return value


def _int_param(request: Request, name: str, default: int | None, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        if default is None:
            raise ValidationFailed(f"{name}: query parameter required")
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise ValidationFailed(f"{name}: must be an integer")
    value = int(raw)
    if not low <= value <= high:
        raise ValidationFailed(f"{name}: must be between {low} and {high}")
    return value


def _claims(request: Request) -> dict[str, Any]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if scheme.lower() != "bearer" or not token:
        raise HTTPError(401, "missing bearer token", unauthorized)
    try:
        return tokens.decode(token.strip(), _state(request).settings.jwt_secret)
    except tokens.TokenError as exc:
        raise HTTPError(401, f"invalid token: {exc}", unauthorized) from exc


def _user_id(claims: dict[str, Any]) -> int | None:
    sub = str(claims.get("sub", ""))
    return int(sub) if sub.isdigit() else None


def _hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt}${digest.hex()}"


def _check_password(password: str, stored: str) -> bool:
    try:
        _, _, salt, _ = stored.split("$")
    except ValueError:
        return False
    return secrets.compare_digest(_hash_password(password, salt), stored)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, Decimal):
            out[key] = float(value)
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _emotion(content: str) -> tuple[str, float]:
    text = content.lower()
    for words, emotion in (
        (("angry", "furious", "hate", "terrible"), "anger"),
        (("sad", "unhappy", "sorry", "lost"), "sadness"),
        (("worried", "afraid", "scared", "anxious"), "fear"),
        (("great", "thanks", "love", "happy", "good"), "joy"),
    ):
        if any(word in text for word in words):
            return emotion, 0.9
    return "neutral", 0.6


# --- handlers ------------------------------------------------------------------------------------


async def health(request: Request) -> Response:
    state = _state(request)
    body: dict[str, Any] = {"status": "ok", "database": "ok", "redis": "ok"}
    try:
        async with state.pool.connection() as conn:
            await asyncio.wait_for(conn.execute("SELECT 1"), timeout=3)
    except Exception as exc:
        body["database"] = f"error: {type(exc).__name__}"
    try:
        await asyncio.wait_for(state.redis.ping(), timeout=3)
    except Exception as exc:
        body["redis"] = f"error: {type(exc).__name__}"
    ok = body["database"] == "ok" and body["redis"] == "ok"
    body["status"] = "ok" if ok else "error"
    body.update(version=APP_VERSION, commit=state.settings.commit, workers=WORKERS, queues=QUEUES)
    return JSONResponse(body, status_code=200 if ok else 503)


async def version(request: Request) -> Response:
    settings = _state(request).settings
    return JSONResponse({"version": APP_VERSION, "commit": settings.commit, "tag": settings.tag})


async def metrics(request: Request) -> Response:
    registry = _state(request).metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


_PO_QUERY = (
    "SELECT id, buyer_company_id, seller_company_id, product_id, status, quantity,"
    " total_amount, created_at FROM purchase_orders WHERE buyer_company_id = %s"
)


#: The relationships a purchase order is shown with: (key, table, name column's alias).
_RELATED = (
    ("product_id", "products", "product_name"),
    ("buyer_company_id", "companies", "buyer_name"),
    ("seller_company_id", "companies", "seller_name"),
)


async def _buyer_orders(state: State, buyer: int, limit: int = CACHE_ROWS) -> list[dict[str, Any]]:
    """A buyer's newest purchase orders with the names of their product, buyer and seller.

    With ENABLE_PO_QUERY_OPTIMIZATION the orders come sorted and limited from the database and
    each relationship is loaded in one batch (four queries). Without it, as in the release
    before, the API reads all the buyer's orders, sorts them itself and loads the three
    relationships of each order with a query each: the N+1 pattern (1 + 3 x limit queries).
    """
    async with state.pool.connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        if state.settings.po_query_optimization:
            await cur.execute(f"{_PO_QUERY} ORDER BY created_at DESC LIMIT %s", (buyer, limit))
            rows = await cur.fetchall()
            for key, table, alias in _RELATED:
                await cur.execute(
                    f"SELECT id, name FROM {table} WHERE id = ANY(%s)",
                    (sorted({row[key] for row in rows}),),
                )
                names = {related["id"]: related["name"] for related in await cur.fetchall()}
                for row in rows:
                    row[alias] = names.get(row[key])
            return [_jsonable(row) for row in rows]
        await cur.execute(_PO_QUERY, (buyer,))
        rows = sorted(await cur.fetchall(), key=lambda row: row["created_at"], reverse=True)
        for row in rows[:limit]:
            for key, table, alias in _RELATED:
                await cur.execute(f"SELECT name FROM {table} WHERE id = %s", (row[key],))
                related = await cur.fetchone()
                row[alias] = related["name"] if related else None
        return [_jsonable(row) for row in rows[:limit]]


async def purchase_orders(request: Request) -> Response:
    state = _state(request)
    buyer = _int_param(request, "buyer_company_id", None, 1, 10**9)
    limit = _int_param(request, "limit", 20, 1, CACHE_ROWS)
    if state.settings.broken:
        await asyncio.sleep(SLOW_DELAY_S)  # the injected "slow endpoint" fault
    if not state.settings.cache_enabled:
        rows = await _buyer_orders(state, buyer, limit)
        return JSONResponse(rows, headers={"X-Cache": "BYPASS"})
    key = f"po:buyer:{buyer}"
    cached = await state.redis.get(key)
    if cached is not None:
        state.metrics.cache_hits.inc()
        rows = json.loads(cached)
        source = "HIT"
    else:
        state.metrics.cache_misses.inc()
        rows = await _buyer_orders(state, buyer)
        await state.redis.set(key, json.dumps(rows), ex=state.settings.cache_ttl_s)
        source = "MISS"
    return JSONResponse(rows[:limit], headers={"X-Cache": source})


async def register(request: Request) -> Response:
    body = await _json_object(request)
    email = _field(body, "email", str, required=True)
    password = _field(body, "password", str, required=True)
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise ValidationFailed("email: not an email address")
    if len(password) < 8:
        raise ValidationFailed("password: at least 8 characters")
    hashed = await asyncio.to_thread(_hash_password, password)
    async with _state(request).pool.connection() as conn:
        try:
            cur = await conn.execute(
                "INSERT INTO users (email, password_hash) VALUES (%s, %s) RETURNING id",
                (email.lower(), hashed),
            )
        except psycopg.errors.UniqueViolation as exc:
            raise HTTPError(409, "email already registered") from exc
        row = await cur.fetchone()
    assert row is not None
    return JSONResponse({"id": row[0], "email": email.lower()}, status_code=201)


async def login(request: Request) -> Response:
    state = _state(request)
    body = await _json_object(request)
    email = _field(body, "email", str, required=True)
    password = _field(body, "password", str, required=True)
    async with state.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT id, password_hash FROM users WHERE email = %s", (email.lower(),)
        )
        row = await cur.fetchone()
    if row is None or not await asyncio.to_thread(_check_password, password, row[1]):
        raise HTTPError(401, "invalid email or password", {"WWW-Authenticate": "Bearer"})
    token = tokens.encode({"sub": str(row[0]), "role": "user"}, state.settings.jwt_secret)
    claims = tokens.decode(token, state.settings.jwt_secret)
    await state.redis.set(f"session:{claims['jti']}", str(row[0]), ex=3600)
    return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3600})


async def me(request: Request) -> Response:
    claims = _claims(request)
    return JSONResponse(
        {"sub": claims.get("sub"), "role": claims.get("role"), "user_id": _user_id(claims)}
    )


async def chat_message(request: Request) -> Response:
    claims = _claims(request)
    body = await _json_object(request)
    content = _field(body, "content", str, required=True)
    conversation = _field(body, "conversation_id", int, required=False)
    if not content.strip():
        raise ValidationFailed("content: must not be empty")
    emotion, score = _emotion(content)
    async with _state(request).pool.connection() as conn, conn.transaction():
        if conversation is None:
            cur = await conn.execute(
                "INSERT INTO ai_conversations (user_id) VALUES (%s) RETURNING id",
                (_user_id(claims),),
            )
            created = await cur.fetchone()
            assert created is not None
            conversation = int(created[0])
        else:
            cur = await conn.execute(
                "SELECT 1 FROM ai_conversations WHERE id = %s", (conversation,)
            )
            if await cur.fetchone() is None:
                raise HTTPError(404, "conversation not found")
        cur = await conn.execute(
            "INSERT INTO ai_messages (conversation_id, role, content) VALUES (%s, 'user', %s)"
            " RETURNING id",
            (conversation, content),
        )
        message = await cur.fetchone()
        assert message is not None
        await conn.execute(
            "INSERT INTO emotion_history (conversation_id, emotion, score) VALUES (%s, %s, %s)",
            (conversation, emotion, score),
        )
    return JSONResponse(
        {"id": message[0], "conversation_id": conversation, "emotion": emotion}, status_code=201
    )


async def create_booking(request: Request) -> Response:
    claims = _claims(request)
    body = await _json_object(request)
    raw = _field(body, "starts_at", str, required=True)
    try:
        starts_at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed("starts_at: not an ISO 8601 date-time") from exc
    async with _state(request).pool.connection() as conn:
        cur = await conn.execute(
            "INSERT INTO bookings (user_id, starts_at) VALUES (%s, %s) RETURNING id, status",
            (_user_id(claims), starts_at),
        )
        row = await cur.fetchone()
    assert row is not None
    return JSONResponse(
        {"id": row[0], "starts_at": starts_at.isoformat(), "status": row[1]}, status_code=201
    )


async def _new_order(conn: psycopg.AsyncConnection[Any], user_id: int, total: float) -> int:
    cur = await conn.execute(
        "INSERT INTO orders (user_id, total) VALUES (%s, %s) RETURNING id", (user_id, total)
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def _order_user(conn: psycopg.AsyncConnection[Any], claims: dict[str, Any]) -> int:
    user = _user_id(claims)
    if user is not None:
        cur = await conn.execute("SELECT id FROM users WHERE id = %s", (user,))
        if await cur.fetchone() is not None:
            return user
    raise HTTPError(403, "this token's subject is not a user who can order")


async def create_order(request: Request) -> Response:
    claims = _claims(request)
    body = await _json_object(request, allow_empty=True)
    total = _field(body, "total", (int, float), required=False) or 0
    if total < 0:
        raise ValidationFailed("total: must not be negative")
    async with _state(request).pool.connection() as conn:
        user = await _order_user(conn, claims)
        order = await _new_order(conn, user, float(total))
    return JSONResponse(
        {"id": order, "user_id": user, "status": "pending", "total": float(total)},
        status_code=201,
    )


async def create_payment(request: Request) -> Response:
    body = await _json_object(request)
    amount = _field(body, "amount", (int, float), required=True)
    order = _field(body, "order_id", int, required=False)
    if amount <= 0:
        raise ValidationFailed("amount: must be positive")
    async with _state(request).pool.connection() as conn, conn.transaction():
        if order is None:
            user = await _order_user(conn, _claims(request))
            order = await _new_order(conn, user, float(amount))
        else:
            cur = await conn.execute("SELECT 1 FROM orders WHERE id = %s", (order,))
            if await cur.fetchone() is None:
                raise HTTPError(404, "order not found")
        cur = await conn.execute(
            "INSERT INTO payments (order_id, amount) VALUES (%s, %s) RETURNING id",
            (order, amount),
        )
        row = await cur.fetchone()
        await conn.execute("UPDATE orders SET status = 'paid' WHERE id = %s", (order,))
    assert row is not None
    return JSONResponse({"id": row[0], "order_id": order, "amount": float(amount)}, status_code=201)


async def credit_score(request: Request) -> Response:
    raw = str(request.path_params["user_id"])
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise ValidationFailed("user_id: must be an integer")
    async with _state(request).pool.connection() as conn:
        cur = await conn.execute(
            "SELECT score, computed_at FROM credit_scores WHERE user_id = %s", (int(raw),)
        )
        row = await cur.fetchone()
    if row is None:
        raise HTTPError(404, "no credit score for this user")
    return JSONResponse({"user_id": int(raw), "score": row[0], "computed_at": row[1].isoformat()})


async def whatsapp_webhook(request: Request) -> Response:
    await request.body()
    return JSONResponse({"status": "received"})


async def jobs_status(request: Request) -> Response:
    state = _state(request)
    return JSONResponse(
        {"queues": QUEUES, "workers": WORKERS, "processed": state.processed, "failed": state.failed}
    )


async def limited(request: Request) -> Response:
    return JSONResponse({"status": "ok", "limit": RATE_LIMITED_ENDPOINT_LIMIT})


# --- middleware, errors, lifespan ----------------------------------------------------------------


class EdgeMiddleware(BaseHTTPMiddleware):
    """Rate limits, security headers and request metrics for every response."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        state: State = request.app.state.demo
        client = request.client.host if request.client else "unknown"
        started = time.perf_counter()
        path_now = request.url.path
        limiter = state.limited if path_now == "/api/limited" else state.limiter
        if path_now in UNLIMITED_PATHS:
            allowed, remaining, retry = True, limiter.limit, 0
        else:  # one bucket per client IP and path, so one suite's sampling cannot starve another
            allowed, remaining, retry = limiter.check(f"{client} {path_now}")
        if allowed:
            response = await call_next(request)
        else:
            response = JSONResponse(
                {"error": "rate limit exceeded"},
                status_code=429,
                headers={"Retry-After": str(retry)},
            )
        response.headers["X-RateLimit-Limit"] = str(limiter.limit)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        route = request.scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        state.metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        state.metrics.duration.labels(request.method, path).observe(time.perf_counter() - started)
        return response


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationFailed)
    return JSONResponse({"error": "validation failed", "detail": exc.problems}, status_code=422)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPError)
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)


async def _worker(state: State, queue: asyncio.Queue[int]) -> None:
    while True:
        await queue.get()
        state.processed += 1
        state.metrics.jobs.inc()
        queue.task_done()


async def _scheduler(queues: list[asyncio.Queue[int]]) -> None:
    job = 0
    while True:
        for queue in queues:
            if queue.qsize() < 100:
                job += 1
                queue.put_nowait(job)
        await asyncio.sleep(JOB_INTERVAL_S)


async def _warm_cache(state: State) -> None:
    async with state.pool.connection() as conn:
        cur = await conn.execute("SELECT id FROM companies ORDER BY id LIMIT %s", (WARM_BUYERS,))
        buyers = [int(r[0]) for r in await cur.fetchall()]
    for buyer in buyers:
        rows = await _buyer_orders(state, buyer)
        await state.redis.set(f"po:buyer:{buyer}", json.dumps(rows), ex=state.settings.cache_ttl_s)


def _cert_not_after(path: str) -> float:
    """The unix time at which the PEM certificate (the first one) in ``path`` expires."""
    from cryptography import x509

    with open(path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    return cert.not_valid_after_utc.timestamp()


def create_app(settings: Settings) -> Starlette:
    """Build the demo API for ``settings``.

    Example::

        app = create_app(Settings.from_env())
        uvicorn.run(app, host="127.0.0.1", port=8000)
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state = State(
            settings=settings,
            metrics=Metrics(),
            pool=Pool(settings.database_url, settings.db_pool_size),
            redis=aioredis.Redis.from_url(
                settings.redis_url,
                max_connections=settings.redis_max_connections,
                socket_timeout=3,
                socket_connect_timeout=3,
                decode_responses=True,
            ),
            limiter=RateLimiter(RATE_LIMIT, RATE_WINDOW_S),
            limited=RateLimiter(RATE_LIMITED_ENDPOINT_LIMIT, RATE_WINDOW_S),
        )
        state.metrics.pool.set(settings.db_pool_size)
        if settings.tls_cert:
            state.metrics.tls_expiry.set(_cert_not_after(settings.tls_cert))
        app.state.demo = state
        if not settings.jwt_secret_configured:
            log.warning("JWT_SECRET is not set: signing tokens with an insecure development key")
        await state.redis.ping()
        log.info("Redis cache initialized")
        if settings.cache_enabled:
            await _warm_cache(state)
            log.info("Cache warmup complete")
        else:
            log.info("CACHE_ENABLED=false: purchase-order lookups bypass the cache")
        queues: list[asyncio.Queue[int]] = [asyncio.Queue() for _ in range(QUEUES)]
        state.tasks.append(asyncio.create_task(_scheduler(queues)))
        state.tasks.extend(
            asyncio.create_task(_worker(state, queues[i % QUEUES])) for i in range(WORKERS)
        )
        log.info("background jobs started: %d workers on %d queues", WORKERS, QUEUES)
        try:
            yield
        finally:
            for task in state.tasks:
                task.cancel()
            await asyncio.gather(*state.tasks, return_exceptions=True)
            await state.pool.close()
            await state.redis.aclose()

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        ValidationFailed: _on_validation,
        HTTPError: _on_http_error,
    }
    return Starlette(
        routes=[
            Route("/health", health),
            Route("/api/v1/health", health),
            Route("/metrics", metrics),
            Route("/version", version),
            Route("/api/purchase-orders", purchase_orders),
            Route("/auth/register", register, methods=["POST"]),
            Route("/auth/login", login, methods=["POST"]),
            Route("/auth/me", me),
            Route("/api/ai/chat/messages", chat_message, methods=["POST"]),
            Route("/api/bookings", create_booking, methods=["POST"]),
            Route("/api/orders", create_order, methods=["POST"]),
            Route("/api/payments", create_payment, methods=["POST"]),
            Route("/api/credit-score/{user_id}", credit_score),
            Route("/webhooks/whatsapp", whatsapp_webhook, methods=["POST"]),
            Route("/api/jobs/status", jobs_status),
            Route("/api/limited", limited),
        ],
        middleware=[
            Middleware(EdgeMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=[ALLOWED_ORIGIN],
                allow_credentials=True,
                allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=600,
            ),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    """Serve the demo API with uvicorn: ``python -m _demo.app --port 8000``.

    ``--tls-port`` with ``--tls-cert`` (certificate chain) and ``--tls-key`` also serves it over
    HTTPS from the same process (one app, one state; the TLS listener stops with the other).
    """
    parser = argparse.ArgumentParser(description="deployready demo API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--tls-port", type=int, default=0)
    parser.add_argument("--tls-cert", default="")
    parser.add_argument("--tls-key", default="")
    args = parser.parse_args(argv)
    logfile = os.environ.get("DEMO_APP_LOG")
    logging.basicConfig(
        level=logging.INFO,
        filename=logfile,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from _demo.server import serve

    settings = Settings.from_env()
    if args.tls_port:
        settings = dataclasses.replace(settings, tls_cert=args.tls_cert)
    tls = (args.tls_port, args.tls_cert, args.tls_key) if args.tls_port else None
    asyncio.run(serve(create_app(settings), args.host, args.port, tls=tls))


if __name__ == "__main__":  # pragma: no cover
    main()
