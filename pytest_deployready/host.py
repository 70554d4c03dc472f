"""The ``host`` fixture: a machine's state through pytest-testinfra's backends, read-only.

Files (exists, mode, owner, age, content), services, processes, listening sockets, packages,
disk and memory usage, and configuration tests such as ``nginx -t`` — on the local machine, over
SSH or in a Docker container (testinfra's ``local://``, ``ssh://`` and ``docker://`` backends).
Only reads: every helper runs a command that changes nothing, configuration tests come from a
fixed list of checkers, and running any other command needs ``allow_commands = true`` on that
host in the configuration (an explicit, documented opt-in).

Each operation has an overall deadline (``timeouts.command_s``); a host that cannot be reached
or refuses the key errors in one line and is remembered, so fifty checks cost one timeout.

Example::

    def test_nginx(host, thresholds):
        assert host.service("nginx").running
        assert host.listening("tcp://0.0.0.0:443")
        assert host.config_test("nginx -t").ok
        thresholds.check("disk_used_ratio", host.disk_used_ratio("/var"))
        assert host.file("/etc/nginx/nginx.conf").mode == 0o644
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import os
import re
import shlex
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pytest_deployready._target import FailureMemory
from pytest_deployready.errors import DeployReadyError, ReadOnlyViolation, TargetUnreachable

__all__ = ["CONFIG_TESTS", "CommandResult", "FileState", "Host", "HostServiceState"]

T = TypeVar("T")

#: Configuration checkers that only read: the first words a ``config_test`` command may have.
CONFIG_TESTS: tuple[tuple[str, ...], ...] = (
    ("nginx", "-t"),
    ("nginx", "-T"),
    ("apachectl", "configtest"),
    ("apache2ctl", "configtest"),
    ("sshd", "-t"),
    ("haproxy", "-c"),
    ("named-checkconf",),
    ("visudo", "-c"),
    ("systemd-analyze", "verify"),
    ("caddy", "validate"),
    ("promtool", "check"),
    ("amtool", "check-config"),
    ("postfix", "check"),
    ("docker", "compose", "config", "--quiet"),
)
#: ``stat -c`` fields of a :class:`FileState`, parsed by :func:`_file_state`.
_STAT_FORMAT = "%F|%a|%U|%G|%s|%Y"
_SAFE_ARG = re.compile(r"^[A-Za-z0-9_./:=@%+,-]+$")


@dataclass(frozen=True)
class CommandResult:
    """What a command printed and how it ended: ``ok`` is exit status 0."""

    command: str
    exit_status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


@dataclass(frozen=True)
class FileState:
    """A path on the host; the fields other than ``exists`` are None when it does not exist."""

    path: str
    exists: bool
    is_file: bool = False
    is_directory: bool = False
    is_symlink: bool = False
    mode: int | None = None
    user: str | None = None
    group: str | None = None
    size: int | None = None
    mtime: dt.datetime | None = None
    checked_at: dt.datetime | None = None

    @property
    def age_s(self) -> float | None:
        """Seconds since the file was last modified (for freshness thresholds)."""
        if self.mtime is None or self.checked_at is None:
            return None
        return round((self.checked_at - self.mtime).total_seconds(), 3)


@dataclass(frozen=True)
class HostServiceState:
    """A service as the host's init system reports it."""

    name: str
    running: bool
    enabled: bool


