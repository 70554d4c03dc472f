"""Session fixtures that start a real HTTP server for the tests.

``http_server`` serves a Starlette app with uvicorn on 127.0.0.1 (a free port, a background
thread) until the end of the session. Routes:

* ``/health`` JSON ``{"status": "ok", "version": "1.4.2"}``; ``?state=down`` reports that state;
* ``/slow?ms=N&key=K`` answers after ``asyncio.sleep(N / 1000)``; ``/slow/stats?key=K`` tells
  the most requests of key K that were in flight at once;
* ``/status/{code}`` answers with that status;
* ``/headers`` sets HSTS, CSP, X-Content-Type-Options, X-Frame-Options and Referrer-Policy;
  ``/plain`` sets none of them;
* CORS (Starlette ``CORSMiddleware``) allows origin ``https://app.example`` with GET and POST;
* ``/auth`` answers 200 only with ``Authorization: Bearer s3cr3t-api-token``, else 401;
* ``/metrics`` is a Prometheus exposition of a private registry with known values (see
  :data:`METRICS_*` constants);
* ``/flaky?key=K&fails=F`` answers 503 the first F times for each key K, then 200;
* ``/prom/api/v1/query`` is a canned Prometheus HTTP API (see :data:`PROMQL_ANSWERS`).

``unresponsive_url`` is a socket that completes TCP handshakes but never answers, and
``refused_url`` a bound port that is not listening (connection refused).

Example::

    def test_health(http_server: HttpServer) -> None:
        assert httpx.get(f"{http_server.base_url}/health").status_code == 200
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter as _Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.servers.silent import silent_server

__all__ = [
    "ALLOWED_ORIGIN",
    "API_TOKEN",
    "METRICS_CACHE_HITS",
    "METRICS_CACHE_MISSES",
    "METRICS_QUEUE_DEPTH",
    "PROMQL_ANSWERS",
    "HttpServer",
    "RunningServer",
    "bound_socket",
    "build_app",
    "http_server",
    "refused_url",
    "serve",
    "stop",
    "unresponsive_url",
]

HOST = "127.0.0.1"
API_TOKEN = "s3cr3t-api-token"
ALLOWED_ORIGIN = "https://app.example"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0

METRICS_CACHE_HITS = 80
METRICS_CACHE_MISSES = 20
METRICS_QUEUE_DEPTH = 7
# route -> observations (seconds). /a: cumulative buckets 0.05:2 0.1:5 0.25:8 0.5:9 1:10 +Inf:10.
METRICS_OBSERVATIONS = {
    "/a": [0.01, 0.01, 0.07, 0.07, 0.07, 0.2, 0.2, 0.2, 0.4, 0.8],
    "/b": [0.3, 0.3, 2.0, 2.0],
}
METRICS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0)
# (route, status) -> count of demo_http_requests_total.
METRICS_REQUESTS = {("/a", "200"): 90, ("/a", "500"): 3, ("/b", "200"): 7}

_NOW = 1_700_000_000.0
PROMQL_ANSWERS: dict[str, tuple[int, dict[str, Any]]] = {
    "up": (
        200,
        {
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [
                    {"metric": {"__name__": "up", "job": "api"}, "value": [_NOW, "1"]},
                    {"metric": {"__name__": "up", "job": "worker"}, "value": [_NOW, "0"]},
                ],
            },
        },
    ),
    "sum(up)": (
        200,
        {
            "status": "success",
            "data": {"resultType": "vector", "result": [{"metric": {}, "value": [_NOW, "1"]}]},
        },
    ),
    "scalar(sum(up))": (
        200,
        {"status": "success", "data": {"resultType": "scalar", "result": [_NOW, "1"]}},
    ),
    "absent_metric": (
        200,
        {"status": "success", "data": {"resultType": "vector", "result": []}},
    ),
    "up[1m]": (
        200,
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {
                        "metric": {"__name__": "up", "job": "api"},
                        "values": [[_NOW - 30, "1"], [_NOW, "1"]],
                    }
                ],
            },
        },
    ),
    "sum(rate(": (
        400,
        {
            "status": "error",
            "errorType": "bad_data",
            "error": 'invalid parameter "query": 1:10: parse error: unclosed left parenthesis',
        },
    ),
}


@dataclass(frozen=True)
class HttpServer:
    """A running test HTTP server: ``base_url`` is ``http://127.0.0.1:PORT``."""

    base_url: str
    host: str
    port: int

    @property
    def prometheus_url(self) -> str:
        """Base URL of the canned Prometheus HTTP API."""
        return f"{self.base_url}/prom"


def _metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    requests = Counter(
        "demo_http_requests", "Requests served.", ["route", "status"], registry=registry
    )
    for (route, status), count in METRICS_REQUESTS.items():
        requests.labels(route=route, status=status).inc(count)
    Gauge("demo_queue_depth", "Jobs waiting.", registry=registry).set(METRICS_QUEUE_DEPTH)
    duration = Histogram(
        "demo_request_duration_seconds",
        "Request duration.",
        ["route"],
        buckets=METRICS_BUCKETS,
        registry=registry,
    )
    for route, values in METRICS_OBSERVATIONS.items():
        for value in values:
            duration.labels(route=route).observe(value)
    Counter("cache_hits", "Cache hits.", registry=registry).inc(METRICS_CACHE_HITS)
    Counter("cache_misses", "Cache misses.", registry=registry).inc(METRICS_CACHE_MISSES)
    return registry


