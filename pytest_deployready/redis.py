"""Read-only checks of a Redis server: the library behind the ``redis`` fixture.

:class:`RedisTarget` wraps redis-py. It connects lazily on first use, with no retries; if that
fails, it remembers the one-line error (``cannot reach Redis at cache.internal:6379: connection
refused``) and raises it again at once on every later call, so fifty checks cost one connection
attempt (:attr:`RedisTarget.connect_attempts`). Error messages never contain the password.

Nothing it does changes the server. :meth:`RedisTarget.execute` sends a raw command only after
the server's own ``COMMAND INFO`` says the command cannot change anything (see
:meth:`RedisTarget.execute` for the exact rule); ``SET``, ``DEL``, ``FLUSHALL``, ``CONFIG SET``,
``EXPIRE``, ``EVAL`` and friends raise :class:`~pytest_deployready.errors.ReadOnlyViolation`
before anything is sent (the rule lives in ``_redisguard``).

Examples, one per helper (``redis`` is the fixture, a :class:`RedisTarget`)::

    def test_redis_checklist(redis, thresholds, evidence):
        assert redis.ping_ms() < 5                                  # one PING round trip, ms
        lat = redis.ping_latency(n=20)                              # {"min", "p50", "p95", "max"}
        thresholds.check("redis_ping_p95_ms", lat["p95"])
        assert redis.config_get("maxmemory") == str(512 * 1024**2)  # CONFIG GET, None if unknown
        assert redis.config("maxmemory*")["maxmemory-policy"] == "allkeys-lru"
        assert redis.config_get("requirepass") != ""                # secrets read as "***"
        assert redis.info("server")["redis_mode"] == "standalone"   # INFO section as a dict
        evidence.add("redis_version", redis.version)                # "7.0.15"
        thresholds.check("cache_hit_ratio", redis.hit_ratio())      # None before any lookup
        assert redis.evicted_keys() == 0                            # INFO stats evicted_keys
        assert redis.expired_keys() >= 0                            # INFO stats expired_keys
        mem = redis.memory()                                        # Memory(...)
        assert mem.maxmemory_bytes > 0 and mem.used_ratio < 0.8
        assert mem.policy == "allkeys-lru"
        per = redis.persistence()                                   # Persistence(...)
        assert per.aof_enabled and per.aof_last_write_status == "ok"
        assert per.last_rdb_save_ok
        assert redis.connected_clients() < 500                      # INFO clients
        assert redis.dbsize() > 0                                   # DBSIZE; dbsize(db=2) too
        assert redis.key_count("session:*") < 100_000               # SCAN, bounded
        assert 0 < redis.ttl("config:feature-flags") <= 3600        # -1 no expiry, -2 no key
        assert redis.get("config:maintenance") is None              # plain GET
        assert redis.role() == "master"                             # ROLE
        assert redis.execute("LLEN", "jobs:dead") == 0              # any read-only command
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, RedisError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from pytest_deployready._redact import MASK, Redactor, is_secret_name, safe_url, url_host
from pytest_deployready._redisguard import CommandSpec, as_text, command_spec, refusal
from pytest_deployready._target import Target, exception_chain
from pytest_deployready.errors import (
    AuthenticationFailed,
    DeployReadyError,
    ReadOnlyViolation,
    TargetTimeout,
    TargetUnreachable,
)
from pytest_deployready.stats import percentile

__all__ = ["Memory", "Persistence", "RedisTarget"]

DEFAULT_PORT = 6379

# Configuration parameters whose values are secrets: CONFIG GET shows them as "***".
_SECRET_PARAMETERS = frozenset(
    {"requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass"}
)

# Keys of INFO whose values stay strings even when they look like numbers ("7.2" is a version).
_INFO_STRINGS = re.compile(r"_version$|^(run_id|redis_git_sha1|redis_build_id|master_replid2?)$")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Memory:
    """Memory use and limit from ``INFO memory``.

    Example::

        mem = redis.memory()
        assert mem.maxmemory_bytes > 0, "no maxmemory: Redis can grow until the OOM killer"
        assert mem.used_ratio is not None and mem.used_ratio < 0.8
    """

    used_bytes: int
    """``used_memory``."""
    maxmemory_bytes: int
    """``maxmemory``; 0 means unlimited."""
    used_ratio: float | None
    """``used_bytes / maxmemory_bytes``; None when memory is unlimited."""
    policy: str
    """``maxmemory-policy``, e.g. ``allkeys-lru`` or ``noeviction``."""
    fragmentation_ratio: float | None
    """``mem_fragmentation_ratio`` (RSS / used); None when the server does not report it."""


@dataclass(frozen=True)
class Persistence:
    """How the server persists data, from ``INFO persistence`` and ``CONFIG GET save``.

    Example::

        per = redis.persistence()
        assert per.aof_enabled or per.rdb_enabled, "a restart would lose every key"
        assert per.last_rdb_save_ok and per.aof_last_write_status == "ok"
    """

    aof_enabled: bool
    """``appendonly yes``."""
    rdb_enabled: bool
    """The ``save`` configuration is not empty (RDB snapshots are scheduled)."""
    last_rdb_save_ok: bool
    """The last RDB save (``rdb_last_bgsave_status``) succeeded."""
    last_bgsave_status: str
    """``rdb_last_bgsave_status`` as reported: ``ok`` or ``err``."""
    aof_last_write_status: str
    """``aof_last_write_status``: ``ok`` or ``err``."""
    rdb_last_save_time: int
    """``rdb_last_save_time``: Unix time of the last successful RDB save (or of startup)."""


class RedisTarget(Target):
    """A read-only view of one Redis server, reached lazily through ``url``.

    Connecting (TCP, AUTH, first PING) has an overall deadline of ``connect_timeout``, every
    later command one of ``command_timeout`` (:mod:`pytest_deployready._deadlines`: a server
    that drips its answer a byte at a time still ends there). A command that times out fails
    that one call with :class:`~pytest_deployready.errors.TargetTimeout`, a connection lost
    after connecting with :class:`~pytest_deployready.errors.TargetUnreachable`; the next call
    connects again, and if that fails the failure is remembered like a first one. A refused
    password is :class:`~pytest_deployready.errors.AuthenticationFailed`. Commands that may
    block (``BLPOP``, ``XREAD ... BLOCK``, ``WAIT``, ``SUBSCRIBE``...) are refused.

    Example::

        target = RedisTarget("redis://:pass@cache.internal:6379/0", connect_timeout=2)
        assert target.persistence().aof_enabled
        target.execute("SET", "k", "v")  # raises ReadOnlyViolation, nothing is sent
        target.close()
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 5.0,
        command_timeout: float = 10.0,
        name: str = "Redis",
    ) -> None:
        if not connect_timeout > 0:
            raise ValueError(f"connect_timeout must be > 0, got {connect_timeout!r}")
        if not command_timeout > 0:
            raise ValueError(f"command_timeout must be > 0, got {command_timeout!r}")
        super().__init__()
        self.name = name
        self.connect_timeout = float(connect_timeout)
        self.command_timeout = float(command_timeout)
        self._url = url
        self._where = _where(url)
        self._redactor = Redactor()
        self._redactor.add_url(url)
        self._client: redis.Redis | None = None
        self._pool: redis.ConnectionPool | None = None
        self._specs: dict[str, CommandSpec | None] = {}

    # -- identity -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The target's URL without credentials: ``redis://cache.internal:6379/0``."""
        return safe_url(self._url)

    @property
    def where(self) -> str:
        """``host:port`` (or the socket path) for messages."""
        return self._where

    def __repr__(self) -> str:
        return f"RedisTarget({self.url!r}, name={self.name!r})"

    def __enter__(self) -> RedisTarget:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; a later call connects again (a remembered failure stays).

        Example::

            redis.close()
        """
        client, self._client = self._client, None
        pool, self._pool = self._pool, None
        if client is not None:
            client.close()
        if pool is not None:
            pool.disconnect()

    # -- raw commands ---------------------------------------------------------------------

    def execute(self, *args: Any) -> Any:
        """Send one raw command if the server says it cannot change anything; return the reply.

        The decision uses the server's own ``COMMAND INFO`` flags (cached per command; for
        container commands such as ``CONFIG`` the subcommand's entry). Refused, in this order:

        * commands that change the server or this connection without being flagged (``SELECT``,
          ``MULTI``/``EXEC``, ``AUTH``, ``HELLO``, ``CLIENT SETNAME``, ``MEMORY PURGE``, ...);
        * commands flagged ``write`` (``SET``, ``DEL``, ``EXPIRE``, ``FLUSHALL``, ``GETEX``...);
        * commands flagged ``admin`` (``CONFIG SET``, ``SHUTDOWN``, ``DEBUG``, ``SAVE``,
          ``CLIENT KILL``, ``ACL LIST``...), except a few that only read: ``CONFIG GET``,
          ``CLIENT LIST``/``INFO``, ``SLOWLOG GET``/``LEN``, ``LATENCY LATEST``/``HISTORY``/
          ``DOCTOR``/``GRAPH``/``HISTOGRAM``, ``MODULE LIST``;
        * commands flagged ``pubsub`` (``PUBLISH`` delivers messages, ``SUBSCRIBE`` takes over
          the connection), except ``PUBSUB CHANNELS``/``NUMSUB``/``NUMPAT``/``SHARD*``;
        * commands flagged ``may_replicate`` and scripting commands (``EVAL``, ``EVALSHA``,
          ``FCALL``, ``SCRIPT FLUSH``/``LOAD``...): a script may write — use ``EVAL_RO``/
          ``FCALL_RO``;
        * commands the server does not know.

        Commands flagged ``readonly`` (and not ``write``) are allowed, and so is the rest
        (``PING``, ``INFO``, ``TIME``, ``ROLE``, ``LASTSAVE``, ``MEMORY STATS``...). ``INFO``
        replies are parsed like :meth:`info`; secret values in ``CONFIG GET`` replies read
        ``***``. Binary values (``DUMP``) cannot be decoded and are not supported.

        Example::

            assert redis.execute("HLEN", "feature:flags") > 0
            redis.execute("FLUSHALL")  # ReadOnlyViolation: FLUSHALL is a write command (...)
        """
        if not args:
            raise ValueError("execute() needs a command, e.g. execute('LLEN', 'queue')")
        head = args[0]
        words = head.split() if isinstance(head, str) else [as_text(head)]
        if not words:
            raise ValueError("execute() needs a command, e.g. execute('LLEN', 'queue')")
        tokens: list[Any] = [*words, *args[1:]]
        name = words[0].lower()
        sub = as_text(tokens[1]).lower() if len(tokens) > 1 else None
        self._check_read_only(name, sub, tokens[1:])
        reply = self._call(*tokens)
        if name == "info":
            return _parse_info(reply)
        if name == "config" and sub == "get":
            return _mask_config(reply)
        return reply

    def _check_read_only(self, name: str, sub: str | None, args: list[Any]) -> None:
        display = name.upper()
        key = name
        spec = self._spec(name, display)
        if spec is None:
            self._refuse(f"{display} is not a command this server knows (no COMMAND INFO entry)")
        if spec.has_subcommands and sub is not None:
            key = f"{name}|{sub}"
            display = f"{display} {sub.upper()}"
            spec = self._spec(key, display)
            if spec is None:
                self._refuse(f"{display} is not a subcommand this server knows")
        # Servers before 7.0 have no subcommand entries: match "container|sub" names too.
        keys = {key} if sub is None else {key, f"{name}|{sub}"}
        reason = refusal(display, keys, spec, args)
        if reason is not None:
            self._refuse(reason)

    def _spec(self, key: str, display: str) -> CommandSpec | None:
        if key in self._specs:
            return self._specs[key]
        try:
            # "COMMAND INFO" as one word: redis-py splits it and applies no reply callback.
            reply = self._call("COMMAND INFO", key)
        except ResponseError as exc:
            self._refuse(
                f"cannot tell whether {display} is read-only: COMMAND INFO failed "
                f"({self._one_line(str(exc))})"
            )
        entry = reply[0] if reply else None
        spec = None if entry is None else command_spec(entry)
        self._specs[key] = spec
        return spec

    def _refuse(self, reason: str) -> NoReturn:
        raise ReadOnlyViolation(
            f"{self.name} at {self._where} is read-only here: {reason}; nothing was sent"
        )

    # -- helpers --------------------------------------------------------------------------

    def ping_ms(self) -> float:
        """One ``PING`` round trip in milliseconds (connecting first does not count).

        Example::

            assert redis.ping_ms() < 5
        """
        client = self._connection()
        start = time.perf_counter()
        self._call("PING", client=client)
        return (time.perf_counter() - start) * 1000.0

    def ping_latency(self, n: int = 20) -> dict[str, float]:
        """``n`` sequential pings: ``{"min", "p50", "p95", "max"}`` in milliseconds.

        Percentiles interpolate linearly between ranks (:func:`pytest_deployready.stats.percentile`,
        the definition ``api.sample`` uses too). Example::

            thresholds.check("redis_ping_p95_ms", redis.ping_latency(n=50)["p95"])
        """
        if n < 1:
            raise ValueError(f"ping_latency needs n >= 1, got {n}")
        samples = sorted(self.ping_ms() for _ in range(n))
        return {
            "min": samples[0],
            "p50": percentile(samples, 50),
            "p95": percentile(samples, 95),
            "max": samples[-1],
        }

    def config_get(self, name: str) -> str | None:
        """The value of one configuration parameter (``CONFIG GET``); None if there is none.

        Secret parameters (``requirepass``, ``masterauth``) read ``"***"`` when set, ``""`` when
        not. Example::

            assert redis.config_get("appendonly") == "yes"
            assert redis.config_get("requirepass") == "***", "no password on Redis"
        """
        return self.config(name).get(name)

    def config(self, pattern: str = "*") -> dict[str, str]:
        """Every configuration parameter matching a glob pattern (``CONFIG GET pattern``).

        Example::

            cfg = redis.config("maxmemory*")
            assert cfg["maxmemory-policy"] in {"allkeys-lru", "volatile-lru"}
        """
        reply = self._call("CONFIG", "GET", pattern)
        masked: dict[str, str] = _mask_config(reply)
        return masked

    def info(self, section: str | None = None) -> dict[str, Any]:
        """``INFO [section]`` as a flat dict; numbers are int or float, versions stay strings.

        ``keyspace`` and ``commandstats`` entries are dicts: ``info("keyspace")["db0"]["keys"]``.
        Example::

            assert redis.info("replication")["connected_slaves"] >= 1
        """
        args = ("INFO",) if section is None else ("INFO", section)
        return _parse_info(self._call(*args))

    @property
    def version(self) -> str:
        """The server version, ``redis_version`` of ``INFO server`` (e.g. ``"7.0.15"``).

        Example::

            assert tuple(map(int, redis.version.split(".")[:2])) >= (7, 0)
        """
        return str(self.info("server")["redis_version"])

    def hit_ratio(self) -> float | None:
        """``keyspace_hits / (hits + misses)`` since the last restart; None before any lookup.

        Example::

            thresholds.check("cache_hit_ratio", redis.hit_ratio())  # rule ">= 0.6"
        """
        stats = self.info("stats")
        hits = int(stats.get("keyspace_hits", 0))
        misses = int(stats.get("keyspace_misses", 0))
        if hits + misses == 0:
            return None
        return hits / (hits + misses)

    def evicted_keys(self) -> int:
        """Keys evicted because of ``maxmemory`` since the last restart (``INFO stats``).

        Example::

            assert redis.evicted_keys() == 0, "cache too small for the working set"
        """
        return int(self.info("stats").get("evicted_keys", 0))

    def expired_keys(self) -> int:
        """Keys removed because their TTL elapsed, since the last restart (``INFO stats``).

        Example::

            evidence.add("redis_expired_keys", redis.expired_keys())
        """
        return int(self.info("stats").get("expired_keys", 0))

    def memory(self) -> Memory:
        """Memory use, limit, eviction policy and fragmentation (``INFO memory``).

        Example::

            assert redis.memory().used_bytes < 512 * 1024**2
        """
        mem = self.info("memory")
        used = int(mem["used_memory"])
        maxmemory = int(mem.get("maxmemory", 0))
        frag = mem.get("mem_fragmentation_ratio")
        return Memory(
            used_bytes=used,
            maxmemory_bytes=maxmemory,
            used_ratio=used / maxmemory if maxmemory > 0 else None,
            policy=str(mem.get("maxmemory_policy", "")),
            fragmentation_ratio=float(frag) if isinstance(frag, int | float) else None,
        )

    def persistence(self) -> Persistence:
        """AOF and RDB settings and the status of the last saves.

        Example::

            assert redis.persistence().aof_enabled, "appendonly must be yes"
        """
        per = self.info("persistence")
        save = self.config_get("save") or ""
        bgsave = str(per.get("rdb_last_bgsave_status", ""))
        return Persistence(
            aof_enabled=int(per.get("aof_enabled", 0)) == 1,
            rdb_enabled=bool(save.strip()),
            last_rdb_save_ok=bgsave == "ok",
            last_bgsave_status=bgsave,
            aof_last_write_status=str(per.get("aof_last_write_status", "")),
            rdb_last_save_time=int(per.get("rdb_last_save_time", 0)),
        )

    def connected_clients(self) -> int:
        """Client connections open now, this one included (``INFO clients``).

        Example::

            assert redis.connected_clients() < 0.8 * int(redis.config_get("maxclients") or 0)
        """
        return int(self.info("clients")["connected_clients"])

    def dbsize(self, db: int | None = None) -> int:
        """Number of keys in the URL's database (``DBSIZE``), or in database ``db``.

        Another database is read from ``INFO keyspace`` (no ``SELECT``). Example::

            assert redis.dbsize() > 0, "cache is empty after warmup"
            assert redis.dbsize(db=1) == 0
        """
        if db is None:
            return int(self._call("DBSIZE"))
        entry = self.info("keyspace").get(f"db{db}")
        return int(entry["keys"]) if isinstance(entry, dict) else 0

    def key_count(self, pattern: str = "*", *, limit: int = 10_000, max_calls: int = 1_000) -> int:
        """Keys matching a glob pattern, counted with ``SCAN`` and never more than ``limit``.

        Stops as soon as ``limit`` keys matched (and returns ``limit``). Each ``SCAN`` call looks
        at about 1000 keys; if the keyspace is not covered after ``max_calls`` calls, raises
        :class:`~pytest_deployready.errors.DeployReadyError` rather than return a partial count.
        Example::

            assert redis.key_count("session:*") > 0
            assert redis.key_count("tmp:*", limit=1) == 0
        """
        if limit < 1 or max_calls < 1:
            raise ValueError("key_count needs limit >= 1 and max_calls >= 1")
        cursor: int = 0
        found = 0
        for _ in range(max_calls):
            reply = self._call("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            cursor, keys = int(reply[0]), reply[1]
            found += len(keys)
            if found >= limit:
                return limit
            if cursor == 0:
                return found
        raise DeployReadyError(
            f"key_count({pattern!r}) on {self.name} at {self._where}: keyspace not covered "
            f"after {max_calls} SCAN calls ({found} matches so far); raise max_calls or narrow "
            "the pattern"
        )

    def ttl(self, key: str) -> int:
        """Seconds until ``key`` expires (``TTL``): -1 when it never expires, -2 when missing.

        Example::

            assert 0 < redis.ttl("cache:home") <= 3600
        """
        return int(self._call("TTL", key))

    def get(self, key: str) -> str | None:
        """The string value of ``key`` (``GET``), None when it does not exist.

        Example::

            assert redis.get("config:maintenance") in (None, "off")
        """
        value = self._call("GET", key)
        return None if value is None else str(value)

    def role(self) -> str:
        """``master``, ``slave`` or ``sentinel``: the first element of ``ROLE``.

        Example::

            assert redis.role() == "master"
        """
        return str(self._call("ROLE")[0])

    # -- connection -----------------------------------------------------------------------

    def _connection(self) -> redis.Redis:
        """The client, connecting on first use; a remembered failure is raised again at once."""
        if self._client is not None:
            return self._client
        self._failures.check()
        self.connect_attempts += 1
        error: TargetUnreachable
        pool: redis.ConnectionPool | None = None
        try:
            pool = self._new_pool()
            # Connecting (TCP, AUTH, HELLO, the first PING) has one deadline of connect_timeout;
            # redis-py connects in the client's constructor, so both run under it.
            with self._deadline(self.connect_timeout, "connect").watch(abort=_disconnector(pool)):
                client = redis.Redis(connection_pool=pool, single_connection_client=True)
                client.ping()
        except TargetTimeout as exc:
            error = exc
        except (RedisError, OSError, ValueError) as exc:
            error = self._unreachable(exc, self.connect_timeout)
        else:
            # Raw INFO text, parsed by _parse_info (redis-py's parser turns "7.10" into 7.1).
            client.set_response_callback("INFO", _identity)
            self._client, self._pool = client, pool
            self._failures.forget()
            return client
        if pool is not None:
            pool.disconnect()
        raise self._failures.remember(error)

    def _new_pool(self) -> redis.ConnectionPool:
        """Connections of this target: no retries, ``command_timeout`` per reply."""
        return redis.ConnectionPool.from_url(
            self._url,
            socket_connect_timeout=self.connect_timeout,
            socket_timeout=self.command_timeout,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
        )

    @property
    def _label(self) -> str:
        return f"{self.name} at {self._where}"

    def _call(self, *args: Any, client: redis.Redis | None = None) -> Any:
        conn = client if client is not None else self._connection()
        command = as_text(args[0]).split()[0].upper() if args else "?"
        deadline = self._deadline(self.command_timeout, f"command {command}")
        try:
            with deadline.watch(abort=_disconnector(conn.connection_pool)):
                # redis-py leaves execute_command unannotated.
                return conn.execute_command(*args)  # type: ignore[no-untyped-call]
        except (TargetTimeout, RedisTimeoutError):
            # The server was reached and did not answer this command in time: that call
            # errors, the connection is dropped, nothing is remembered.
            self.close()
            raise deadline.error() from None
        except RedisConnectionError as exc:
            # Drop the connection: the next call is a new connect attempt, remembered if it fails.
            self.close()
            raise self._unreachable(exc, self.command_timeout) from None

    def _unreachable(self, exc: BaseException, timeout: float) -> TargetUnreachable:
        auth = next((e for e in exception_chain(exc) if isinstance(e, AuthenticationError)), None)
        if auth is not None:
            return AuthenticationFailed(
                f"{self.name} at {self._where}: {self._auth_why(str(auth))}"
            )
        if any(isinstance(e, RedisTimeoutError | TimeoutError) for e in exception_chain(exc)):
            return TargetTimeout(
                f"{self.name} at {self._where}: connect timed out after {timeout:g} s"
            )
        return TargetUnreachable(
            f"cannot reach {self.name} at {self._where}: {self._why(exc, timeout)}"
        )

    def _why(self, exc: BaseException, timeout: float) -> str:
        chain = list(exception_chain(exc))
        for err in chain:
            if isinstance(err, socket.gaierror):
                return f'could not resolve host "{_hostname(self._url)}"'
            if isinstance(err, ConnectionRefusedError):
                return "connection refused"
            if isinstance(err, RedisTimeoutError | TimeoutError):
                return f"timed out after {timeout:g} s"
        for err in chain:
            if isinstance(err, OSError) and err.strerror:
                return self._one_line(err.strerror.lower())
            if isinstance(err, ValueError):
                return f"invalid URL: {self._one_line(str(err))}"
        text = self._one_line(str(exc)).rstrip(".")
        return text[:1].lower() + text[1:] if text else type(exc).__name__

    def _auth_why(self, message: str) -> str:
        if "without any password configured" in message:
            return "authentication failed (the server has no password but the URL gives one)"
        if not _password(self._url) and not _username(self._url):
            return (
                "authentication failed (NOAUTH: the server requires a password, the URL has none)"
            )
        return "authentication failed (WRONGPASS: wrong user name or password)"

    def _one_line(self, text: str) -> str:
        return " ".join(self._redactor.redact(text).split())


# -- pure functions -------------------------------------------------------------------------


def _parse_info(text: Any) -> dict[str, Any]:
    """Parse the text of ``INFO``: ``key:value`` lines, ``# Section`` headers skipped."""
    if isinstance(text, dict):  # a RESP3 map or an already parsed reply
        return dict(text)
    result: dict[str, Any] = {}
    for raw in as_text(text).splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        result[key] = _info_value(key, value)
    return result


