"""The ``api`` fixture's client: timed HTTP requests, health, security headers and CORS.

Everything talks to the API through :class:`Api`, a lazily created ``httpx.Client`` that fails
fast: when the API cannot be reached the first call raises a one-line
:class:`~pytest_deployready.errors.TargetUnreachable` (``cannot reach API at host:port:
connection refused``) and every later call re-raises it at once, so fifty checks on a dead API
cost one connection attempt (``api.connect_attempts``). An HTTP error status is an answer, not
an unreachable API: the response is returned. The bearer token never appears in messages,
reprs or exceptions. Latency sampling lives in :mod:`pytest_deployready.sampling`, the
deadline-bound transport in ``_http_transport``, :func:`eventually` in
:mod:`pytest_deployready.retry` (re-exported here).

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
import re
import threading
import weakref
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import httpx

from pytest_deployready import sampling
from pytest_deployready._deadlines import Deadline
from pytest_deployready._http_transport import (
    CONNECT_EVENTS,
    bound_by_deadlines,
    default_port,
    is_connect_failure,
    transport_reason,
)
from pytest_deployready._http_transport import origin as origin_of
from pytest_deployready._redact import safe_url, url_host
from pytest_deployready._target import Target
from pytest_deployready.errors import TargetUnreachable
from pytest_deployready.retry import eventually
from pytest_deployready.sampling import MAX_SAMPLE_CONCURRENCY, MAX_SAMPLE_REQUESTS, SampleResult

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
]

#: Header names checked by :meth:`SecurityHeaders.missing`, in report order.
SECURITY_HEADERS = (
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
)

# Methods a browser may send cross-origin without listing them in Access-Control-Allow-Methods.
_CORS_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
#: Request headers a page may send without a preflight (simplified: their values are not
#: checked, so a JSON Content-Type should be listed by the caller as a non-simple header).
_CORS_SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language"})
# A JSON health body whose "status" is one of these is not healthy even with HTTP 200.
_UNHEALTHY_STATES = frozenset({"down", "unhealthy", "fail", "failed", "failing", "error"})
_HSTS_MAX_AGE = re.compile(r"max-age\s*=\s*\"?(\d+)\"?", re.I)
_BODY_PREVIEW_CHARS = 1000


def elapsed_ms(response: httpx.Response) -> float:
    """Milliseconds from sending the request to reading the end of the response body.

    Example::

        assert elapsed_ms(api.get("/health")) < 100
    """
    return float(response.elapsed / datetime.timedelta(milliseconds=1))


class HttpTarget(Target):
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
        super().__init__()
        self._base_url = base_url
        self._token = token
        self._headers = dict(headers or {})
        self.what = what
        self.timeout = float(timeout)
        self._client: httpx.Client | None = None
        # Origins that answered once: a later failure there is one slow call, not a dead API.
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
        return url_host(self._base_url, default_port(scheme))

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
        origin = origin_of(request.url)
        self._failures.check(origin)
        deadline = self._request_deadline(effective_timeout, request)
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
        self._failures.clear()
        with self._lock:
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
        return bound_by_deadlines(client)

    @property
    def _label(self) -> str:
        return f"{self.what} at {self.where}"

    def _request_deadline(self, seconds: float, request: httpx.Request) -> Deadline:
        """The overall deadline of one request: connect, send, headers and the whole body."""
        return self._deadline(seconds, f"{request.method} {request.url.path}")

    def _get_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
                # A target dropped without close() still closes its sockets (no ResourceWarning).
                weakref.finalize(self, self._client.close)
            return self._client

    def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event in CONNECT_EVENTS:
            with self._lock:
                self.connect_attempts += 1

    def _message(self, reason: str) -> str:
        return f"cannot reach {self._label}: {reason}"

    def _succeeded(self, origin: str) -> None:
        with self._lock:
            self._answered.add(origin)
        self._failures.forget(origin)

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
        timed_out = not is_connect_failure(exc) and (
            deadline.expired or isinstance(exc, httpx.TimeoutException)
        )
        error: TargetUnreachable
        with self._lock:
            remember = is_connect_failure(exc) or origin not in self._answered
            if timed_out:
                error = deadline.error()
            else:
                reason = transport_reason(exc, deadline.seconds)
                if not remember:
                    reason = f"{reason} for {request.method} {request.url.path}"
                error = TargetUnreachable(self._message(reason))
        if remember:
            self._failures.remember(error, origin)
        return error


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
        return sampling.sample(
            self,
            method,
            path,
            n=n,
            concurrency=concurrency,
            duration=duration,
            json=json,
            headers=headers,
            expect_status=expect_status,
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
