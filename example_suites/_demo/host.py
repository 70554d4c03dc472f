"""The demo's deployment host: sshd, the application directory, backups, the TLS certificate.

The stack plays the VPS the application is deployed on: an OpenSSH server on 127.0.0.1 (keys
made per run), the application's directory with its ``.env`` files, code backup and log, a
backup directory with real ``pg_dump`` files, a WAL archive, and the certificate of the API's
HTTPS listener (from a CA made per run with ``trustme``).

Example::

    certs = make_certificates(workdir / "tls", days=90)
    dump = take_backup(pg_bindir, socket_dir, port, "app", backup_dir, stale=False)
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SSHD",
    "Certificates",
    "HostError",
    "SshDaemon",
    "make_certificates",
    "prepare_sshd",
    "ssh_problem",
    "take_backup",
    "wait_sshd",
    "write_app_dir",
    "write_env_file",
]

HOST = "127.0.0.1"
SSHD = "/usr/sbin/sshd"
SSH_USER = "root"
WAIT_TIMEOUT_S = 30.0
BACKUP_TIMEOUT_S = 120.0
STALE_BACKUP_AGE_S = 3 * 86400


class HostError(RuntimeError):
    """A part of the host could not be set up; the message is one line."""


@dataclass(frozen=True)
class Certificates:
    """The CA bundle clients trust, and the server's certificate chain and key (PEM files)."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    not_after: dt.datetime


def make_certificates(directory: Path, *, days: float) -> Certificates:
    """A CA and a certificate for ``localhost`` and ``127.0.0.1`` valid for ``days`` more days."""
    import trustme

    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    not_after = now + dt.timedelta(days=days)
    ca = trustme.CA(organization_name="deployready demo CA")
    cert = ca.issue_cert(
        "localhost", HOST, not_before=now - dt.timedelta(days=1), not_after=not_after
    )
    certs = Certificates(
        directory / "ca.pem",
        directory / "server-chain.pem",
        directory / "server-key.pem",
        not_after,
    )
    ca.cert_pem.write_to_path(str(certs.ca_file))
    with certs.cert_file.open("wb") as f:
        for blob in cert.cert_chain_pems:
            f.write(blob.bytes())
    cert.private_key_pem.write_to_path(str(certs.key_file))
    certs.key_file.chmod(0o600)
    return certs


@dataclass(frozen=True)
class SshDaemon:
    """How to start the demo's sshd and log in to it."""

    argv: list[str]
    port: int
    user: str
    identity_file: Path
    known_hosts: Path  # the daemon's host key, pinned: nothing is learnt into ~/.ssh

    @property
    def url(self) -> str:
        return f"ssh://{self.user}@{HOST}:{self.port}"


def ssh_problem() -> str:
    """Why the demo cannot run an sshd here ('' when it can)."""
    if os.geteuid() != 0:
        return "not running as root (the demo's sshd logs in as root)"
    for binary, package in ((SSHD, "openssh-server"), ("ssh-keygen", "openssh-client")):
        if not (Path(binary).is_file() or shutil.which(binary)):
            return f"{Path(binary).name} not installed (apt-get install {package})"
    if shutil.which("ssh") is None:
        return "ssh not installed (apt-get install openssh-client)"
    return ""


def _keygen(path: Path) -> None:
    try:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "deployready-demo", "-f",
             str(path)],
            check=True, timeout=30, capture_output=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise HostError(f"ssh-keygen failed: {exc}") from exc


def prepare_sshd(directory: Path, port: int) -> SshDaemon:
    """Keys, ``authorized_keys`` and ``sshd_config`` in ``directory``: keys only, 127.0.0.1."""
    directory.mkdir(mode=0o700, parents=True)
    for name in ("host_key", "client_key"):
        _keygen(directory / name)
    (directory / "authorized_keys").write_text((directory / "client_key.pub").read_text())
    public = " ".join((directory / "host_key.pub").read_text().split()[:2])
    (directory / "known_hosts").write_text(f"[{HOST}]:{port} {public}\n")
    config = directory / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress {HOST}\nHostKey {directory / 'host_key'}\n"
        f"AuthorizedKeysFile {directory / 'authorized_keys'}\nPidFile {directory / 'sshd.pid'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nMaxStartups 50\n"
        "X11Forwarding no\nAllowTcpForwarding no\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    sshd = SSHD if Path(SSHD).is_file() else (shutil.which("sshd") or SSHD)
    return SshDaemon(
        argv=[sshd, "-D", "-e", "-f", str(config)],
        port=port,
        user=SSH_USER,
        identity_file=directory / "client_key",
        known_hosts=directory / "known_hosts",
    )