def build_app() -> Starlette:
    """The Starlette app served by ``http_server``."""
    registry = _metrics_registry()
    flaky_calls: _Counter[str] = _Counter()
    flaky_lock = threading.Lock()
    in_flight: _Counter[str] = _Counter()
    max_in_flight: _Counter[str] = _Counter()

    async def health(request: Request) -> Response:
        state = request.query_params.get("state", "ok")
        return JSONResponse({"status": state, "version": "1.4.2"})

    async def slow(request: Request) -> Response:
        ms = float(request.query_params.get("ms", "100"))
        key = request.query_params.get("key", "default")
        # All handlers run on the server's one event loop: no lock needed.
        in_flight[key] += 1
        max_in_flight[key] = max(max_in_flight[key], in_flight[key])
        try:
            await asyncio.sleep(ms / 1000)
        finally:
            in_flight[key] -= 1
        return PlainTextResponse(f"slept {ms:g} ms")

    async def slow_stats(request: Request) -> Response:
        key = request.query_params.get("key", "default")
        return JSONResponse({"max_in_flight": max_in_flight[key], "in_flight": in_flight[key]})

    async def status(request: Request) -> Response:
        code = int(request.path_params["code"])
        return PlainTextResponse(f"status {code}", status_code=code)

    async def headers(request: Request) -> Response:
        return PlainTextResponse(
            "secure",
            headers={
                "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
                "Content-Security-Policy": "default-src 'self'",
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "no-referrer",
            },
        )

    async def plain(request: Request) -> Response:
        return PlainTextResponse("plain")

    async def auth(request: Request) -> Response:
        if request.headers.get("authorization") == f"Bearer {API_TOKEN}":
            return JSONResponse({"user": "release-bot"})
        return JSONResponse({"error": "unauthorized"}, status_code=401)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def flaky(request: Request) -> Response:
        key = request.query_params.get("key", "default")
        fails = int(request.query_params.get("fails", "3"))
        with flaky_lock:
            flaky_calls[key] += 1
            calls = flaky_calls[key]
        if calls <= fails:
            return JSONResponse({"status": "starting", "call": calls}, status_code=503)
        return JSONResponse({"status": "ok", "call": calls})

    async def promql(request: Request) -> Response:
        query = request.query_params.get("query", "")
        code, body = PROMQL_ANSWERS.get(
            query,
            (
                422,
                {
                    "status": "error",
                    "errorType": "execution",
                    "error": f"no canned answer for {query!r}",
                },
            ),
        )
        return JSONResponse(body, status_code=code)

    routes = [
        Route("/health", health),
        Route("/slow", slow),
        Route("/slow/stats", slow_stats),
        Route("/status/{code:int}", status, methods=["GET", "POST", "HEAD"]),
        Route("/headers", headers),
        Route("/plain", plain),
        Route("/auth", auth),
        Route("/metrics", metrics),
        Route("/flaky", flaky),
        Route("/prom/api/v1/query", promql, methods=["GET", "POST"]),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=[ALLOWED_ORIGIN],
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=True,
            max_age=600,
        )
    ]
    return Starlette(routes=routes, middleware=middleware)


@dataclass
class RunningServer:
    """A uvicorn server running in a thread (see :func:`serve` and :func:`stop`)."""

    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket


def serve(app: Starlette, sock: socket.socket) -> RunningServer:
    """Serve ``app`` on an already bound ``sock`` in a thread; return once it accepts."""
    config = uvicorn.Config(
        app,
        log_level="error",
        access_log=False,
        lifespan="off",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="test-http-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test HTTP server thread exited during startup")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the test HTTP server did not start within {START_TIMEOUT_S} s")
        time.sleep(0.01)
    return RunningServer(server, thread, sock)


def stop(running: RunningServer) -> None:
    """Ask uvicorn to exit and wait (bounded) for its thread."""
    running.server.should_exit = True
    running.thread.join(STOP_TIMEOUT_S)
    running.sock.close()
    if running.thread.is_alive():
        raise RuntimeError(f"the test HTTP server did not stop within {STOP_TIMEOUT_S} s")


def bound_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 (not listening yet)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


@pytest.fixture(scope="session")
def http_server() -> Iterator[HttpServer]:
    """The test app on ``http://127.0.0.1:PORT`` for the whole session.

    Example::

        def test_x(http_server: HttpServer) -> None:
            Api(http_server.base_url).get("/health")
    """
    sock = bound_socket()
    port = int(sock.getsockname()[1])
    running = serve(build_app(), sock)
    try:
        yield HttpServer(base_url=f"http://{HOST}:{port}", host=HOST, port=port)
    finally:
        stop(running)


@pytest.fixture
def unresponsive_url() -> Iterator[str]:
    """URL of a server that accepts TCP connections but never answers.

    Example::

        def test_x(unresponsive_url: str) -> None:
            Api(unresponsive_url, timeout=1).get("/")  # raises TargetUnreachable
    """
    with silent_server() as server:
        yield f"http://{HOST}:{server.port}"


@pytest.fixture
def refused_url() -> Iterator[str]:
    """URL of a port held bound but not listening, so connecting is refused.

    Example::

        def test_x(refused_url: str) -> None:
            Api(refused_url).get("/")  # cannot reach API at 127.0.0.1:PORT: connection refused
    """
    sock = bound_socket()
    try:
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        sock.close()
