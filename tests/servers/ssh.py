"""A real OpenSSH server on 127.0.0.1 for the ``host`` fixture's tests.

``ssh_server`` (session) runs Debian's ``sshd`` in the foreground on a free port with a host key
and a client key made for the session (ed25519), key authentication only, as root (the test
machines run as root; CI too). It stops at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["SshServer", "ssh_server"]

HOST = "127.0.0.1"
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    identity_file: Path
    wrong_identity_file: Path
    known_hosts: Path  # the server's host key, pinned (nothing learnt into ~/.ssh)
    wrong_known_hosts: Path  # another key for the same address

    @property
    def url(self) -> str:
        return f"ssh://{self.user}@{HOST}:{self.port}"


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        timeout=30,
        capture_output=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """sshd on 127.0.0.1 accepting the session's client key for the current user (root)."""
    if not os.path.exists(SSHD):
        pytest.fail(f"sshd not found at {SSHD}: make bootstrap installs openssh-server")
    directory = tmp_path_factory.mktemp("sshd")
    os.chmod(directory, 0o700)
    for name in ("host_key", "client_key", "wrong_key"):
        _keygen(directory / name)
    (directory / "authorized_keys").write_text((directory / "client_key.pub").read_text())
    port = _free_port()
    for known, key in (("known_hosts", "host_key"), ("wrong_known_hosts", "wrong_key")):
        public = " ".join((directory / f"{key}.pub").read_text().split()[:2])
        (directory / known).write_text(f"[{HOST}]:{port} {public}\n")
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress {HOST}\nHostKey {directory / 'host_key'}\n"
        f"AuthorizedKeysFile {directory / 'authorized_keys'}\nPidFile {directory / 'sshd.pid'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxStartups 50\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    log = (directory / "sshd.log").open("wb")
    proc = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"sshd did not start: {(directory / 'sshd.log').read_text()[-500:]}")
            time.sleep(0.1)
    try:
        yield SshServer(
            port=port,
            user="root",
            identity_file=directory / "client_key",
            wrong_identity_file=directory / "wrong_key",
            known_hosts=directory / "known_hosts",
            wrong_known_hosts=directory / "wrong_known_hosts",
        )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
