"""The ``tls`` fixture: an endpoint's certificate and the TLS versions it offers, read-only.

A TLS handshake is all it does (no request is sent): the certificate is read even when it would
not verify, so a check can say *why* it is bad — expiring, for another host, self-signed, or
not issued by the CA bundle — rather than only that a connection failed.

Example::

    def test_certificate(tls, thresholds):
        cert = tls.certificate("api.example.com:443")
        thresholds.check("tls_days_left", cert.days_until_expiry)  # e.g. ">= 21"
        assert cert.hostname_matches, cert.names
        assert cert.chain_valid, cert.chain_error
        assert tls.protocols("api.example.com:443")["TLSv1.1"] is not True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pytest_deployready._target import FailureMemory
from pytest_deployready.errors import DeployReadyError, TargetUnreachable

__all__ = ["PROTOCOLS", "Certificate", "Tls", "TlsHandshakeFailed"]

#: The versions :meth:`Tls.protocols` tries, oldest first.
PROTOCOLS: dict[str, ssl.TLSVersion] = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


class TlsHandshakeFailed(TargetUnreachable):
    """The endpoint answered but no TLS session could be set up (not TLS, or no common version)."""


@dataclass(frozen=True)
class Certificate:
    """The leaf certificate an endpoint presents, and what a client would make of it.

    ``days_until_expiry`` is negative once it has expired. ``chain_valid`` is whether it
    verifies against the CA bundle (``chain_error`` says why not); ``hostname_matches`` whether
    its subject alternative names cover the name asked for.
    """

    endpoint: str
    server_name: str
    subject: str
    issuer: str
    names: tuple[str, ...]
    not_before: dt.datetime
    not_after: dt.datetime
    self_signed: bool
    chain_valid: bool
    chain_error: str | None
    hostname_matches: bool
    sha256_fingerprint: str
    protocol: str | None
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def days_until_expiry(self) -> float:
        """Days (fractional) from the check to ``not_after``; negative when expired."""
        return round((self.not_after - self.checked_at).total_seconds() / 86400, 3)

    @property
    def expired(self) -> bool:
        return self.checked_at >= self.not_after

    def as_evidence(self) -> dict[str, Any]:
        """What the record should keep of it (``evidence.add("certificate", c.as_evidence())``)."""
        return {
            "endpoint": self.endpoint,
            "subject": self.subject,
            "issuer": self.issuer,
            "names": list(self.names),
            "not_after": self.not_after.isoformat(),
            "days_until_expiry": self.days_until_expiry,
            "chain_valid": self.chain_valid,
            "chain_error": self.chain_error,
            "hostname_matches": self.hostname_matches,
            "self_signed": self.self_signed,
            "sha256": self.sha256_fingerprint,
            "protocol": self.protocol,
        }


def _split(endpoint: str) -> tuple[str, int]:
    """``host:port``, ``[::1]:443``, ``https://host/path`` or ``host`` (port 443)."""
    text = endpoint.strip()
    if "://" in text:
        parts = urlsplit(text)
        if not parts.hostname:
            raise DeployReadyError(f"tls: no host in {endpoint!r}")
        return parts.hostname, parts.port or 443
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest.lstrip(":") or 443)
    if text.count(":") == 1:
        host, port = text.split(":")
        if not port.isdigit():
            raise DeployReadyError(f"tls: bad port in {endpoint!r} (expected host:port)")
        return host, int(port)
    if not text:
        raise DeployReadyError("tls: empty endpoint")
    return text, 443


def hostname_matches(name: str, names: tuple[str, ...]) -> bool:
    """RFC 6125 matching: exact DNS name or IP, or ``*.`` for exactly one leftmost label.

    Example: ``hostname_matches("api.example.com", ("*.example.com",))  # True``
    """
    try:
        wanted_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(name)
    except ValueError:
        wanted_ip = None
    host = name.lower().rstrip(".")
    for candidate in names:
        if wanted_ip is not None:
            try:
                if ipaddress.ip_address(candidate) == wanted_ip:
                    return True
            except ValueError:
                pass
            continue
        pattern = candidate.lower().rstrip(".")
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host:
            label, rest = host.split(".", 1)
            if label and rest == pattern[2:] and "." in rest:
                return True
    return False


