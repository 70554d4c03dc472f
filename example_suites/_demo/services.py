"""The demo's deployment around the API: its git repository, host, TLS, monitoring and backups.

:class:`Services` is the part of :class:`_demo.stack.DemoStack` that the example suites' host,
``tls``, ``metrics`` (Prometheus and Alertmanager), ``release`` and backup checks read. The
stack calls it at each step of its start-up; processes go through the stack's ``spawn`` so
that ``stop()`` ends them with the others. Prometheus/Alertmanager and sshd are optional: when
they cannot run, the reason is said in one line and the matching variables say so
(``DEMO_PROMETHEUS=0``, ``DEMO_HOST_URL=local://``); a failure elsewhere is a ``DemoError``.

Example::

    services = Services(workdir, ports, broken=False, spawn=stack._spawn, ...)
    services.prepare(run_as)
    ...
    stack.env.update(services.env())
"""

from __future__ import annotations

import math
import os
import pwd
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from _demo import host as demo_host
from _demo import monitoring
from _demo.repo import PREVIOUS_TAGS, AppRepo, RepoError, build_app_repo, make_dirty

__all__ = ["APP_ENV_NAMES", "BROKEN_CERT_DAYS", "CERT_DAYS", "ServiceError", "Services"]

HOST = "127.0.0.1"
CERT_DAYS = 90
BROKEN_CERT_DAYS = 5
ARCHIVE_TIMEOUT_S = 30.0
#: What goes into the host's ``.env`` (the variables the API reads, as in ``.env.example``).
APP_ENV_NAMES = (
    "NODE_ENV", "DATABASE_URL", "REDIS_URL", "JWT_SECRET", "CACHE_ENABLED", "CACHE_TTL_SECONDS",
    "DB_POOL_SIZE", "DB_MAX_OVERFLOW", "REDIS_MAX_CONNECTIONS", "ENABLE_PO_QUERY_OPTIMIZATION",
    "ENABLE_PERFORMANCE_MONITORING", "OPENAI_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
)  # fmt: skip


class ServiceError(RuntimeError):
    """A required part (repository, certificate, backup) could not be made; one line."""


