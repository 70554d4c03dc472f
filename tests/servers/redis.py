"""Session fixtures that start a real redis server for the tests.

``redis_server`` is a ``redis-server`` on 127.0.0.1 (a free port, a temporary directory
suffixed with the xdist worker id) with a password (:data:`REDIS_PASSWORD`), ``appendonly yes``,
RDB snapshots (``save 900 1``), ``maxmemory 64mb`` and ``allkeys-lru``. It is seeded with
:data:`SEED_DB0_KEYS` keys of every type in db 0 (see :func:`seed`) and :data:`SEED_DB3_KEYS` in
db 3, then its statistics are reset and known traffic is replayed: :data:`SEED_HITS` hits, at
least :data:`SEED_MISSES` misses and :data:`SEED_EXPIRED` expired keys. After the seeding no
``SET``/``DEL``/``FLUSH*``/``EXPIRE``/``LPUSH``/``CONFIG SET`` has been counted in
``INFO commandstats``.

``redis_server_nopersist`` has no password, ``appendonly no``, ``save ""`` and no memory limit,
and has seen no traffic. ``redis_server_factory`` starts more servers (stopped at the end of the
session). Each :class:`RedisServer` has an :meth:`~RedisServer.admin` client (writes allowed: for
test setup only) and :meth:`~RedisServer.snapshot`, a digest of every key, value and TTL flag in
every database plus their sizes, to prove that something changed nothing.

Example::

    def test_untouched(redis_server: RedisServer) -> None:
        before = redis_server.snapshot()
        ...  # read-only checks
        assert redis_server.snapshot() == before
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from mirakuru import TCPExecutor

__all__ = [
    "REDIS_PASSWORD",
    "SEED_DB0_KEYS",
    "SEED_DB3_KEYS",
    "SEED_EXPIRED",
    "SEED_HITS",
    "SEED_MISSES",
    "RedisServer",
    "RedisServerFactory",
    "Snapshot",
    "redis_server",
    "redis_server_factory",
    "redis_server_nopersist",
]

REDIS_PASSWORD = "s3cr3t-redis-pass"
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0

SEED_STRINGS = 200  # user:{i}
SEED_HASHES = 50  # session:{i}
SEED_LISTS = 20  # queue:{i}
SEED_SETS = 20  # tags:{i}
SEED_ZSETS = 20  # rank:{i}
# ... plus the stream "events", "cache:home" (EX 3600) and "config:maintenance" = "off".
SEED_DB0_KEYS = SEED_STRINGS + SEED_HASHES + SEED_LISTS + SEED_SETS + SEED_ZSETS + 3
SEED_DB3_KEYS = 7  # other:{i}
SEED_HITS = 150  # GET user:0 .. user:149 after CONFIG RESETSTAT
SEED_MISSES = 50  # GET missing:{i}; the expired keys add up to SEED_EXPIRED more
SEED_EXPIRED = 5  # PSETEX tmp:{i} 1 ..., then GET until expired


@dataclass(frozen=True)
class Snapshot:
    """Digest of every key (name, DUMP of the value, has-a-TTL) in every db, and db sizes."""

    digest: str
    dbsizes: dict[int, int]


@dataclass
class RedisServer:
    """A running ``redis-server`` started by the test session.

    Example::

        RedisTarget(redis_server.url).ping_ms()
    """

    name: str
    host: str
    port: int
    password: str | None
    datadir: Path
    executor: TCPExecutor = field(repr=False)

    @property
    def url(self) -> str:
        """``redis://:password@127.0.0.1:port/0`` (no credentials without a password)."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/0"

    @property
    def logfile(self) -> Path:
        return self.datadir / "redis-server.log"

    def admin(self, db: int = 0) -> redis.Redis:
        """A plain redis-py client (decoded strings) that may write: for test setup only."""
        return redis.Redis(
            host=self.host,
            port=self.port,
            db=db,
            password=self.password,
            decode_responses=True,
            socket_timeout=10,
            socket_connect_timeout=10,
        )

    def _raw(self, db: int = 0) -> redis.Redis:
        return redis.Redis(
            host=self.host,
            port=self.port,
            db=db,
            password=self.password,
            socket_timeout=10,
            socket_connect_timeout=10,
        )

    def snapshot(self) -> Snapshot:
        """Hash every key, its DUMP and whether it has a TTL, in every database; plus DBSIZEs."""
        with self.admin() as admin:
            keyspace = admin.info("keyspace")
        dbs = sorted(int(name[2:]) for name in keyspace if name.startswith("db"))
        digest = hashlib.sha256()
        sizes: dict[int, int] = {}
        for db in dbs:
            with self._raw(db) as client:
                keys = sorted(bytes(k) for k in client.scan_iter(count=1000))
                for key in keys:
                    dump = client.dump(key)
                    ttl = int(client.pttl(key))
                    digest.update(b"%d\0%s\0" % (db, key))
                    digest.update(bytes(dump) if dump is not None else b"<gone>")
                    digest.update(b"\0ttl\0" if ttl >= 0 else b"\0persist\0")
                sizes[db] = int(client.dbsize())
        return Snapshot(digest=digest.hexdigest(), dbsizes=sizes)

    def commandstats(self) -> dict[str, int]:
        """Calls per command since the last CONFIG RESETSTAT: ``{"get": 150, "scan": 3, ...}``."""
        with self.admin() as admin:
            stats = admin.info("commandstats")
        return {
            name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in stats.items()
            if isinstance(value, dict)
        }

    def stop(self) -> None:
        if self.executor.running():
            self.executor.stop()


