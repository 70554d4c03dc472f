"""TLS servers on 127.0.0.1 with certificates made by trustme: the ``tls`` fixture's targets.

``tls_servers`` starts, once per session: ``valid`` (a CA-issued certificate for localhost and
127.0.0.1), ``expiring`` (valid, ends in 5 days), ``wrong_host`` (for other.example only),
``self_signed`` (its own issuer) and ``tls12_only`` (refuses TLS 1.3). Each completes the
handshake and closes; none reads a request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


@dataclass(frozen=True)
class TlsServers:
    """Ports of the TLS servers and the CA bundle that issued the good ones."""

    ca_file: Path
    ports: dict[str, int]

    def endpoint(self, name: str) -> str:
        return f"{HOST}:{self.ports[name]}"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "self-signed.pem", directory / "self-signed.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextlib.contextmanager
def _serve(ctx: ssl.SSLContext) -> Iterator[int]:
    listener = socket.create_server((HOST, 0), backlog=32)
    listener.settimeout(0.1)
    stop = threading.Event()

    def handshake(conn: socket.socket) -> None:
        conn.settimeout(5)
        with contextlib.suppress(OSError), ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)  # the client closes after the handshake
        conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handshake, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, name="tls-server", daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture(scope="session")
def tls_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServers]:
    """Five TLS servers (see the module docstring) and the CA file of the good ones."""
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    now = dt.datetime.now(dt.UTC)
    leaves = {
        "valid": ca.issue_cert("localhost", HOST),
        "expiring": ca.issue_cert("localhost", HOST, not_after=now + dt.timedelta(days=5)),
        "wrong_host": ca.issue_cert("other.example"),
        "tls12_only": ca.issue_cert("localhost", HOST),
    }
    contexts: dict[str, ssl.SSLContext] = {}
    for name, leaf in leaves.items():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(ctx)
        if name == "tls12_only":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        contexts[name] = ctx
    cert_path, key_path = _self_signed(directory)
    own = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    own.load_cert_chain(cert_path, key_path)
    contexts["self_signed"] = own
    with contextlib.ExitStack() as stack:
        ports = {name: stack.enter_context(_serve(ctx)) for name, ctx in contexts.items()}
        yield TlsServers(ca_file=ca_file, ports=ports)