@dataclass
class Services:
    """The repository, host directories, certificate, sshd, Prometheus, Alertmanager, backup."""

    workdir: Path
    ports: dict[str, int]
    broken: bool
    spawn: Callable[..., subprocess.Popen[bytes]]
    stop_named: Callable[[str], None]
    say: Callable[[str], None]
    repo: AppRepo | None = None
    certs: demo_host.Certificates | None = None
    ssh: demo_host.SshDaemon | None = None
    prometheus: bool = False
    notes: dict[str, str] = field(default_factory=dict)
    deployed_at: float = 0.0
    #: When the running API process was started: a successful scrape after it is of this one.
    spawned_at: float = 0.0
    _procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _backup: threading.Thread | None = None
    _backup_error: str = ""
    _backup_file: Path | None = None

    # --- directories ---------------------------------------------------------------------------

    @property
    def app_dir(self) -> Path:
        return self.workdir / "host" / "app"

    @property
    def backup_dir(self) -> Path:
        return self.workdir / "host" / "backups"

    @property
    def wal_dir(self) -> Path:
        return self.workdir / "host" / "wal-archive"

    @property
    def app_log(self) -> Path:
        return self.app_dir / "logs" / "app.log"

    # --- steps of the stack's start-up ---------------------------------------------------------

    def prepare(self, run_as: pwd.struct_passwd | None) -> None:
        """Before the database: ports, certificate, repository, directories, Alertmanager, sshd."""
        for name in ("api_tls", "prometheus", "alertmanager", "ssh"):
            self.ports[name] = _free_port()
        days = BROKEN_CERT_DAYS if self.broken else CERT_DAYS
        try:
            self.certs = demo_host.make_certificates(self.workdir / "tls", days=days)
            yml = monitoring.prometheus_yml(
                api_port=self.ports["api"],
                prometheus_port=self.ports["prometheus"],
                alertmanager_port=self.ports["alertmanager"],
            )
            self.repo = build_app_repo(self.workdir / "app-repo", prometheus_yml=yml)
        except ImportError as exc:
            raise ServiceError(
                f"{exc.name} is not installed: pip install -e '.[demo]' (the HTTPS certificate)"
            ) from exc
        except (RepoError, OSError, ValueError) as exc:
            raise ServiceError(f"cannot set the deployment up: {exc}") from exc
        if self.broken:
            make_dirty(self.repo)
        for directory in (self.app_dir / "logs", self.backup_dir, self.wal_dir):
            directory.mkdir(parents=True)
        if run_as is not None:  # PostgreSQL's archive_command writes here
            os.chown(self.wal_dir, run_as.pw_uid, run_as.pw_gid)
        self._start_monitoring()
        self._start_sshd()

    def postgres_options(self) -> list[str]:
        """``postgres`` options: WAL archiving into :attr:`wal_dir`."""
        return ["-c", "archive_mode=on", "-c", f"archive_command=cp %p {self.wal_dir}/%f"]

    def start_backup(self, pg_bindir: Path, socket_dir: Path, pg_port: int, dbname: str) -> None:
        """After the migrations: ``pg_dump`` and a WAL switch, in a thread (see :meth:`finish`)."""

        def run() -> None:
            try:
                self._backup_file = demo_host.take_backup(
                    pg_bindir, socket_dir, pg_port, dbname, self.backup_dir, stale=self.broken
                )
                self._switch_wal(socket_dir, pg_port)
            except (demo_host.HostError, psycopg.Error, OSError, ServiceError) as exc:
                self._backup_error = " ".join(str(exc).split())

        self._backup = threading.Thread(target=run, name="demo-backup", daemon=True)
        self._backup.start()

    @staticmethod
    def _switch_wal(socket_dir: Path, port: int) -> None:
        with psycopg.connect(
            host=str(socket_dir), port=port, user="postgres", dbname="postgres",
            connect_timeout=5, autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute("SELECT pg_switch_wal()")
            deadline = time.monotonic() + ARCHIVE_TIMEOUT_S
            while True:
                row = conn.execute(
                    "SELECT archived_count, failed_count FROM pg_stat_archiver"
                ).fetchone()
                if row is not None and row[0] > 0:
                    return
                if time.monotonic() > deadline:
                    raise ServiceError(f"no WAL segment archived within {ARCHIVE_TIMEOUT_S:g} s")
                time.sleep(0.1)

    def app_options(self, *, previous: bool) -> tuple[list[str], dict[str, str]]:
        """The API's extra arguments (the HTTPS listener) and environment (release, log)."""
        assert self.certs is not None and self.repo is not None
        argv = ["--tls-port", str(self.ports["api_tls"]), "--tls-cert", str(self.certs.cert_file),
                "--tls-key", str(self.certs.key_file)]  # fmt: skip
        env = {
            "DEMO_APP_COMMIT": self.repo.previous if previous else self.repo.head,
            "DEMO_APP_TAG": PREVIOUS_TAGS[-1] if previous else self.repo.tag,
            "DEMO_APP_LOG": str(self.app_log),
        }
        return argv, env

    def write_app_dir(self, env: dict[str, str], env_before: dict[str, str]) -> None:
        """The host's application directory for the running release (``.env`` from ``env``)."""
        assert self.repo is not None
        pick = {name: env[name] for name in APP_ENV_NAMES if name in env}
        before = {name: env_before[name] for name in APP_ENV_NAMES if name in env_before}
        if not (self.app_dir / ".env").exists():
            demo_host.write_app_dir(self.app_dir, self.repo.path, self.repo.previous, pick, before)
        else:  # a deploy: the running release's variables
            demo_host.write_env_file(self.app_dir / ".env", pick)

    def app_spawning(self) -> None:
        """The release's API process is about to start (the previous one has stopped)."""
        self.spawned_at = time.time()

    def app_started(self) -> None:
        """The release's API answers (at start, again after a deploy): note when."""
        self.deployed_at = time.time()

    def finish(self) -> None:
        """Wait for everything started (bounded); optional parts that fail are switched off."""
        self._wait_monitoring()
        if self.ssh is not None:
            try:
                demo_host.wait_sshd(self.ssh.port, self._alive("sshd"), self._log("sshd"))
                self.say(f"sshd {HOST}:{self.ssh.port} started (login {self.ssh.url})")
            except demo_host.HostError as exc:
                self._off("ssh", str(exc), "sshd")
        if self._backup is not None:
            self._backup.join(demo_host.BACKUP_TIMEOUT_S + ARCHIVE_TIMEOUT_S)
            if self._backup.is_alive() or self._backup_error:
                raise ServiceError(f"backup: {self._backup_error or 'pg_dump did not finish'}")
            assert self._backup_file is not None
            age = " (dated 3 days back: --broken)" if self.broken else ""
            self.say(f"backup {self._backup_file.name} taken{age}, WAL archived to {self.wal_dir}")

    def deployed(self) -> None:
        """After :meth:`DemoStack.deploy` restarted the API: wait until Prometheus sees it."""
        running = self.prometheus
        self._wait_monitoring()
        if running and not self.prometheus:
            self.say(f"Prometheus: stopped — {self.notes['prometheus']}; DEMO_PROMETHEUS=0")

    # --- optional parts ------------------------------------------------------------------------

    def _log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def _alive(self, name: str) -> Callable[[], bool]:
        return lambda: name in self._procs and self._procs[name].poll() is None

    def _spawn(self, name: str, argv: list[str]) -> bool:
        try:
            self._procs[name] = self.spawn(name, argv, self._log(name), signal.SIGTERM)
        except OSError as exc:
            self.notes[name] = f"{Path(argv[0]).name} did not start: {exc}"
            return False
        return True

    def _off(self, part: str, reason: str, *procs: str) -> None:
        """Switch an optional part off: stop its processes, keep the reason."""
        for name in procs:
            if self._procs.pop(name, None) is not None:
                self.stop_named(name)
        self.notes[part] = " ".join(reason.split())
        if part == "prometheus":
            self.prometheus = False
        elif part == "ssh":
            self.ssh = None

    def _start_monitoring(self) -> None:
        """Alertmanager and Prometheus (started before the API: its first scrapes fail)."""
        problem = monitoring.monitoring_problem()
        if problem:
            self.notes["prometheus"] = problem
            return
        assert self.repo is not None
        for name, argv in (
            ("alertmanager", monitoring.alertmanager_argv(
                self.repo.path, self.workdir / "alertmanager", self.ports["alertmanager"])),
            ("prometheus", monitoring.prometheus_argv(
                self.repo.path, self.workdir / "prometheus", self.ports["prometheus"])),
        ):  # fmt: skip
            if not self._spawn(name, argv):
                self._off("prometheus", self.notes.pop(name), "alertmanager", "prometheus")
                return
        self.prometheus = True

    def _wait_monitoring(self) -> None:
        if not self.prometheus:
            return
        prometheus_url = f"http://{HOST}:{self.ports['prometheus']}"
        alertmanager_url = f"http://{HOST}:{self.ports['alertmanager']}"
        try:
            monitoring.wait_alertmanager(
                alertmanager_url, self._alive("alertmanager"), self._log("alertmanager")
            )
            monitoring.wait_prometheus(
                prometheus_url,
                self._alive("prometheus"),
                self._log("prometheus"),
                api_since=self.spawned_at,
                firing=monitoring.BROKEN_ALERT if self.broken else None,
                alertmanager_url=alertmanager_url,
            )
        except monitoring.MonitoringError as exc:
            self._off("prometheus", str(exc), "prometheus", "alertmanager")
            return  # the reason is in notes (the demo prints it once the stack is up)
        firing = f", {monitoring.BROKEN_ALERT} firing" if self.broken else ""
        self.say(f"Prometheus {prometheus_url} scraping the API{firing}; Alertmanager up")

    def _start_sshd(self) -> None:
        problem = demo_host.ssh_problem()
        if problem:
            self.notes["ssh"] = problem
            return
        try:
            self.ssh = demo_host.prepare_sshd(self.workdir / "sshd", self.ports["ssh"])
        except (demo_host.HostError, OSError) as exc:
            self.notes["ssh"] = " ".join(str(exc).split())
            return
        if not self._spawn("sshd", self.ssh.argv):
            self._off("ssh", self.notes.pop("sshd"))

    # --- what the suites see -------------------------------------------------------------------

    def parts(self) -> dict[str, bool]:
        """Which optional parts run: ``{"prometheus": True, "ssh": True}``."""
        return {"prometheus": self.prometheus, "ssh": self.ssh is not None}

    def env(self) -> dict[str, str]:
        """The variables of the contract (docs/demo.md) for the current state."""
        assert self.repo is not None and self.certs is not None
        tls_port = self.ports["api_tls"]
        env = {
            "APP_REPO": str(self.repo.path),
            "APP_DIR": str(self.app_dir),
            "BACKUP_DIR": str(self.backup_dir),
            "WAL_ARCHIVE_DIR": str(self.wal_dir),
            "TLS_ENDPOINT": f"{HOST}:{tls_port}",
            "TLS_SERVER_NAME": "localhost",
            "TLS_CA_FILE": str(self.certs.ca_file),
            "API_TLS_URL": f"https://localhost:{tls_port}",
            "DEMO_DEPLOYED_AT": str(math.floor(self.deployed_at)),
            "DEMO_PROMETHEUS": "1" if self.prometheus else "0",
            "DEMO_HOST_URL": self.ssh.url if self.ssh is not None else "local://",
        }
        if self.prometheus:
            env["PROMETHEUS_URL"] = f"http://{HOST}:{self.ports['prometheus']}"
            env["ALERTMANAGER_URL"] = f"http://{HOST}:{self.ports['alertmanager']}"
        if self.ssh is not None:
            env["DEMO_HOST_IDENTITY"] = str(self.ssh.identity_file)
            env["DEMO_HOST_KNOWN_HOSTS"] = str(self.ssh.known_hosts)
        return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
