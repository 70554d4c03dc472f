"""HTTP API checks: timed requests, latency sampling, health, security headers, CORS, eventually.

Everything talks to the API through :class:`Api`, a lazily created ``httpx.Client`` that fails
fast: when the API cannot be reached the first call raises a one-line
:class:`~pytest_deployready.errors.TargetUnreachable` (``cannot reach API at host:port:
connection refused``) and every later call re-raises it at once, so fifty checks on a dead API
cost one connection attempt (``api.connect_attempts``). An HTTP error status is an answer, not
an unreachable API: the response is returned. The bearer token never appears in messages,
reprs or exceptions.

Timed requests (``response.elapsed`` is set by httpx from sending to the end of the body;
:func:`elapsed_ms` converts it)::

    response = api.get("/api/v1/orders", params={"limit": 1})
    assert response.status_code == 200
    assert elapsed_ms(response) < 500

Latency sampling (:meth:`Api.sample`)::

    result = api.sample("GET", "/api/v1/health", n=200, concurrency=20)
    thresholds.check("api_p95_ms", result.p95_ms)
    assert result.error_rate < 0.001, result

Health (:meth:`Api.health`)::

    health = api.health("/health")
    assert health.ok, health
    assert health.body["status"] == "healthy"

Security headers (:meth:`Api.security_headers`)::

    sec = api.security_headers("/")
    assert sec.missing() == []
    assert sec.hsts_max_age is not None and sec.hsts_max_age >= 15552000

CORS (:meth:`Api.cors`)::

    assert api.cors("/api/v1/orders", "https://app.example.com", method="POST").allowed
    assert not api.cors("/api/v1/orders", "https://evil.example").allowed

Waiting for a service that is coming up (:func:`eventually`)::

    eventually(lambda: api.health().ok, timeout=60, message="API healthy after rollout")
"""

from __future__ import annotations

import datetime
import math
import re
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

import httpcore
import httpx

from pytest_deployready.deadlines import Deadline, current, fmt_seconds
from pytest_deployready.errors import RETRYING, TargetUnreachable, retrying
from pytest_deployready.redact import safe_url, url_host

__all__ = [
    "MAX_SAMPLE_CONCURRENCY",
    "MAX_SAMPLE_REQUESTS",
    "SECURITY_HEADERS",
    "Api",
    "CorsResult",
    "HealthResult",
    "HttpTarget",
    "SampleResult",
    "SecurityHeaders",
    "elapsed_ms",
    "eventually",
    "percentile",
    "retrying",
]

T = TypeVar("T")

#: Upper bound on the number of requests one :meth:`Api.sample` call may send.
MAX_SAMPLE_REQUESTS = 100_000
#: Upper bound on the concurrency of one :meth:`Api.sample` call (one thread per worker).
MAX_SAMPLE_CONCURRENCY = 256

#: Header names checked by :meth:`SecurityHeaders.missing`, in report order.
SECURITY_HEADERS = (
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
)

# httpcore trace events (see httpcore's "trace" request extension).
_CONNECT_EVENTS = frozenset(
    {"connection.connect_tcp.started", "connection.connect_unix_socket.started"}
)
_SEND_EVENT_SUFFIX = ".send_request_headers.started"
_BODY_DONE_EVENT_SUFFIX = ".receive_response_body.complete"
# Methods a browser may send cross-origin without listing them in Access-Control-Allow-Methods.
_CORS_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
#: Request headers a page may send without a preflight (simplified: their values are not
#: checked, so a JSON Content-Type should be listed by the caller as a non-simple header).
_CORS_SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language"})
# A JSON health body whose "status" is one of these is not healthy even with HTTP 200.
_UNHEALTHY_STATES = frozenset({"down", "unhealthy", "fail", "failed", "failing", "error"})
_HSTS_MAX_AGE = re.compile(r"max-age\s*=\s*\"?(\d+)\"?", re.I)
_BODY_PREVIEW_CHARS = 1000

_RETRYING = RETRYING  # shared with every service object (errors.py)


