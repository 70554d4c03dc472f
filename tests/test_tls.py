"""The ``tls`` fixture against real TLS servers on 127.0.0.1 (certificates made by trustme)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pytest_deployready.errors import TargetUnreachable
from pytest_deployready.tls import Tls, TlsHandshakeFailed, hostname_matches
from tests.servers.tls import TlsServers

pytest_plugins = ["pytester"]


def test_a_valid_certificate(tls_servers: TlsServers) -> None:
    tls = Tls(ca_file=str(tls_servers.ca_file), timeout_s=5)
    cert = tls.certificate(tls_servers.endpoint("valid"), server_name="localhost")
    assert cert.chain_valid and cert.chain_error is None
    assert cert.hostname_matches and "localhost" in cert.names and "127.0.0.1" in cert.names
    assert not cert.self_signed and not cert.expired
    assert cert.days_until_expiry > 300
    assert cert.protocol == "TLSv1.3"
    assert json.dumps(cert.as_evidence())  # JSON-ready for evidence.add


def test_an_expiring_certificate_shows_its_days(tls_servers: TlsServers) -> None:
    tls = Tls(ca_file=str(tls_servers.ca_file), timeout_s=5)
    cert = tls.certificate(tls_servers.endpoint("expiring"))
    assert 4 < cert.days_until_expiry <= 5
    assert cert.chain_valid and cert.hostname_matches  # by IP: 127.0.0.1 is in its names


def test_a_certificate_for_another_host(tls_servers: TlsServers) -> None:
    tls = Tls(ca_file=str(tls_servers.ca_file), timeout_s=5)
    cert = tls.certificate(tls_servers.endpoint("wrong_host"), server_name="localhost")
    assert cert.chain_valid  # a good certificate...
    assert not cert.hostname_matches and cert.names == ("other.example",)  # ...for another name


def test_a_self_signed_certificate_does_not_verify(tls_servers: TlsServers) -> None:
    tls = Tls(ca_file=str(tls_servers.ca_file), timeout_s=5)
    cert = tls.certificate(tls_servers.endpoint("self_signed"))
    assert cert.self_signed and not cert.chain_valid
    assert cert.chain_error is not None and "self-signed" in cert.chain_error
    # Against the system's CA bundle the trustme CA is unknown too.
    other = Tls(timeout_s=5).certificate(tls_servers.endpoint("valid"))
    assert not other.chain_valid and "unable to get local issuer" in str(other.chain_error)


def test_protocols_offered(tls_servers: TlsServers) -> None:
    tls = Tls(timeout_s=5)
    modern = tls.protocols(tls_servers.endpoint("valid"))
    older = tls.protocols(tls_servers.endpoint("tls12_only"))
    assert modern["TLSv1.3"] is True and modern["TLSv1.2"] is True
    assert older["TLSv1.3"] is False and older["TLSv1.2"] is True
    for version in ("TLSv1", "TLSv1.1"):  # refused by the server, or not offered by this client
        assert modern[version] is not True and older[version] is not True


def test_a_closed_port_a_silent_server_and_a_plain_tcp_server(
    silent_port: int, tls_servers: TlsServers, tmp_path: Path
) -> None:
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    tls = Tls(timeout_s=2)
    with pytest.raises(TargetUnreachable, match=rf"cannot reach TLS endpoint 127.0.0.1:{port}: "):
        tls.certificate(f"127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(TargetUnreachable, match=r"timed out after 2 s"):
        tls.certificate(f"127.0.0.1:{silent_port}")
    assert time.monotonic() - started < 30  # bounded by the deadline, not by the server
    with pytest.raises(TargetUnreachable, match="timed out"):  # remembered: no second wait
        tls.certificate(f"127.0.0.1:{silent_port}")


def test_a_server_that_is_not_tls(http_server: object) -> None:
    base = http_server.base_url  # type: ignore[attr-defined]
    host_port = base.split("://", 1)[1].rstrip("/")
    with pytest.raises(TlsHandshakeFailed, match=rf"TLS handshake with {host_port} failed"):
        Tls(timeout_s=5).certificate(host_port)


@pytest.mark.parametrize(
    ("name", "names", "matches"),
    [
        ("api.example.com", ("api.example.com",), True),
        ("API.example.com.", ("api.example.com",), True),
        ("api.example.com", ("*.example.com",), True),
        ("a.b.example.com", ("*.example.com",), False),
        ("example.com", ("*.example.com",), False),
        ("127.0.0.1", ("127.0.0.1",), True),
        ("127.0.0.1", ("localhost",), False),
        ("::1", ("0:0:0:0:0:0:0:1",), True),
        ("evil.com", ("*.com",), False),
    ],
)
def test_hostname_matching(name: str, names: tuple[str, ...], matches: bool) -> None:
    assert hostname_matches(name, names) is matches


def test_the_fixture_in_a_suite(pytester: pytest.Pytester, tls_servers: TlsServers) -> None:
    pytester.makefile(
        ".toml",
        deployready=f"""
[targets]
api_base_url = "https://{tls_servers.endpoint("expiring")}"
tls_ca_file = "{tls_servers.ca_file}"

[thresholds]
tls_days_left = ">= 21"
""",
    )
    pytester.makepyfile(
        test_tls="""
import pytest


@pytest.mark.phase("pre")
def test_certificate_not_expiring(tls, thresholds, evidence):
    cert = tls.certificate()  # the https:// API target
    evidence.add("certificate", cert.as_evidence())
    assert cert.chain_valid, cert.chain_error
    thresholds.check("tls_days_left", cert.days_until_expiry)
"""
    )
    result = pytester.runpytest("--deploy-record=record.json")
    assert result.ret == 1
    record = json.loads((pytester.path / "record.json").read_text())
    (check,) = record["checks"]
    assert check["outcome"] == "failed"
    assert check["evidence"]["certificate"]["chain_valid"] is True
    assert "tls_days_left: measured" in check["message"] and ">= 21" in check["message"]