class Host:
    """One machine, read through a testinfra backend (the ``host`` fixture).

    ``url`` is a testinfra host spec: ``local://``, ``ssh://user@host:22``,
    ``docker://container``. ``identity_file`` is the SSH key; ``known_hosts`` a known_hosts
    file holding the host's key (checked strictly; without it, OpenSSH's own configuration
    decides and nothing is added to ``~/.ssh/known_hosts``); ``timeout_s`` the overall deadline
    of each operation; ``allow_commands`` enables :meth:`run`.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        identity_file: str | None = None,
        known_hosts: str | None = None,
        timeout_s: float = 30.0,
        allow_commands: bool = False,
        sudo: bool = False,
    ) -> None:
        self.name = name
        self.url = url
        self.identity_file = identity_file
        self.known_hosts = known_hosts
        self.timeout_s = timeout_s
        self.allow_commands = allow_commands
        self.sudo = sudo
        self._backend: Any = None
        self._failures = FailureMemory()
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="host")
        # One SSH master connection per Host (never shared with another key or another run).
        self._control_path = f"/tmp/.deployready-ssh-{os.getpid()}-{uuid.uuid4().hex[:12]}"

    def __repr__(self) -> str:
        return f"Host({self.name!r}, {self.where!r})"

    @property
    def where(self) -> str:
        """The host spec without a password (``ssh://root@db1:22``)."""
        scheme, sep, rest = self.url.partition("://")
        if sep and "@" in rest.split("/", 1)[0]:
            userinfo, _, hostpart = rest.rpartition("@")
            rest = f"{userinfo.split(':', 1)[0]}@{hostpart}"
        return f"{scheme}{sep}{rest}"

    def close(self) -> None:
        """Stop the SSH master connection, if one was opened, and the worker thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        if os.path.exists(self._control_path):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    ["ssh", "-o", f"ControlPath={self._control_path}", "-O", "exit", "x"],
                    capture_output=True,
                    timeout=5,
                    check=False,
                )

    # -- the backend, the deadline, the remembered failure ---------------------------------

    def _connect(self) -> Any:
        try:
            import testinfra
        except ImportError:
            raise DeployReadyError(
                "host: pytest-testinfra is not installed (pip install 'pytest-deployready[host]')"
            ) from None
        kwargs: dict[str, Any] = {"sudo": self.sudo}
        if self.url.startswith(("ssh://", "paramiko://")):
            connect = max(1, int(min(self.timeout_s, 30)))
            # The host's key is checked, never learnt: a key OpenSSH does not know is an error
            # (BatchMode), and the plugin writes nothing to the user's known_hosts.
            pinned = (
                f"-o UserKnownHostsFile={shlex.quote(self.known_hosts)} "
                "-o GlobalKnownHostsFile=/dev/null "
                if self.known_hosts
                else ""
            )
            kwargs["ssh_extra_args"] = (
                f"-o ConnectTimeout={connect} -o BatchMode=yes -o ServerAliveInterval=5 "
                f"-o ServerAliveCountMax=2 -o StrictHostKeyChecking=yes -o UpdateHostKeys=no "
                f"{pinned}"
                f"-o ControlMaster=auto -o ControlPersist=60 -o ControlPath={self._control_path}"
            )
            if self.identity_file:
                kwargs["ssh_identity_file"] = self.identity_file
        backend = testinfra.get_host(self.url, **kwargs)
        probe = backend.run("true")
        if probe.rc != 0:
            raise self._unreachable(probe.stderr or probe.stdout)
        return backend

    def _unreachable(self, text: str) -> TargetUnreachable:
        lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
        why = lines[-1] if lines else "the connection failed"
        if "Host key verification failed" in why:
            changed = "REMOTE HOST IDENTIFICATION HAS CHANGED" in str(text)
            where = self.known_hosts or "~/.ssh/known_hosts"
            return TargetUnreachable(
                f"host {self.name} ({self.where}): host key verification failed: "
                + (f"the key differs from the one in {where}" if changed
                   else f"its key is not in {where}")
                + " (check the fingerprint, then add the key or set known_hosts in "
                "[[targets.hosts]])"
            )  # fmt: skip
        if "Permission denied" in why or "authentication" in why.lower():
            return TargetUnreachable(
                f"host {self.name} ({self.where}): authentication failed: {why}"
            )
        return TargetUnreachable(f"cannot reach host {self.name} ({self.where}): {why}")

    def _call(self, what: str, fn: Callable[[Any], T]) -> T:
        """Run ``fn(backend)`` within the deadline; remember a failure to connect."""
        __tracebackhide__ = True
        self._failures.check()

        def work() -> T:
            if self._backend is None:
                self._backend = self._connect()
                self._failures.forget()  # connected (inside eventually): nothing to remember
            return fn(self._backend)

        future = self._pool.submit(work)
        try:
            return future.result(timeout=self.timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            error: DeployReadyError = TargetUnreachable(
                f"host {self.name} ({self.where}): {what} timed out after {self.timeout_s:g} s"
            )
            if self._backend is None:
                self._failures.remember(error)  # never connected: later checks fail fast
            # The stuck call still holds the worker: a new one for the next operation.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="host")
            raise error from None
        except DeployReadyError as exc:
            if self._backend is None:
                self._failures.remember(exc)
            raise
        except Exception as exc:  # a backend error: one line, what and where
            # testinfra's SSH backend raises RuntimeError(CommandResult) when ssh exits 255.
            result = exc.args[0] if exc.args else None
            text = str(getattr(result, "stderr", "") or exc).strip()
            error = self._unreachable(text or type(exc).__name__)
            if self._backend is None:
                self._failures.remember(error)
            raise error from None

    def _output(self, command: str) -> CommandResult:
        def run(backend: Any) -> CommandResult:
            out = backend.run(command)
            return CommandResult(command, int(out.rc), str(out.stdout), str(out.stderr))

        return self._call(f"`{command}`", run)

    # -- what a check reads ------------------------------------------------------------------

    def file(self, path: str) -> FileState:
        """A file or directory: type, mode, owner, size and modification time.

        Example: ``assert host.file("/etc/app/env").mode == 0o600``
        """
        quoted = shlex.quote(path)
        result = self._output(
            f"stat -c '{_STAT_FORMAT}' -- {quoted} 2>/dev/null; echo \"now=$(date +%s)\""
        )
        checked, stat_lines = _stat_lines(result.stdout)
        if not stat_lines:
            return FileState(path, exists=False, checked_at=checked)
        return _file_state(path, stat_lines[0].split("|"), checked)

    def file_contains(self, path: str, pattern: str) -> bool:
        """True when a line of the file matches the (extended) regular expression.

        Example: ``assert host.file_contains("/etc/nginx/nginx.conf", r"ssl_protocols TLSv1.2")``
        """
        result = self._output(f"grep -qE -- {shlex.quote(pattern)} {shlex.quote(path)}")
        if result.exit_status > 1:
            raise DeployReadyError(f"host {self.name}: cannot read {path}: {result.stderr.strip()}")
        return result.exit_status == 0

    def service(self, name: str) -> HostServiceState:
        """Whether a service runs and is enabled (systemd, SysV or OpenRC, as testinfra reads)."""

        def read(backend: Any) -> HostServiceState:
            svc = backend.service(name)
            return HostServiceState(name, bool(svc.is_running), bool(svc.is_enabled))

        return self._call(f"service {name}", read)

    def process_count(self, **filters: Any) -> int:
        """Processes matching testinfra's filters: ``host.process_count(comm="nginx")``."""
        return self._call("process list", lambda b: len(b.process.filter(**filters)))

    def listening(self, spec: str) -> bool:
        """True when a socket listens: ``tcp://0.0.0.0:443``, ``tcp://443``, ``unix:///run/x``."""
        return self._call(f"socket {spec}", lambda b: bool(b.socket(spec).is_listening))

    def package(self, name: str) -> str | None:
        """The installed version of a package, or None when it is not installed."""

        def read(backend: Any) -> str | None:
            pkg = backend.package(name)
            return str(pkg.version) if pkg.is_installed else None

        return self._call(f"package {name}", read)

    def disk_used_ratio(self, path: str = "/") -> float:
        """Used share (0..1) of the file system holding ``path``, as ``df`` counts it."""
        result = self._output(f"df -P -- {shlex.quote(path)}")
        rows = result.stdout.strip().splitlines()
        if not result.ok or len(rows) < 2:
            raise DeployReadyError(f"host {self.name}: df {path} failed: {result.stderr.strip()}")
        fields = rows[-1].split()
        used, available = int(fields[2]), int(fields[3])
        return round(used / (used + available), 4) if used + available else 0.0

    def memory_used_ratio(self) -> float:
        """Share (0..1) of memory in use: 1 - MemAvailable / MemTotal (Linux)."""
        result = self._output("cat /proc/meminfo")
        values = {}
        for line in result.stdout.splitlines():
            key, _, rest = line.partition(":")
            if rest.split():
                values[key] = int(rest.split()[0])
        if "MemTotal" not in values or "MemAvailable" not in values:
            raise DeployReadyError(f"host {self.name}: no MemTotal/MemAvailable in /proc/meminfo")
        return round(1 - values["MemAvailable"] / values["MemTotal"], 4)

    def config_test(self, command: str) -> CommandResult:
        """Run a configuration checker that only reads (``nginx -t``; see ``CONFIG_TESTS``).

        Example: ``result = host.config_test("nginx -t"); assert result.ok, result.stderr``
        """
        words = shlex.split(command)
        allowed = any(tuple(words[: len(prefix)]) == prefix for prefix in CONFIG_TESTS)
        if not allowed or not all(_SAFE_ARG.match(w) for w in words):
            raise ReadOnlyViolation(
                f"host {self.name}: {command!r} is not a known read-only configuration test "
                f"({', '.join(' '.join(p) for p in CONFIG_TESTS[:6])}, ...); use host.run() with "
                "allow_commands = true for anything else"
            )
        return self._output(shlex.join(words))

    def run(self, command: str) -> CommandResult:
        """Any command: only on a host configured with ``allow_commands = true``.

        The plugin cannot know whether a command changes the host, so running one is an
        explicit opt-in per host in the configuration.
        """
        if not self.allow_commands:
            raise ReadOnlyViolation(
                f"host {self.name}: running commands is off (read-only); set allow_commands = "
                "true on this host in [[targets.hosts]] to allow host.run()"
            )
        return self._output(command)

    def files(self, directory: str, pattern: str = "*") -> list[FileState]:
        """Entries of ``directory`` (not recursive) whose name matches the shell ``pattern``,
        sorted by name: the dumps of a backup directory, to check the newest and the oldest.

        A directory that does not exist or cannot be read raises; an empty one gives ``[]``.

        Example::

            dumps = host.files("/var/backups/app", "app-*.sql.gz")
            newest = max(dumps, key=lambda f: f.mtime)
        """
        result = self._output(
            f"cd -- {shlex.quote(directory)} && find . -mindepth 1 -maxdepth 1 -name "
            f"{shlex.quote(pattern)} -exec stat -c '{_STAT_FORMAT}|%n' -- {{}} + ; "
            'echo "now=$(date +%s)"'
        )
        checked, lines = _stat_lines(result.stdout)
        if not result.ok or result.stderr.strip():
            raise self._cannot("list", directory, result.stderr)
        found = []
        for line in lines:
            *fields, name = line.split("|", 6)
            path = f"{directory.rstrip('/')}/{name.removeprefix('./')}"
            found.append(_file_state(path, fields, checked))
        return sorted(found, key=lambda f: f.path)

    def env_names(self, path: str) -> list[str]:
        """The variable names an env file (``NAME=value`` lines, ``export`` allowed) sets, in
        file order; the values never leave the host (secrets stay there).

        Example: ``assert set(example) <= set(host.env_names("/srv/app/.env"))``
        """
        result = self._output(
            "sed -nE 's/^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=.*"
            f"/\\2/p' -- {shlex.quote(path)}"
        )
        if not result.ok:
            raise self._cannot("read", path, result.stderr)
        return [line.strip() for line in result.stdout.splitlines() if line.strip()]

    def gzip_ok(self, path: str) -> bool:
        """True when the file is a complete, valid gzip stream (``gzip -t``: every CRC checked).

        Example: ``assert host.gzip_ok("/var/backups/app/latest.sql.gz")``
        """
        return self._output(f"gzip -t -- {shlex.quote(path)}").ok

    def gzip_lines(self, path: str, pattern: str, *, limit: int = 1000) -> list[str]:
        """The first ``limit`` lines of a gzip file's content matching the (extended) regular
        expression: what a compressed dump contains, without copying it off the host.

        Example: ``host.gzip_lines(dump, r"^CREATE TABLE ")  # ['CREATE TABLE public.users (']``
        """
        result = self._output(
            # sed reads to the end: no early exit, so gzip never dies of a broken pipe
            f"gzip -cd -- {shlex.quote(path)} | grep -E -- {shlex.quote(pattern)} "
            f"| sed -n '1,{max(1, int(limit))}p'"
        )
        if result.stderr.strip():
            raise self._cannot("read", path, result.stderr)
        return result.stdout.splitlines()

    def _cannot(self, action: str, path: str, stderr: str) -> DeployReadyError:
        """``host web1: cannot read /srv/app/.env: Permission denied`` (stderr's last line)."""
        why = (stderr.strip().splitlines() or ["failed"])[-1]
        return DeployReadyError(f"host {self.name}: cannot {action} {path}: {why}")


def _stat_lines(stdout: str) -> tuple[dt.datetime, list[str]]:
    """The host's clock (the ``now=EPOCH`` line) and the other lines of a stat command."""
    lines = stdout.strip().splitlines()
    now_line = next((ln for ln in lines if ln.startswith("now=")), "now=")
    checked = _epoch(now_line[4:]) or dt.datetime.now(dt.UTC)
    return checked, [ln for ln in lines if not ln.startswith("now=")]


def _file_state(path: str, fields: list[str], checked: dt.datetime) -> FileState:
    """A :class:`FileState` from the fields of one line of ``stat -c`` :data:`_STAT_FORMAT`."""
    kind, mode, user, group, size, mtime = fields
    return FileState(
        path,
        exists=True,
        is_file=kind.startswith("regular"),
        is_directory=kind == "directory",
        is_symlink=kind == "symbolic link",
        mode=int(mode, 8),
        user=user,
        group=group,
        size=int(size),
        mtime=_epoch(mtime),
        checked_at=checked,
    )


def _epoch(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(text.strip()), dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