class Tls:
    """TLS endpoints, read by handshakes only (the ``tls`` fixture).

    ``timeout_s`` bounds each handshake as a whole (connect, and every byte of the handshake);
    ``ca_file`` is the CA bundle certificates are verified against (default: the system's).
    ``default_endpoint`` is used when a method is called without one (the fixture sets it from
    an ``https://`` API target).
    """

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        ca_file: str | None = None,
        default_endpoint: str | None = None,
    ) -> None:
        self.timeout_s = timeout_s
        self.ca_file = ca_file
        self.default_endpoint = default_endpoint
        self._failures = FailureMemory()  # by endpoint

    def _endpoint(self, endpoint: str | None) -> str:
        chosen = endpoint or self.default_endpoint
        if not chosen:
            raise DeployReadyError(
                "tls: no endpoint given and no https:// API target configured "
                '(call tls.certificate("host:443"))'
            )
        return chosen

    def certificate(
        self, endpoint: str | None = None, *, server_name: str | None = None
    ) -> Certificate:
        """The certificate ``endpoint`` presents for ``server_name`` (SNI; default: its host).

        Example: ``tls.certificate("127.0.0.1:8443", server_name="api.internal").names``
        """
        __tracebackhide__ = True
        chosen = self._endpoint(endpoint)
        host, port = _split(chosen)
        name = server_name or host
        where = f"{host}:{port}"

        def unverified() -> ssl.SSLContext:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx

        der, protocol = self._remembered(
            where, lambda: self._handshake(host, port, name, unverified(), where)
        )
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        cert = x509.load_der_x509_certificate(der)
        names: list[str] = []
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            pass
        else:
            names += san.get_values_for_type(x509.DNSName)
            names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        chain_valid, chain_error = self._verify_chain(host, port, name, where)
        return Certificate(
            endpoint=where,
            server_name=name,
            subject=str(cn[0].value) if cn else cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            names=tuple(names),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            self_signed=cert.issuer == cert.subject,
            chain_valid=chain_valid,
            chain_error=chain_error,
            hostname_matches=hostname_matches(name, tuple(names)),
            sha256_fingerprint=hashlib.sha256(der).hexdigest(),
            protocol=protocol,
        )

    def protocols(
        self, endpoint: str | None = None, *, server_name: str | None = None
    ) -> dict[str, bool | None]:
        """Which TLS versions the endpoint accepts: True, False, or None when this client
        cannot offer that version (OpenSSL built or configured without it).

        Example: ``assert tls.protocols("api:443")["TLSv1"] is not True``
        """
        __tracebackhide__ = True
        chosen = self._endpoint(endpoint)
        host, port = _split(chosen)
        name = server_name or host
        where = f"{host}:{port}"
        result: dict[str, bool | None] = {}
        for label, version in PROTOCOLS.items():
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            try:
                with warnings.catch_warnings():  # asking for TLS 1.0/1.1 is the point here
                    warnings.simplefilter("ignore", DeprecationWarning)
                    if version < ssl.TLSVersion.TLSv1_2:
                        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer them
                    ctx.minimum_version = version
                    ctx.maximum_version = version
            except (ValueError, ssl.SSLError):
                result[label] = None
                continue
            try:
                self._remembered(where, _bind(self._handshake, host, port, name, ctx, where))
            except TlsHandshakeFailed as exc:
                # Refused by this client before anything was sent: it cannot test the version.
                local = getattr(exc.__cause__, "reason", None) == "NO_PROTOCOLS_AVAILABLE"
                result[label] = None if local else False
            else:
                result[label] = True
        return result

    # -- the handshake -----------------------------------------------------------------------

    def _remembered(
        self, where: str, attempt: Callable[[], tuple[bytes, str | None]]
    ) -> tuple[bytes, str | None]:
        """Fail fast on an endpoint that could not be reached before (unless ``eventually``)."""
        __tracebackhide__ = True
        self._failures.check(where)
        try:
            result = attempt()
        except TlsHandshakeFailed:
            raise  # the endpoint answered: nothing to remember
        except TargetUnreachable as exc:
            self._failures.remember(exc, where)
            raise
        self._failures.forget(where)
        return result

    def _verify_chain(self, host: str, port: int, name: str, where: str) -> tuple[bool, str | None]:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        ctx.check_hostname = False  # reported separately, as hostname_matches
        try:
            self._handshake(host, port, name, ctx, where)
        except TlsHandshakeFailed as exc:
            cause = exc.__cause__
            if isinstance(cause, ssl.SSLCertVerificationError):
                return False, str(cause.verify_message or cause.reason)
            return False, str(exc)
        return True, None

    def _handshake(
        self, host: str, port: int, name: str, ctx: ssl.SSLContext, where: str
    ) -> tuple[bytes, str | None]:
        """Connect and complete a handshake within ``timeout_s`` overall; the peer's DER cert."""
        deadline = time.monotonic() + self.timeout_s
        try:
            sock = socket.create_connection((host, port), timeout=self.timeout_s)
        except TimeoutError:
            raise TargetUnreachable(
                f"cannot reach TLS endpoint {where}: timed out after {self.timeout_s:g} s"
            ) from None
        except OSError as exc:
            why = (exc.strerror or str(exc)).lower()
            raise TargetUnreachable(f"cannot reach TLS endpoint {where}: {why}") from None
        expired = threading.Event()

        def cut() -> None:  # the overall deadline: a server that drips bytes cannot hold us
            expired.set()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(max(0.0, deadline - time.monotonic()), cut)
        timer.daemon = True
        timer.start()
        server_hostname = None if _is_ip(name) else name
        try:
            with ctx.wrap_socket(sock, server_hostname=server_hostname) as tls_sock:
                der = tls_sock.getpeercert(binary_form=True)
                protocol = tls_sock.version()
        except (ssl.SSLError, OSError) as exc:
            if expired.is_set() or isinstance(exc, TimeoutError):
                raise TargetUnreachable(
                    f"TLS handshake with {where} timed out after {self.timeout_s:g} s"
                ) from None
            reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc
            raise TlsHandshakeFailed(f"TLS handshake with {where} failed: {reason}") from exc
        finally:
            timer.cancel()
            sock.close()
        if not der:
            raise TlsHandshakeFailed(f"TLS handshake with {where} failed: no certificate")
        return der, protocol


def _bind(
    handshake: Callable[[str, int, str, ssl.SSLContext, str], tuple[bytes, str | None]],
    *args: Any,
) -> Callable[[], tuple[bytes, str | None]]:
    return lambda: handshake(*args)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