def wait_sshd(port: int, alive: Callable[[], bool], log: Path) -> None:
    """Until the sshd on ``port`` sends its ``SSH-2.0`` banner."""
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=2) as sock:
                if sock.recv(64).startswith(b"SSH-2.0"):
                    return
        except OSError:
            pass
        if not alive() or time.monotonic() > deadline:
            tail = " ".join(log.read_text(errors="replace")[-300:].split()) if log.exists() else ""
            raise HostError(f"sshd did not start on {HOST}:{port}: {tail!r}")
        time.sleep(0.1)


def write_env_file(path: Path, env: Mapping[str, str]) -> None:
    """``NAME=value`` lines, mode 0600 from the start (it holds the API's secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# The API's environment (written by the deployment; never commit it)\n")
        for name in sorted(env):
            f.write(f"{name}={env[name]}\n")
    path.chmod(0o600)


def write_app_dir(
    app_dir: Path, repo: Path, previous: str, env: Mapping[str, str], env_before: Mapping[str, str]
) -> None:
    """``.env``, ``.env.backup``, ``backend.backup.YYYYMMDD/`` (the release before), ``logs/``."""
    (app_dir / "logs").mkdir(parents=True, exist_ok=True)
    write_env_file(app_dir / ".env.backup", env_before)
    write_env_file(app_dir / ".env", env)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    code_backup = app_dir / f"backend.backup.{stamp}"
    code_backup.mkdir()
    try:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", previous],
            capture_output=True, timeout=30, check=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise HostError(f"git archive of the release before failed: {exc}") from exc
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(code_backup, filter="data")


def take_backup(
    pg_bindir: Path, socket_dir: Path, port: int, dbname: str, backup_dir: Path, *, stale: bool
) -> Path:
    """``pg_dump`` of ``dbname`` gzip'd to ``app-YYYYMMDDTHHMMSS.sql.gz`` (and ``latest.sql.gz``).

    ``stale=True`` (the ``--broken`` fault) dates the dump, its name and log line 3 days back.
    """
    taken = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=STALE_BACKUP_AGE_S if stale else 0)
    target = backup_dir / f"app-{taken:%Y%m%dT%H%M%S}.sql.gz"
    partial = target.with_suffix(".tmp")
    argv = [str(pg_bindir / "pg_dump"), "-h", str(socket_dir), "-p", str(port), "-U", "postgres",
            "--no-owner", dbname]  # fmt: skip
    try:
        with (
            subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
            ) as proc,
            gzip.open(partial, "wb", compresslevel=5) as out,
        ):
            assert proc.stdout is not None
            deadline = time.monotonic() + BACKUP_TIMEOUT_S
            while chunk := proc.stdout.read(1 << 16):
                out.write(chunk)
                if time.monotonic() > deadline:
                    proc.kill()
                    raise HostError(f"pg_dump took longer than {BACKUP_TIMEOUT_S:g} s")
            assert proc.stderr is not None
            errors = proc.stderr.read().decode(errors="replace")
            code = proc.wait(BACKUP_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as exc:
        raise HostError(f"pg_dump failed: {exc}") from exc
    if code != 0:
        raise HostError(f"pg_dump failed (exit {code}): {' '.join(errors.split())[:300]}")
    partial.rename(target)
    os.utime(target, (taken.timestamp(), taken.timestamp()))
    latest = backup_dir / "latest.sql.gz"
    latest.unlink(missing_ok=True)
    os.link(target, latest)  # a hard link: the same file, so the same age and size
    with (backup_dir / "backup.log").open("a") as log:
        log.write(
            f"{taken:%Y-%m-%dT%H:%M:%SZ} backup ok {target.name} {target.stat().st_size} bytes\n"
        )
    return target