def elapsed_ms(response: httpx.Response) -> float:
    """Milliseconds from sending the request to reading the end of the response body.

    Example::

        assert elapsed_ms(api.get("/health")) < 100
    """
    return float(response.elapsed / datetime.timedelta(milliseconds=1))


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of ``values`` by linear interpolation between ranks.

    This is numpy's default ("linear") method and PostgreSQL's ``PERCENTILE_CONT``: for sorted
    values ``v[0..n-1]`` the result is ``v[k]`` interpolated at ``k = (n - 1) * p / 100``.

    Example::

        percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)  # 9.55
    """
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.host}:{url.port or _default_port(url.scheme)}"


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


_fmt_seconds = fmt_seconds


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits no longer than the running deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        deadline = current()
        if deadline is not None:
            if deadline.expired:
                raise httpcore.ReadTimeout(deadline.message)
            timeout = deadline.cap(timeout)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        deadline = current()
        if deadline is not None:
            if deadline.expired:
                raise httpcore.WriteTimeout(deadline.message)
            timeout = deadline.cap(timeout)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        deadline = current()
        if deadline is not None:
            if deadline.expired:
                raise httpcore.ConnectTimeout(deadline.message)
            timeout = deadline.cap(timeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with connects and streams bounded by the running deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    @staticmethod
    def _connect_timeout(timeout: float | None) -> float | None:
        deadline = current()
        if deadline is None:
            return timeout
        if deadline.expired:
            raise httpcore.ConnectTimeout(deadline.message)
        return deadline.cap(timeout)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        timeout = self._connect_timeout(timeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        timeout = self._connect_timeout(timeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _bound_by_deadlines(client: httpx.Client) -> httpx.Client:
    """Make every connection of ``client`` honour the running :class:`Deadline` per read.

    httpx has no public hook for httpcore's ``network_backend``, so this wraps the backend of
    each transport's pool (``HTTPTransport._pool._network_backend``, httpx 0.28-0.29 and
    httpcore 1.x). If that layout changes, building the client fails loudly rather than
    running requests without an overall deadline.
    """
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        if transport is None:
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(backend, httpcore.NetworkBackend):
            raise RuntimeError(
                "pytest-deployready cannot bound HTTP requests by a deadline with this "
                f"httpx/httpcore version ({httpx.__version__}/{httpcore.__version__})"
            )
        if not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return client


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_connect_failure(exc: httpx.TransportError) -> bool:
    """True when the failure happened before the server could answer anything."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol)