def _info_value(key: str, value: str) -> Any:
    if "=" in value and all("=" in part for part in value.split(",")):
        return {k: _scalar(k, v) for k, _, v in (part.partition("=") for part in value.split(","))}
    return _scalar(key, value)


def _scalar(key: str, value: str) -> Any:
    if _INFO_STRINGS.search(key):
        return value
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    return value


def _mask_config(reply: Any) -> dict[str, str]:
    """CONFIG GET's reply (a dict, or a flat list of pairs) with secret values as ``***``."""
    if isinstance(reply, dict):
        pairs: Iterable[tuple[Any, Any]] = reply.items()
    else:
        items = list(reply or [])
        pairs = zip(items[::2], items[1::2], strict=True)
    out: dict[str, str] = {}
    for k, v in pairs:
        name, value = as_text(k), as_text(v)
        secret = name.lower() in _SECRET_PARAMETERS or is_secret_name(name)
        out[name] = MASK if secret and value else value
    return out


def _disconnector(pool: redis.ConnectionPool) -> Callable[[], object]:
    """What the deadline's watchdog calls: shut every socket of the pool down, in use or not
    (this wakes a read blocked on it)."""
    return partial(pool.disconnect, inuse_connections=True)


def _identity(response: Any, **_options: Any) -> Any:
    return response


def _where(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    if parts.scheme == "unix":
        return parts.path or "<unix socket>"
    return url_host(url, DEFAULT_PORT)


def _hostname(url: str) -> str:
    return _url_part(url, lambda p: p.hostname) or "localhost"


def _password(url: str) -> str | None:
    return _url_part(url, lambda p: p.password)


def _username(url: str) -> str | None:
    return _url_part(url, lambda p: p.username)


def _url_part(url: str, get: Callable[[Any], str | None]) -> str | None:
    try:
        return get(urlsplit(url))
    except ValueError:
        return None
