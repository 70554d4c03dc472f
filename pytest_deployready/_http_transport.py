"""HTTP transport bound by overall deadlines, and a transport failure's reason in a few words.

httpx's own timeouts bound each read; :func:`bound_by_deadlines` makes every connect, read and
write of a client wait no longer than the running
:class:`~pytest_deployready._deadlines.Deadline`, so a server that drips its answer a byte at
a time still ends there. :func:`transport_reason` turns an ``httpx.TransportError`` into the
"why" of a one-line message (``connection refused``, ``could not resolve host``).

Example::

    client = bound_by_deadlines(httpx.Client(base_url="http://127.0.0.1:8000"))
    with Deadline(10, "API at 127.0.0.1:8000", "GET /health").watch():
        client.get("/health")
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import httpcore
import httpx

from pytest_deployready._deadlines import current, fmt_seconds
from pytest_deployready._target import exception_chain

__all__ = [
    "BODY_DONE_EVENT_SUFFIX",
    "CONNECT_EVENTS",
    "SEND_EVENT_SUFFIX",
    "bound_by_deadlines",
    "default_port",
    "is_connect_failure",
    "origin",
    "transport_reason",
]

# httpcore trace events (see httpcore's "trace" request extension).
CONNECT_EVENTS = frozenset(
    {"connection.connect_tcp.started", "connection.connect_unix_socket.started"}
)
SEND_EVENT_SUFFIX = ".send_request_headers.started"
BODY_DONE_EVENT_SUFFIX = ".receive_response_body.complete"


def origin(url: httpx.URL) -> str:
    """``scheme://host:port`` of ``url``: the key a failure is remembered under."""
    return f"{url.scheme}://{url.host}:{url.port or default_port(url.scheme)}"


def default_port(scheme: str) -> int | None:
    """80 for ``http``, 443 for ``https``, else ``None``."""
    return {"http": 80, "https": 443}.get(scheme)


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


def bound_by_deadlines(client: httpx.Client) -> httpx.Client:
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


def is_connect_failure(exc: httpx.TransportError) -> bool:
    """True when the failure happened before the server could answer anything."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol)


def transport_reason(exc: httpx.TransportError, timeout: float) -> str:
    """The "why" of an unreachable message, e.g. ``connection refused``; never secret."""
    seconds = fmt_seconds(timeout)
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
    for cause in exception_chain(exc):
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
    for cause in exception_chain(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    return type(exc).__name__