def _reason(exc: httpx.TransportError, timeout: float) -> str:
    """The "why" of an unreachable message, e.g. ``connection refused``; never secret."""
    seconds = _fmt_seconds(timeout)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timed out after {seconds} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no response within {seconds} s"
    if isinstance(exc, httpx.WriteTimeout):
        return f"sending the request timed out after {seconds} s"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection within {seconds} s"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL scheme (use http:// or https://)"
    for cause in _exception_chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS error: {cause.verify_message or 'certificate verify failed'}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {(cause.reason or type(cause).__name__).lower().replace('_', ' ')}"
        if isinstance(cause, socket.gaierror):
            return "could not resolve host"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by peer"
    text = str(exc)
    lowered = text.lower()
    if "connection refused" in lowered:
        return "connection refused"
    if any(
        marker in lowered
        for marker in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
            "temporary failure in name resolution",
            "no address associated",
        )
    ):
        return "could not resolve host"
    if "certificate_verify_failed" in lowered or "ssl" in lowered:
        return "TLS error"
    if "server disconnected without sending a response" in lowered:
        return "connection closed without a response"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "invalid HTTP response"
    for cause in _exception_chain(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    return type(exc).__name__


class HttpTarget:
    """An HTTP endpoint behind a lazy ``httpx.Client`` that remembers why it is unreachable.

    The base of :class:`Api`, also used by :class:`~pytest_deployready.metrics.Metrics` for
    exposition endpoints and Prometheus. ``what`` names the target in messages.

    Example::

        target = HttpTarget("http://127.0.0.1:9090", what="Prometheus")
        target.request("GET", "/-/healthy").status_code  # or TargetUnreachable
    """

    def __init__(
        self,
        base_url: str,
        *,
        what: str,
        token: str | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self._base_url = base_url
        self._token = token
        self._headers = dict(headers or {})
        self.what = what
        self.timeout = float(timeout)
        #: TCP connections this target tried to open (successful or not), over its lifetime.
        self.connect_attempts = 0
        self._client: httpx.Client | None = None
        self._failures: dict[str, str] = {}
        self._failure_types: dict[str, type[TargetUnreachable]] = {}
        self._answered: set[str] = set()
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The base URL without credentials or query (safe to print)."""
        return safe_url(self._base_url)

    @property
    def where(self) -> str:
        """``host:port`` of the base URL, for messages."""
        try:
            scheme = httpx.URL(self._base_url).scheme
        except httpx.InvalidURL:
            scheme = ""
        return url_host(self._base_url, _default_port(scheme))

    def request(
        self,
        method: str,
        path: str = "/",
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        follow_redirects: bool = False,
        auth: bool = True,
    ) -> httpx.Response:
        """Send one request; the body is read and ``response.elapsed`` set before returning.

        ``path`` is joined to the base URL's path (``http://h/api`` + ``/health`` gives
        ``http://h/api/health``). Raises :class:`TargetUnreachable` when no HTTP answer came
        back (refused, timed out, DNS, TLS); an HTTP error status is returned, not raised.
        ``auth=False`` sends it without the configured token (no ``Authorization`` header at
        all), as an anonymous client would.

        Example::

            response = api.request("PATCH", "/api/v1/flags/x", json={"on": True})
            assert api.get("/api/v1/orders", auth=False).status_code == 401
        """
        client = self._get_client()
        effective_timeout = self.timeout if timeout is None else float(timeout)
        request = client.build_request(
            method,
            path,
            params=params,
            json=json,
            content=content,
            data=data,
            headers=headers,
            timeout=httpx.Timeout(effective_timeout),
            extensions={"trace": self._trace},
        )
        if not auth and self._token and "Authorization" not in (headers or {}):
            del request.headers["Authorization"]  # the client's default, not the caller's
        origin = _origin(request.url)
        self._raise_if_remembered(origin)
        deadline = self._deadline(effective_timeout, request)
        failure: httpx.TransportError | None = None
        with deadline.watch():
            try:
                response = client.send(request, follow_redirects=follow_redirects)
            except httpx.TransportError as exc:
                failure = exc
        if failure is not None:
            raise self._failed(failure, request, origin, deadline) from None
        self._succeeded(origin)
        return response

    def get(self, path: str = "/", **kwargs: Any) -> httpx.Response:
        """``GET path`` (keyword arguments as for :meth:`request`).

        Example::

            api.get("/api/v1/orders", params={"limit": 1}).json()
        """
        return self.request("GET", path, **kwargs)

    def post(self, path: str = "/", **kwargs: Any) -> httpx.Response:
        """``POST path`` (keyword arguments as for :meth:`request`).

        Example::

            api.post("/api/v1/echo", json={"ping": 1}).status_code
        """
        return self.request("POST", path, **kwargs)

    def head(self, path: str = "/", **kwargs: Any) -> httpx.Response:
        """``HEAD path`` (keyword arguments as for :meth:`request`).

        Example::

            api.head("/static/app.js").headers["cache-control"]
        """
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str = "/", **kwargs: Any) -> httpx.Response:
        """``OPTIONS path`` (keyword arguments as for :meth:`request`).

        Example::

            api.options("/api/v1/orders").headers.get("allow")
        """
        return self.request("OPTIONS", path, **kwargs)

    def reset(self) -> None:
        """Forget remembered failures and pooled connections; the next call connects afresh.

        ``connect_attempts`` keeps counting. :func:`eventually` does not need this: calls made
        inside it always try again.

        Example::

            api.reset()
            api.health()
        """
        with self._lock:
            self._failures.clear()
            self._failure_types.clear()
            self._answered.clear()
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def close(self) -> None:
        """Close pooled connections (the target can still be used; it reconnects lazily).

        Example::

            with Api("http://127.0.0.1:8000") as api:
                api.health()
        """
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        auth = ", token=***" if self._token else ""
        return f"{type(self).__name__}({self.what!r}, {self.base_url!r}{auth})"

    # -- internals ------------------------------------------------------------------------

    def _new_client(self, limits: httpx.Limits | None = None) -> httpx.Client:
        headers = dict(self._headers)
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        client = httpx.Client(
            base_url=self._base_url,
            headers=headers,
            timeout=httpx.Timeout(self.timeout),
            limits=limits or httpx.Limits(),
            follow_redirects=False,
        )
        return _bound_by_deadlines(client)

    def _deadline(self, seconds: float, request: httpx.Request) -> Deadline:
        """The overall deadline of one request: connect, send, headers and the whole body."""
        return Deadline(
            seconds, f"{self.what} at {self.where}", f"{request.method} {request.url.path}"
        )

    def _get_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
                # A target dropped without close() still closes its sockets (no ResourceWarning).
                weakref.finalize(self, self._client.close)
            return self._client

    def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event in _CONNECT_EVENTS:
            with self._lock:
                self.connect_attempts += 1

    def _message(self, reason: str) -> str:
        return f"cannot reach {self.what} at {self.where}: {reason}"

    def _raise_if_remembered(self, origin: str) -> None:
        with self._lock:
            message = self._failures.get(origin)
            kind = self._failure_types.get(origin, TargetUnreachable)
        if message is not None and not retrying():
            raise kind(message)

    def _succeeded(self, origin: str) -> None:
        with self._lock:
            self._answered.add(origin)
            self._failures.pop(origin, None)
            self._failure_types.pop(origin, None)

    def _failed(
        self,
        exc: httpx.TransportError,
        request: httpx.Request,
        origin: str,
        deadline: Deadline,
    ) -> TargetUnreachable:
        """The error for a transport failure; remembered unless the target answered before.

        A connect-level failure (refused, DNS, TLS, connect timeout) is always remembered. A
        failure after connecting (no complete answer within the deadline, connection dropped)
        is remembered only when this origin never answered: an API that answers other requests
        is not down because one endpoint is slow, so that call alone errors. A timeout after
        connecting is a :class:`TargetTimeout` (``API at h:p: GET /x timed out after 10 s``).
        """
        timed_out = not _is_connect_failure(exc) and (
            deadline.expired or isinstance(exc, httpx.TimeoutException)
        )
        error: TargetUnreachable
        with self._lock:
            remember = _is_connect_failure(exc) or origin not in self._answered
            if timed_out:
                error = deadline.error()
            else:
                reason = _reason(exc, deadline.seconds)
                if not remember:
                    reason = f"{reason} for {request.method} {request.url.path}"
                error = TargetUnreachable(self._message(reason))
            if remember:
                self._failures[origin] = str(error)
                self._failure_types[origin] = type(error)
        return error


@dataclass(frozen=True)
class SampleResult:
    """Outcome of :meth:`Api.sample`: counts, error rate, latency percentiles (ms), throughput.

    ``count`` is every request sent; ``errors`` counts statuses outside ``expect_status`` plus
    transport failures (listed in ``transport_errors``). Latencies are measured for requests
    that got an HTTP answer, whatever the status, from sending the request headers to the end
    of the body (like k6's ``http_req_duration``: connecting and TLS are not included).
    Percentiles use linear interpolation (:func:`percentile`). ``rps`` is ``count /
    duration_s`` over the wall-clock time of the whole sample.

    Example::

        result = api.sample("GET", "/", n=100, concurrency=10)
        assert result.p95_ms < 200 and result.error_rate == 0, result.as_dict()
    """

    method: str
    path: str
    concurrency: int
    count: int
    errors: int
    error_rate: float
    status_counts: Mapping[int, int]
    transport_errors: Mapping[str, int]
    min_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    rps: float
    duration_s: float

    @classmethod
    def from_measurements(
        cls,
        *,
        method: str,
        path: str,
        concurrency: int,
        latencies_ms: Sequence[float],
        statuses: Sequence[int],
        transport_errors: Mapping[str, int],
        duration_s: float,
        expect_status: Container[int],
    ) -> SampleResult:
        """Summarise raw measurements (one latency per HTTP answer, in ms).

        Example::

            SampleResult.from_measurements(method="GET", path="/", concurrency=1,
                latencies_ms=[1.0, 2.0], statuses=[200, 500], transport_errors={},
                duration_s=0.01, expect_status=range(200, 400)).error_rate  # 0.5
        """
        status_counts: dict[int, int] = {}
        for status in statuses:
            status_counts[status] = status_counts.get(status, 0) + 1
        failed_transport = sum(transport_errors.values())
        count = len(statuses) + failed_transport
        errors = failed_transport + sum(
            n for status, n in status_counts.items() if status not in expect_status
        )

        def pct(p: float) -> float:
            return percentile(latencies_ms, p) if latencies_ms else math.nan

        return cls(
            method=method,
            path=path,
            concurrency=concurrency,
            count=count,
            errors=errors,
            error_rate=errors / count if count else 0.0,
            status_counts=dict(sorted(status_counts.items())),
            transport_errors=dict(transport_errors),
            min_ms=min(latencies_ms) if latencies_ms else math.nan,
            p50_ms=pct(50),
            p90_ms=pct(90),
            p95_ms=pct(95),
            p99_ms=pct(99),
            max_ms=max(latencies_ms) if latencies_ms else math.nan,
            mean_ms=sum(latencies_ms) / len(latencies_ms) if latencies_ms else math.nan,
            rps=count / duration_s if duration_s > 0 else 0.0,
            duration_s=duration_s,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (status codes as string keys, times rounded to 0.001 ms).

        Example::

            evidence.add("orders_latency", result.as_dict())
        """
        return {
            "method": self.method,
            "path": self.path,
            "concurrency": self.concurrency,
            "count": self.count,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "status_counts": {str(k): v for k, v in self.status_counts.items()},
            "transport_errors": dict(self.transport_errors),
            "min_ms": _round(self.min_ms),
            "p50_ms": _round(self.p50_ms),
            "p90_ms": _round(self.p90_ms),
            "p95_ms": _round(self.p95_ms),
            "p99_ms": _round(self.p99_ms),
            "max_ms": _round(self.max_ms),
            "mean_ms": _round(self.mean_ms),
            "rps": _round(self.rps),
            "duration_s": round(self.duration_s, 6),
        }

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path}: {self.count} requests, {self.errors} errors "
            f"({self.error_rate:.2%}), p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms, {self.rps:.1f} req/s"
        )


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


@dataclass(frozen=True)
class HealthResult:
    """Outcome of :meth:`Api.health`; truthy when ``ok``.

    ``ok`` is true when the status is the expected one and, for a JSON object body with a
    string ``"status"``, that status is not ``down``/``unhealthy``/``fail``/``failed``/
    ``failing``/``error`` (case-insensitive). ``body`` is the parsed JSON or ``None``;
    ``text`` the first 1000 characters of the body.

    Example::

        health = api.health()
        assert health.ok, health
    """

    path: str
    status: int
    ok: bool
    elapsed_ms: float
    body: Any
    text: str
    reason: str = ""
    """Why it is not ok, in a few words (``""`` when ok): ``authentication failed (HTTP 401:
    check the token named by targets.api_token_env)``, ``HTTP 503``, ``status 'down'``."""

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class SecurityHeaders:
    """Security-related response headers of one page (``None`` when absent).

    Example::

        sec = api.security_headers("/")
        assert sec.x_content_type_options == "nosniff"
        assert "Strict-Transport-Security" not in sec.missing()
    """

    path: str
    status: int
    hsts: str | None
    csp: str | None
    x_content_type_options: str | None
    x_frame_options: str | None
    referrer_policy: str | None

    @property
    def hsts_max_age(self) -> int | None:
        """``max-age`` of Strict-Transport-Security in seconds, or ``None``."""
        if self.hsts is None:
            return None
        match = _HSTS_MAX_AGE.search(self.hsts)
        return int(match.group(1)) if match else None

    def values(self) -> dict[str, str | None]:
        """Header name -> value for every header in :data:`SECURITY_HEADERS`."""
        return dict(
            zip(
                SECURITY_HEADERS,
                (
                    self.hsts,
                    self.csp,
                    self.x_content_type_options,
                    self.x_frame_options,
                    self.referrer_policy,
                ),
                strict=True,
            )
        )

    def missing(self, required: Sequence[str] | None = None) -> list[str]:
        """Names of the required headers (default: all of :data:`SECURITY_HEADERS`) not set.

        Example::

            assert sec.missing(["Strict-Transport-Security", "X-Content-Type-Options"]) == []
        """
        values = {name.lower(): value for name, value in self.values().items()}
        names = SECURITY_HEADERS if required is None else tuple(required)
        unknown = [name for name in names if name.lower() not in values]
        if unknown:
            raise ValueError(
                f"unknown security header(s) {', '.join(unknown)}; "
                f"known: {', '.join(SECURITY_HEADERS)}"
            )
        return [name for name in names if not values[name.lower()]]


@dataclass(frozen=True)
class CorsResult:
    """Outcome of a CORS preflight (:meth:`Api.cors`).

    ``allowed`` is what a browser would decide: a 2xx answer, ``Access-Control-Allow-Origin``
    equal to the origin (or ``*`` when credentials are not requested), the method listed in
    ``Access-Control-Allow-Methods`` (or ``*``, or one of GET/HEAD/POST), every requested header
    listed, and ``Access-Control-Allow-Credentials: true`` when credentials are requested.

    Example::

        assert api.cors("/api/v1/orders", "https://app.example.com", method="POST").allowed
    """

    path: str
    origin: str
    method: str
    status: int
    allowed: bool
    allow_origin: str | None
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None = field(default=None)
    preflight: bool = True
    actual_status: int | None = None
    actual_allow_origin: str | None = None
    actual_allow_credentials: bool | None = None


def _split_list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


class Api(HttpTarget):
    """An HTTP API under test: timed requests, latency samples, health, headers, CORS.

    ``token`` is sent as ``Authorization: Bearer <token>`` and never shown. ``name`` tells
    several APIs apart in messages (``cannot reach API 'payments' at host:port: ...``).

    Example::

        api = Api("https://api.example.com", token=os.environ["API_TOKEN"], timeout=5)
        assert api.get("/health").status_code == 200
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        name: str = "api",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        what = "API" if name == "api" else f"API {name!r}"
        super().__init__(base_url, what=what, token=token, timeout=timeout, headers=headers)
        self.name = name

    def __repr__(self) -> str:
        auth = ", token=***" if self._token else ""
        return f"Api({self.base_url!r}, name={self.name!r}{auth})"

    def sample(
        self,
        method: str = "GET",
        path: str = "/",
        *,
        n: int | None = None,
        concurrency: int = 10,
        duration: float | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        expect_status: int | Container[int] = range(200, 400),
    ) -> SampleResult:
        """Send requests from ``concurrency`` threads at once and summarise their latencies.

        Stops after ``n`` requests, after ``duration`` seconds (no new request starts
        later), or at whichever comes first; at least one is required, and at most
        :data:`MAX_SAMPLE_REQUESTS` requests are sent. Workers share one connection pool of
        ``concurrency`` connections. A status outside ``expect_status`` counts as an error, so
        does a transport failure once the API has answered; if the very first outcome is a
        transport failure the sample stops and raises :class:`TargetUnreachable`.

        Example::

            result = api.sample("GET", "/api/v1/orders?limit=10", n=200, concurrency=20)
            assert result.p95_ms < 200, result
        """
        if n is None and duration is None:
            raise ValueError("sample() needs n (number of requests) and/or duration (seconds)")
        if n is not None and not 1 <= n <= MAX_SAMPLE_REQUESTS:
            raise ValueError(f"n must be between 1 and {MAX_SAMPLE_REQUESTS}, got {n}")
        if duration is not None and duration <= 0:
            raise ValueError(f"duration must be positive, got {duration}")
        if not 1 <= concurrency <= MAX_SAMPLE_CONCURRENCY:
            raise ValueError(
                f"concurrency must be between 1 and {MAX_SAMPLE_CONCURRENCY}, got {concurrency}"
            )
        expected: Container[int] = (
            (expect_status,) if isinstance(expect_status, int) else expect_status
        )
        limit = n if n is not None else MAX_SAMPLE_REQUESTS
        workers = min(concurrency, limit)
        method = method.upper()

        probe = self._get_client().build_request(method, path)
        origin = _origin(probe.url)
        self._raise_if_remembered(origin)

        run = _SampleRun(self, method, path, json, headers, limit, duration, workers)
        run.execute()
        if run.abort is not None:
            exc, request, deadline = run.abort
            if not run.statuses:
                raise self._failed(exc, request, origin, deadline) from None
            for early, early_deadline in run.early_errors:
                run.count_transport_error(early, early_deadline)
        self._succeeded(origin)
        return SampleResult.from_measurements(
            method=method,
            path=path,
            concurrency=workers,
            latencies_ms=run.latencies_ms,
            statuses=run.statuses,
            transport_errors=run.transport_errors,
            duration_s=run.duration_s,
            expect_status=expected,
        )

    def health(
        self, path: str = "/health", *, expect_status: int | Container[int] = 200
    ) -> HealthResult:
        """GET a health endpoint: status, JSON body (if any), time, and whether it is ``ok``.

        Example::

            health = api.health("/api/v1/health")
            assert health.ok, health
            assert health.elapsed_ms < 100
        """
        expected: Container[int] = (
            (expect_status,) if isinstance(expect_status, int) else expect_status
        )
        response = self.get(path)
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            body = None
        ok = response.status_code in expected
        reason = "" if ok else self._status_reason(response.status_code)
        if ok and isinstance(body, dict):
            state = body.get("status")
            if isinstance(state, str) and state.strip().lower() in _UNHEALTHY_STATES:
                ok, reason = False, f"status {state!r}"
        return HealthResult(
            path=path,
            status=response.status_code,
            ok=ok,
            elapsed_ms=elapsed_ms(response),
            body=body,
            text=response.text[:_BODY_PREVIEW_CHARS],
            reason=reason,
        )

    def _status_reason(self, status: int) -> str:
        """A refused status in words: 401/403 are the API refusing our credentials."""
        if status in (401, 403):
            sent = "the token" if self._token else "no token"
            return (
                f"authentication failed (HTTP {status}: {self.what} refused {sent}; "
                "check targets.api_token_env)"
            )
        return f"HTTP {status}"

    def security_headers(self, path: str = "/") -> SecurityHeaders:
        """GET ``path`` and collect its security headers.

        Example::

            sec = api.security_headers("/")
            assert sec.missing() == [], sec
        """
        response = self.get(path)
        h = response.headers
        return SecurityHeaders(
            path=path,
            status=response.status_code,
            hsts=h.get("strict-transport-security"),
            csp=h.get("content-security-policy"),
            x_content_type_options=h.get("x-content-type-options"),
            x_frame_options=h.get("x-frame-options"),
            referrer_policy=h.get("referrer-policy"),
        )

    def cors(
        self,
        path: str,
        origin: str,
        method: str = "GET",
        *,
        request_headers: Sequence[str] = (),
        credentials: bool = False,
        authorization: bool | None = None,
        actual: bool = True,
    ) -> CorsResult:
        """Decide as a browser would whether a page on ``origin`` may call ``path``.

        Like a browser: a preflight (``OPTIONS`` with ``Origin``, never with credentials or a
        token) only when the request is not a simple one; ``authorization`` (default: this API
        has a token) adds the ``Authorization`` header the page's request would carry, so it
        must be allowed; with ``actual`` the request itself is sent with ``Origin`` (and the
        token) and its response must allow the origin too (and credentials, if asked for).

        Example::

            cors = api.cors("/api/v1/orders", "https://app.example.com", "POST",
                            request_headers=["Content-Type"], credentials=True)
            assert cors.allowed, cors
        """
        method = method.upper()
        with_token = bool(self._token) if authorization is None else authorization
        wanted = [h for h in request_headers if h.lower() != "authorization"]
        if with_token:
            wanted.append("authorization")
        simple = method in _CORS_SAFELISTED_METHODS and all(
            h.lower() in _CORS_SAFELISTED_HEADERS for h in wanted
        )
        wildcard_ok = not credentials
        allow_origin: str | None = None
        allow_methods: tuple[str, ...] = ()
        allow_headers: tuple[str, ...] = ()
        allow_credentials = False
        max_age: int | None = None
        status = 0
        preflight_ok = True
        if not simple:
            preflight_headers = {"Origin": origin, "Access-Control-Request-Method": method}
            if wanted:
                preflight_headers["Access-Control-Request-Headers"] = ",".join(
                    sorted(h.lower() for h in wanted)
                )
            response = self.options(path, headers=preflight_headers, auth=False)
            status = response.status_code
            h = response.headers
            allow_origin = h.get("access-control-allow-origin")
            allow_methods = tuple(
                m.upper() for m in _split_list(h.get("access-control-allow-methods"))
            )
            allow_headers = _split_list(h.get("access-control-allow-headers"))
            allow_credentials = (h.get("access-control-allow-credentials") or "").lower() == "true"
            max_age_text = h.get("access-control-max-age")
            max_age = int(max_age_text) if max_age_text and max_age_text.isdigit() else None
            origin_ok = allow_origin == origin or (allow_origin == "*" and wildcard_ok)
            method_ok = (
                method in _CORS_SAFELISTED_METHODS
                or method in allow_methods
                or ("*" in allow_methods and wildcard_ok)
            )
            listed = {name.lower() for name in allow_headers}
            # "*" never covers Authorization (Fetch standard), with or without credentials.
            headers_ok = all(
                name.lower() in listed
                or ("*" in listed and wildcard_ok and name.lower() != "authorization")
                for name in wanted
            )
            credentials_ok = allow_credentials or not credentials
            preflight_ok = (
                200 <= status < 300 and origin_ok and method_ok and headers_ok and credentials_ok
            )
        actual_status: int | None = None
        actual_origin: str | None = None
        actual_credentials: bool | None = None
        actual_ok = True
        if actual and preflight_ok:
            response = self.request(
                method if method != "OPTIONS" else "GET",
                path,
                headers={"Origin": origin},
                auth=with_token,
            )
            actual_status = response.status_code
            actual_origin = response.headers.get("access-control-allow-origin")
            actual_credentials = (
                response.headers.get("access-control-allow-credentials") or ""
            ).lower() == "true"
            actual_ok = (actual_origin == origin or (actual_origin == "*" and wildcard_ok)) and (
                actual_credentials or not credentials
            )
            if simple:
                status, allow_origin, allow_credentials = (
                    actual_status,
                    actual_origin,
                    actual_credentials,
                )
        return CorsResult(
            path=path,
            origin=origin,
            method=method,
            status=status,
            allowed=preflight_ok and actual_ok,
            allow_origin=allow_origin,
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            allow_credentials=allow_credentials,
            max_age=max_age,
            preflight=not simple,
            actual_status=actual_status,
            actual_allow_origin=actual_origin,
            actual_allow_credentials=actual_credentials,
        )


class _SampleWorker:
    """One sampling thread's trace hook: when its current request went out and came back.

    Built once per thread with the thread's request, so a request costs no new closure or
    request object. ``started`` is taken as httpcore starts writing the request headers and
    ``ended`` as it has read the end of the body (``*.receive_response_body.complete``), so
    Python work before the bytes leave and after the body is in is not counted.
    """

    __slots__ = ("api", "ended", "latencies_ms", "request", "started", "statuses")

    def __init__(self, api: Api) -> None:
        self.api = api
        self.started = 0.0
        self.ended = 0.0
        self.latencies_ms: list[float] = []
        self.statuses: list[int] = []
        self.request: httpx.Request | None = None

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith(_BODY_DONE_EVENT_SUFFIX):
            self.ended = time.perf_counter()
        elif event.endswith(_SEND_EVENT_SUFFIX):
            self.started = time.perf_counter()
        elif event in _CONNECT_EVENTS:
            with self.api._lock:
                self.api.connect_attempts += 1


class _SampleRun:
    """The worker threads of one :meth:`Api.sample` call and what they measured."""

    def __init__(
        self,
        api: Api,
        method: str,
        path: str,
        json: Any,
        headers: Mapping[str, str] | None,
        limit: int,
        duration: float | None,
        workers: int,
    ) -> None:
        self.api = api
        self.method = method
        self.path = path
        self.json = json
        self.headers = headers
        self.limit = limit
        self.duration = duration
        self.workers = workers
        self.latencies_ms: list[float] = []
        self.statuses: list[int] = []
        self.transport_errors: dict[str, int] = {}
        self.abort: tuple[httpx.TransportError, httpx.Request, Deadline] | None = None
        self.early_errors: list[tuple[httpx.TransportError, Deadline]] = []
        self.duration_s = 0.0
        self._issued = 0
        self._answered = False
        self._stop = False
        self._deadline = math.inf
        self._lock = threading.Lock()
        self._crash: BaseException | None = None

    def execute(self) -> None:
        limits = httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers)
        client = self.api._new_client(limits)
        try:
            # Every worker sends its own request object (built once, with its trace hook)
            # straight to the client's transport: one shared pool of `workers` connections,
            # without the per-request work of Client.send (auth, redirects, cookies, hooks).
            workers = [_SampleWorker(self.api) for _ in range(self.workers)]
            for worker in workers:
                request = client.build_request(
                    self.method,
                    self.path,
                    json=self.json,
                    headers=self.headers,
                    extensions={"trace": worker.trace},
                )
                worker.request = request
            transport = client._transport_for_url(request.url)
            threads = [
                threading.Thread(
                    target=self._worker, args=(transport, worker), name=f"deployready-sample-{i}"
                )
                for i, worker in enumerate(workers)
            ]
            start = time.perf_counter()
            if self.duration is not None:
                self._deadline = start + self.duration
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.duration_s = time.perf_counter() - start
        finally:
            client.close()
        for worker in workers:
            self.latencies_ms.extend(worker.latencies_ms)
            self.statuses.extend(worker.statuses)
        if self._crash is not None:
            raise self._crash

    def _take_ticket(self) -> bool:
        with self._lock:
            if self._stop or self._issued >= self.limit:
                return False
            if self._issued > 0 and time.perf_counter() >= self._deadline:
                return False
            self._issued += 1
            return True

    def _worker(self, transport: httpx.BaseTransport, worker: _SampleWorker) -> None:
        try:
            while self._take_ticket():
                self._one(transport, worker)
        except BaseException as exc:  # re-raised in the calling thread
            with self._lock:
                self._crash = exc
                self._stop = True

    def _one(self, transport: httpx.BaseTransport, worker: _SampleWorker) -> None:
        request = worker.request
        assert request is not None
        worker.started = worker.ended = 0.0
        deadline = self.api._deadline(self.api.timeout, request)
        before = time.perf_counter()
        failure: httpx.TransportError | None = None
        with deadline.watch():  # the request's reads wait no longer than its deadline
            try:
                response = transport.handle_request(request)
                try:
                    for _ in response.iter_raw():
                        pass
                finally:
                    response.close()
            except httpx.TransportError as exc:
                failure = exc
        if failure is not None:
            with self._lock:
                if self._answered:
                    self.count_transport_error(failure, deadline)
                else:
                    # Nothing answered yet: stop; execute() decides if the API is unreachable.
                    self.early_errors.append((failure, deadline))
                    if self.abort is None:
                        self.abort = (failure, request, deadline)
                    self._stop = True
            return
        done = time.perf_counter()
        latency_ms = ((worker.ended or done) - (worker.started or before)) * 1000
        if not self._answered:
            with self._lock:
                self._answered = True
        worker.statuses.append(response.status_code)
        worker.latencies_ms.append(latency_ms)

    def count_transport_error(self, exc: httpx.TransportError, deadline: Deadline) -> None:
        if not _is_connect_failure(exc) and (
            deadline.expired or isinstance(exc, httpx.TimeoutException)
        ):
            reason = f"timed out after {fmt_seconds(deadline.seconds)} s"
        else:
            reason = _reason(exc, deadline.seconds)
        self.transport_errors[reason] = self.transport_errors.get(reason, 0) + 1


def eventually(
    fn: Callable[[], T],
    *,
    timeout: float = 30.0,
    interval: float = 1.0,
    message: str | None = None,
) -> T:
    """Call ``fn`` until it succeeds or ``timeout`` seconds have passed; return its result.

    An attempt succeeds when ``fn`` returns without raising and its result is truthy or
    ``None`` (so assertion-style functions work; return ``False``/``0``/empty to try again).
    It is retried when it returns another falsy value or raises ``AssertionError``,
    :class:`TargetUnreachable`, ``httpx.TransportError`` or ``ConnectionError``; any other
    exception propagates at once. Attempts are ``interval`` seconds apart; the last one runs at
    the deadline. Inside ``fn``, :class:`Api` (and every :class:`HttpTarget`) tries again
    instead of re-raising a remembered failure, and a success clears the memory.

    On timeout it raises ``TargetUnreachable`` when the last attempt could not reach its target
    (the check errors), otherwise ``AssertionError`` (the check fails), with ``message``, the
    number of attempts and the last error or result.

    Example::

        eventually(lambda: api.health().ok, timeout=60, message="API healthy after rollout")
    """
    if timeout < 0:
        raise ValueError(f"timeout must be >= 0, got {timeout}")
    if interval <= 0:
        raise ValueError(f"interval must be positive, got {interval}")
    retryable = (AssertionError, TargetUnreachable, httpx.TransportError, ConnectionError)
    deadline = time.monotonic() + timeout
    attempts = 0
    last_error: BaseException | None = None
    last_result: object = None
    while True:
        attempts += 1
        token = _RETRYING.set(True)
        try:
            result = fn()
        except retryable as exc:
            last_error = exc
        else:
            if result is None or result:
                return result
            last_error, last_result = None, result
        finally:
            _RETRYING.reset(token)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(interval, remaining))

    name = getattr(fn, "__name__", "<lambda>")
    what = message or ("condition" if name == "<lambda>" else name)
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    summary = f"{what}: not satisfied within {_fmt_seconds(timeout)} s ({tries})"
    if isinstance(last_error, TargetUnreachable):
        raise TargetUnreachable(f"{last_error} ({summary})") from None
    if last_error is not None:
        detail = str(last_error).strip().splitlines()
        last = detail[0] if detail else type(last_error).__name__
        raise AssertionError(f"{summary}; last error: {last}") from None
    raise AssertionError(f"{summary}; last result: {last_result!r}")