class RedisServerFactory:
    """Starts ``redis-server`` processes on free ports and stops them all at the end.

    Example::

        server = redis_server_factory("evicting", maxmemory="2mb", policy="allkeys-lru")
    """

    def __init__(self, executable: str, basedir: Path) -> None:
        self._executable = executable
        self._basedir = basedir
        self._servers: list[RedisServer] = []

    def __call__(
        self,
        name: str,
        *,
        password: str | None = REDIS_PASSWORD,
        appendonly: bool = True,
        save: str = "900 1",
        maxmemory: str = "64mb",
        policy: str = "allkeys-lru",
    ) -> RedisServer:
        datadir = self._basedir / name
        datadir.mkdir(parents=True, exist_ok=False)
        last_error: Exception | None = None
        for _ in range(3):  # a free port can be taken between choosing and binding it
            port = _free_port()
            command = [
                self._executable,
                "--bind",
                HOST,
                "--port",
                str(port),
                "--dir",
                str(datadir),
                "--logfile",
                str(datadir / "redis-server.log"),
                "--daemonize",
                "no",
                "--appendonly",
                "yes" if appendonly else "no",
                "--save",
                save,
                "--maxmemory",
                maxmemory,
                "--maxmemory-policy",
                policy,
                "--databases",
                "16",
            ]
            if password:
                command += ["--requirepass", password]
            executor = TCPExecutor(
                command, host=HOST, port=port, timeout=START_TIMEOUT_S, stdout=subprocess.DEVNULL
            )
            try:
                executor.start()
            except Exception as exc:
                last_error = exc
                if executor.running():
                    executor.stop()
                continue
            server = RedisServer(name, HOST, port, password, datadir, executor)
            self._servers.append(server)
            _wait_ready(server)
            return server
        log = (datadir / "redis-server.log").read_text(errors="replace")[-2000:]
        pytest.fail(f"redis-server {name!r} did not start: {last_error}\n{log}", pytrace=False)

    def stop_all(self) -> None:
        while self._servers:
            self._servers.pop().stop()


def seed(server: RedisServer) -> None:
    """Fill ``server`` with known keys of every type, reset its stats, replay known traffic."""
    with server.admin() as admin:
        pipe = admin.pipeline(transaction=False)
        for i in range(SEED_STRINGS):
            pipe.set(f"user:{i}", f"user-{i}")
        for i in range(SEED_HASHES):
            pipe.hset(f"session:{i}", mapping={"user": str(i), "csrf": f"t{i:04d}"})
        for i in range(SEED_LISTS):
            pipe.rpush(f"queue:{i}", *[f"job-{j}" for j in range(i + 1)])
        for i in range(SEED_SETS):
            pipe.sadd(f"tags:{i}", "a", "b", f"t{i}")
        for i in range(SEED_ZSETS):
            pipe.zadd(f"rank:{i}", {"alice": i, "bob": i + 1})
        pipe.xadd("events", {"type": "deploy", "version": "1.4.2"})
        pipe.set("cache:home", "<html>", ex=3600)
        pipe.set("config:maintenance", "off")
        pipe.execute()
    with server.admin(db=3) as admin3:
        for i in range(SEED_DB3_KEYS):
            admin3.set(f"other:{i}", str(i))
    with server.admin() as admin:
        admin.config_resetstat()
        for i in range(SEED_HITS):
            admin.get(f"user:{i}")
        for i in range(SEED_MISSES):
            admin.get(f"missing:{i}")
        for i in range(SEED_EXPIRED):
            admin.psetex(f"tmp:{i}", 1, "soon gone")
        deadline = time.monotonic() + 10
        while int(admin.info("stats")["expired_keys"]) < SEED_EXPIRED:
            if time.monotonic() > deadline:
                pytest.fail("seeded keys with a 1 ms TTL did not expire within 10 s")
            time.sleep(0.01)
            for i in range(SEED_EXPIRED):
                admin.get(f"tmp:{i}")  # lazy expiry, if the active cycle has not run


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_ready(server: RedisServer) -> None:
    """Wait (bounded) until the server answers PING: TCP accepts before loading ends."""
    deadline = time.monotonic() + START_TIMEOUT_S
    with server.admin() as admin:
        while True:
            try:
                if admin.ping():
                    return
            except redis.exceptions.BusyLoadingError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server {server.name!r} did not answer PING in time")
            time.sleep(0.05)


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def redis_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServerFactory]:
    """Starts extra ``redis-server`` processes; all are stopped at the end of the session.

    Example::

        def test_small(redis_server_factory: RedisServerFactory) -> None:
            server = redis_server_factory("small", maxmemory="2mb")
    """
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail(
            "redis-server not found on PATH: the Redis tests need a real server. "
            "Run `make bootstrap` (it installs the redis-server package).",
            pytrace=False,
        )
    factory = RedisServerFactory(executable, tmp_path_factory.mktemp(f"redis-{_worker_id()}"))
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def redis_server(redis_server_factory: RedisServerFactory) -> RedisServer:
    """A seeded redis-server with a password, AOF, RDB, maxmemory 64mb (see module docs).

    Example::

        def test_ping(redis_server: RedisServer) -> None:
            assert RedisTarget(redis_server.url).ping_ms() > 0
    """
    server = redis_server_factory("main")
    seed(server)
    return server


@pytest.fixture(scope="session")
def redis_server_nopersist(redis_server_factory: RedisServerFactory) -> RedisServer:
    """An empty redis-server without password, persistence or memory limit.

    Example::

        def test_no_aof(redis_server_nopersist: RedisServer) -> None:
            assert not RedisTarget(redis_server_nopersist.url).persistence().aof_enabled
    """
    return redis_server_factory(
        "nopersist", password=None, appendonly=False, save="", maxmemory="0", policy="noeviction"
    )
