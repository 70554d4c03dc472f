"""RedisTarget against real redis-server processes on 127.0.0.1 (see tests/servers/redis.py)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import pytest_deployready.redis as redis_module
from pytest_deployready.errors import (
    AuthenticationFailed,
    DeployReadyError,
    ReadOnlyViolation,
    TargetUnreachable,
)
from pytest_deployready.redis import Memory, Persistence, RedisTarget
from tests.servers.redis import (
    REDIS_PASSWORD,
    SEED_DB0_KEYS,
    SEED_DB3_KEYS,
    SEED_EXPIRED,
    SEED_HITS,
    SEED_STRINGS,
    RedisServer,
    RedisServerFactory,
)

HOST = "127.0.0.1"
MB = 1024 * 1024


@pytest.fixture
def target(redis_server: RedisServer) -> Iterator[RedisTarget]:
    with RedisTarget(redis_server.url, connect_timeout=5, command_timeout=10) as t:
        yield t


@pytest.fixture
def nopersist(redis_server_nopersist: RedisServer) -> Iterator[RedisTarget]:
    with RedisTarget(redis_server_nopersist.url) as t:
        yield t


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    yield int(sock.getsockname()[1])
    sock.close()


def _assert_one_line_without_secrets(message: str, *secrets: str) -> None:
    assert "\n" not in message
    for secret in (REDIS_PASSWORD, *secrets):
        assert secret not in message


# -- public API -----------------------------------------------------------------------------


def test_exported_names() -> None:
    assert sorted(redis_module.__all__) == ["Memory", "Persistence", "RedisTarget"]


def test_raw_client_is_not_public(target: RedisTarget) -> None:
    public = {name for name in dir(target) if not name.startswith("_")}
    assert public == {
        "close",
        "config",
        "config_get",
        "connect_attempts",
        "connect_timeout",
        "command_timeout",
        "connected_clients",
        "dbsize",
        "evicted_keys",
        "execute",
        "expired_keys",
        "get",
        "hit_ratio",
        "info",
        "key_count",
        "memory",
        "name",
        "persistence",
        "ping_latency",
        "ping_ms",
        "role",
        "ttl",
        "url",
        "version",
        "where",
    }


def test_url_and_repr_hide_the_password(redis_server: RedisServer) -> None:
    t = RedisTarget(redis_server.url)
    assert t.url == f"redis://{HOST}:{redis_server.port}/0"
    assert t.where == f"{HOST}:{redis_server.port}"
    assert REDIS_PASSWORD not in repr(t)
    assert t.connect_attempts == 0  # lazy: nothing happened yet


@pytest.mark.parametrize(("connect", "command"), [(0, 1), (1, -1)])
def test_timeouts_must_be_positive(connect: float, command: float) -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        RedisTarget("redis://127.0.0.1:6379/0", connect_timeout=connect, command_timeout=command)


# -- helpers --------------------------------------------------------------------------------


def test_connects_once_lazily(target: RedisTarget) -> None:
    assert target.connect_attempts == 0
    target.ping_ms()
    target.info()
    target.dbsize()
    assert target.connect_attempts == 1


def test_ping_ms(target: RedisTarget) -> None:
    ms = target.ping_ms()
    assert isinstance(ms, float)
    assert ms > 0


def test_ping_latency(target: RedisTarget) -> None:
    lat = target.ping_latency(n=25)
    assert set(lat) == {"min", "p50", "p95", "max"}
    assert 0 < lat["min"] <= lat["p50"] <= lat["p95"] <= lat["max"]
    with pytest.raises(ValueError, match="n >= 1"):
        target.ping_latency(n=0)


def test_config_get(target: RedisTarget) -> None:
    assert target.config_get("maxmemory") == str(64 * MB)
    assert target.config_get("appendonly") == "yes"
    assert target.config_get("maxmemory-policy") == "allkeys-lru"
    assert target.config_get("save") == "900 1"
    assert target.config_get("no-such-parameter") is None


def test_config_pattern(target: RedisTarget) -> None:
    cfg = target.config("maxmemory*")
    assert cfg["maxmemory"] == str(64 * MB)
    assert cfg["maxmemory-policy"] == "allkeys-lru"
    assert all(name.startswith("maxmemory") for name in cfg)
    everything = target.config()
    assert len(everything) > 100
    assert all(isinstance(v, str) for v in everything.values())


def test_secret_config_values_are_masked(target: RedisTarget, nopersist: RedisTarget) -> None:
    assert target.config_get("requirepass") == "***"
    assert target.config("requirepass") == {"requirepass": "***"}
    assert target.execute("CONFIG", "GET", "requirepass") == {"requirepass": "***"}
    assert target.execute("CONFIG GET", "*pass*")["requirepass"] == "***"
    assert REDIS_PASSWORD not in repr(target.config())
    assert nopersist.config_get("requirepass") == ""  # not set: shown as empty, not masked


def test_info(target: RedisTarget) -> None:
    everything = target.info()
    assert {"redis_version", "used_memory", "keyspace_hits", "role"} <= set(everything)
    server = target.info("server")
    assert server["redis_mode"] == "standalone"
    assert isinstance(server["tcp_port"], int)
    assert "used_memory" not in server
    keyspace = target.info("keyspace")
    assert keyspace["db0"]["keys"] == SEED_DB0_KEYS
    assert keyspace["db3"] == {"keys": SEED_DB3_KEYS, "expires": 0, "avg_ttl": 0}
    assert isinstance(target.info("memory")["mem_fragmentation_ratio"], float)


def test_version_matches_the_binary(target: RedisTarget) -> None:
    out = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    match = re.search(r"v=(\S+)", out)
    assert match is not None
    assert target.version == match.group(1)
    assert isinstance(target.version, str)


def test_hit_ratio(target: RedisTarget, redis_server: RedisServer) -> None:
    target.get("user:1")  # one more hit
    ratio = target.hit_ratio()
    with redis_server.admin() as admin:
        stats = admin.info("stats")
    hits, misses = int(stats["keyspace_hits"]), int(stats["keyspace_misses"])
    assert hits >= SEED_HITS + 1
    assert ratio == pytest.approx(hits / (hits + misses))
    assert ratio is not None
    assert 0.5 < ratio < 1


def test_hit_ratio_is_none_without_lookups(nopersist: RedisTarget) -> None:
    assert nopersist.hit_ratio() is None


def test_expired_and_evicted_keys(target: RedisTarget) -> None:
    assert target.expired_keys() >= SEED_EXPIRED
    assert target.evicted_keys() == 0


def test_evicted_keys_counts_evictions(redis_server_factory: RedisServerFactory) -> None:
    server = redis_server_factory("evicting", password=None, maxmemory="3mb")
    with server.admin() as admin:
        pipe = admin.pipeline(transaction=False)
        for i in range(400):
            pipe.set(f"blob:{i}", "x" * 10_000)
        pipe.execute()
        evicted = int(admin.info("stats")["evicted_keys"])
    assert evicted > 0
    with RedisTarget(server.url) as t:
        assert t.evicted_keys() >= evicted  # a new client's buffers can evict a few more
        mem = t.memory()
        assert mem.maxmemory_bytes == 3 * MB
        assert mem.used_ratio is not None
        assert mem.used_ratio == pytest.approx(mem.used_bytes / (3 * MB))


def test_memory(target: RedisTarget, nopersist: RedisTarget) -> None:
    mem = target.memory()
    assert isinstance(mem, Memory)
    assert mem.maxmemory_bytes == 64 * MB
    assert 0 < mem.used_bytes < 64 * MB
    assert mem.used_ratio is not None
    assert 0 < mem.used_ratio < 1
    assert mem.policy == "allkeys-lru"
    assert mem.fragmentation_ratio is not None
    assert mem.fragmentation_ratio > 0
    unlimited = nopersist.memory()
    assert unlimited.maxmemory_bytes == 0
    assert unlimited.used_ratio is None
    assert unlimited.policy == "noeviction"


def test_persistence_on(target: RedisTarget) -> None:
    per = target.persistence()
    assert per == Persistence(
        aof_enabled=True,
        rdb_enabled=True,
        last_rdb_save_ok=True,
        last_bgsave_status="ok",
        aof_last_write_status="ok",
        rdb_last_save_time=per.rdb_last_save_time,
    )
    assert per.rdb_last_save_time > 1_600_000_000


def test_persistence_off(nopersist: RedisTarget) -> None:
    per = nopersist.persistence()
    assert per.aof_enabled is False
    assert per.rdb_enabled is False
    assert per.last_bgsave_status == "ok"


def test_connected_clients(target: RedisTarget, redis_server: RedisServer) -> None:
    with redis_server.admin() as admin:
        admin.ping()
        assert target.connected_clients() >= 2  # this target and the admin client


def test_dbsize(target: RedisTarget) -> None:
    assert target.dbsize() == SEED_DB0_KEYS
    assert target.dbsize(db=3) == SEED_DB3_KEYS
    assert target.dbsize(db=9) == 0


def test_key_count(target: RedisTarget) -> None:
    assert target.key_count("user:*") == SEED_STRINGS
    assert target.key_count() == SEED_DB0_KEYS
    assert target.key_count("user:*", limit=10) == 10
    assert target.key_count("nothing-here:*") == 0
    with pytest.raises(ValueError, match="limit >= 1"):
        target.key_count(limit=0)


def test_key_count_is_bounded(redis_server_factory: RedisServerFactory) -> None:
    server = redis_server_factory("many", password=None)
    with server.admin() as admin:
        pipe = admin.pipeline(transaction=False)
        for i in range(6000):
            pipe.set(f"k:{i}", "v")
        pipe.execute()
    with RedisTarget(server.url) as t:
        assert t.key_count("k:*", limit=100_000) == 6000
        with pytest.raises(DeployReadyError, match=r"not covered after 1 SCAN calls"):
            t.key_count("k:1*", max_calls=1)


def test_ttl(target: RedisTarget) -> None:
    assert 0 < target.ttl("cache:home") <= 3600  # seeded with EX 3600 at session start
    assert target.ttl("user:1") == -1
    assert target.ttl("no-such-key") == -2


def test_get(target: RedisTarget) -> None:
    assert target.get("user:7") == "user-7"
    assert target.get("config:maintenance") == "off"
    assert target.get("no-such-key") is None


def test_role(target: RedisTarget) -> None:
    assert target.role() == "master"


def test_close_then_reconnect(redis_server: RedisServer) -> None:
    t = RedisTarget(redis_server.url)
    t.ping_ms()
    t.close()
    t.close()  # idempotent
    assert t.role() == "master"
    assert t.connect_attempts == 2
    t.close()


# -- execute: reads pass, writes are refused before anything is sent ------------------------


def test_execute_reads(target: RedisTarget) -> None:
    assert target.execute("PING") is True
    assert target.execute("LLEN", "queue:4") == 5
    assert target.execute("HGET", "session:1", "user") == "1"
    assert target.execute("TYPE", "rank:1") == "zset"
    assert target.execute("EXISTS", "user:1", "user:2", "nope") == 2
    assert target.execute("EVAL_RO", "return redis.call('GET', KEYS[1])", 1, "user:3") == "user-3"
    assert target.execute("INFO", "stats")["keyspace_hits"] >= SEED_HITS
    assert target.execute("CONFIG GET", "maxmemory") == {"maxmemory": str(64 * MB)}
    assert "cmd=client|list" in target.execute("CLIENT", "LIST")
    assert target.execute("PUBSUB", "CHANNELS") == []
    assert isinstance(target.execute("SLOWLOG", "LEN"), int)


REFUSED: list[tuple[tuple[Any, ...], str]] = [
    (("SET", "user:1", "changed"), "SET is a write command (server flags: write, denyoom)"),
    (("set", "user:1", "changed"), "SET is a write command"),
    (("DEL", "user:1"), "DEL is a write command"),
    (("FLUSHALL",), "FLUSHALL is a write command"),
    (("FLUSHDB", "ASYNC"), "FLUSHDB is a write command"),
    (("CONFIG", "SET", "maxmemory", "1"), "CONFIG SET is an administrative command"),
    (("CONFIG SET", "appendonly", "no"), "CONFIG SET is an administrative command"),
    (("CONFIG", "RESETSTAT"), "CONFIG RESETSTAT is an administrative command"),
    (("EXPIRE", "user:1", "1"), "EXPIRE is a write command"),
    (("LPUSH", "queue:1", "x"), "LPUSH is a write command"),
    (("GETEX", "user:1", "EX", "1"), "GETEX is a write command"),
    (("EVAL", "return redis.call('DEL', KEYS[1])", 1, "user:1"), "use EVAL_RO"),
    (("SCRIPT", "FLUSH"), "SCRIPT FLUSH runs or manages scripts"),
    (("PUBLISH", "deploys", "hello"), "PUBLISH is a pub/sub command"),
    (("SHUTDOWN", "NOSAVE"), "SHUTDOWN is an administrative command"),
    (("DEBUG", "SLEEP", "0"), "DEBUG is an administrative command"),
    (("BGSAVE",), "BGSAVE is an administrative command"),
    (("ACL", "LIST"), "ACL LIST is an administrative command"),
    (("SELECT", "3"), "SELECT changes the server or the checker's connection"),
    (("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), "XREAD is a blocking command"),
    (("xread", "count", "1", "block", "0", "streams", "s", "$"), "XREAD is a blocking command"),
    (("BLPOP", "queue:1", "0"), "BLPOP is a blocking command"),
    (("BRPOP", "queue:1", "0"), "BRPOP is a blocking command"),
    (("BZPOPMIN", "rank:1", "0"), "BZPOPMIN is a blocking command"),
    (("BLMOVE", "a", "b", "LEFT", "RIGHT", "0"), "BLMOVE is a blocking command"),
    (("WAIT", "1", "0"), "WAIT is a blocking command"),
    (("SUBSCRIBE", "deploys"), "SUBSCRIBE is a blocking command"),
    (("PSUBSCRIBE", "deploy*"), "PSUBSCRIBE is a blocking command"),
    (("MONITOR",), "MONITOR is a blocking command"),
    (("MULTI",), "MULTI changes the server or the checker's connection"),
    (("MEMORY", "PURGE"), "MEMORY PURGE changes the server"),
    (("NOSUCHCOMMAND", "x"), "NOSUCHCOMMAND is not a command this server knows"),
    (("CONFIG", "NOSUCH"), "CONFIG NOSUCH is not a subcommand this server knows"),
]


@pytest.mark.parametrize(
    ("args", "reason"), REFUSED, ids=[" ".join(map(str, a)) for a, _ in REFUSED]
)
def test_execute_refuses(target: RedisTarget, args: tuple[Any, ...], reason: str) -> None:
    with pytest.raises(ReadOnlyViolation) as info:
        target.execute(*args)
    message = str(info.value)
    assert reason in message
    assert message.startswith(f"Redis at {target.where} is read-only here: ")
    assert message.endswith("; nothing was sent")
    _assert_one_line_without_secrets(message)


def test_refused_commands_reach_nothing(target: RedisTarget, redis_server: RedisServer) -> None:
    """Proof on the server: same keys and values, and no write command was counted."""
    before_data = redis_server.snapshot()
    before_stats = redis_server.commandstats()
    for _ in range(2):  # the second round uses the cached flags
        for args, _reason in REFUSED:
            with pytest.raises(ReadOnlyViolation):
                target.execute(*args)
    after_stats = redis_server.commandstats()
    assert redis_server.snapshot() == before_data
    assert redis_server.snapshot().dbsizes == {0: SEED_DB0_KEYS, 3: SEED_DB3_KEYS}

    # Since the fixture's CONFIG RESETSTAT, nobody ran these at all:
    never_seen = ["set", "del", "flushall", "flushdb", "config|set", "expire", "lpush"]
    never_seen += ["getex", "eval", "script|flush", "publish", "shutdown", "debug", "bgsave"]
    never_seen += ["acl|list", "multi", "memory|purge"]
    assert [name for name in never_seen if name in after_stats] == []
    assert after_stats.get("select") == before_stats.get("select")  # snapshot() selects db 3
    assert after_stats["config|resetstat"] == before_stats["config|resetstat"] == 1
    changed = {n for n in after_stats if after_stats[n] != before_stats.get(n)}
    # What did run: flag look-ups (and the connection handshake), the INFO of commandstats().
    assert "command|info" in changed
    with redis_server.admin() as admin:
        for name in changed:
            flags = admin.execute_command("COMMAND INFO", name)[0][2]
            assert "write" not in flags, name


def test_command_flags_are_cached(target: RedisTarget, redis_server: RedisServer) -> None:
    target.execute("GET", "user:1")
    before = redis_server.commandstats().get("command|info", 0)
    for _ in range(5):
        target.execute("GET", "user:1")
        with pytest.raises(ReadOnlyViolation):
            target.execute("SET", "user:1", "x")
    after = redis_server.commandstats().get("command|info", 0)
    assert after - before == 1  # only SET's flags were new


def test_execute_needs_a_command(target: RedisTarget) -> None:
    with pytest.raises(ValueError, match="needs a command"):
        target.execute()
    with pytest.raises(ValueError, match="needs a command"):
        target.execute("  ")


# -- faults: one line, what/where/why, never the password, one attempt ----------------------


def _unreachable(t: RedisTarget, call: Callable[[RedisTarget], object] | None = None) -> str:
    with pytest.raises(TargetUnreachable) as info:
        (call or (lambda x: x.ping_ms()))(t)
    assert info.value.__cause__ is None
    return str(info.value)


def test_closed_port(closed_port: int) -> None:
    t = RedisTarget(f"redis://:{REDIS_PASSWORD}@{HOST}:{closed_port}/0", connect_timeout=2)
    message = _unreachable(t)
    assert message == f"cannot reach Redis at {HOST}:{closed_port}: connection refused"
    _assert_one_line_without_secrets(message)


def test_wrong_password(redis_server: RedisServer) -> None:
    wrong = "wrong-pass-0000"
    t = RedisTarget(f"redis://:{wrong}@{HOST}:{redis_server.port}/0")
    message = _unreachable(t)
    assert message == (
        f"Redis at {HOST}:{redis_server.port}: "
        "authentication failed (WRONGPASS: wrong user name or password)"
    )
    _assert_one_line_without_secrets(message, wrong)
    with pytest.raises(AuthenticationFailed):  # remembered, with its kind
        t.ping_ms()
    assert t.connect_attempts == 1


def test_wrong_user(redis_server: RedisServer) -> None:
    t = RedisTarget(f"redis://nobody:{REDIS_PASSWORD}@{HOST}:{redis_server.port}/0")
    message = _unreachable(t)
    assert message.endswith("authentication failed (WRONGPASS: wrong user name or password)")
    _assert_one_line_without_secrets(message)


def test_missing_password(redis_server: RedisServer) -> None:
    t = RedisTarget(f"redis://{HOST}:{redis_server.port}/0")
    message = _unreachable(t)
    assert message == (
        f"Redis at {HOST}:{redis_server.port}: "
        "authentication failed (NOAUTH: the server requires a password, the URL has none)"
    )


def test_unresolvable_host() -> None:
    t = RedisTarget(f"redis://:{REDIS_PASSWORD}@no-such-host.invalid:6390/0", connect_timeout=2)
    message = _unreachable(t)
    assert message == (
        "cannot reach Redis at no-such-host.invalid:6390: "
        'could not resolve host "no-such-host.invalid"'
    )
    _assert_one_line_without_secrets(message)


def test_server_that_never_answers(silent_port: int) -> None:
    t = RedisTarget(
        f"redis://:{REDIS_PASSWORD}@{HOST}:{silent_port}/0", connect_timeout=1, command_timeout=1
    )
    start = time.monotonic()
    message = _unreachable(t)
    assert time.monotonic() - start < 20
    assert message == f"Redis at {HOST}:{silent_port}: connect timed out after 1 s"
    _assert_one_line_without_secrets(message)


def test_invalid_url() -> None:
    t = RedisTarget(f"http://:{REDIS_PASSWORD}@{HOST}:6379/0")
    message = _unreachable(t)
    assert message.startswith(f"cannot reach Redis at {HOST}:6379: invalid URL: ")
    _assert_one_line_without_secrets(message)


def test_name_appears_in_messages(closed_port: int) -> None:
    t = RedisTarget(f"redis://{HOST}:{closed_port}/0", name="Redis (sessions)")
    assert _unreachable(t).startswith(f"cannot reach Redis (sessions) at {HOST}:{closed_port}: ")


HELPERS: list[Callable[[RedisTarget], object]] = [
    lambda t: t.ping_ms(),
    lambda t: t.ping_latency(n=3),
    lambda t: t.config_get("maxmemory"),
    lambda t: t.config(),
    lambda t: t.info("stats"),
    lambda t: t.version,
    lambda t: t.hit_ratio(),
    lambda t: t.evicted_keys(),
    lambda t: t.expired_keys(),
    lambda t: t.memory(),
    lambda t: t.persistence(),
    lambda t: t.connected_clients(),
    lambda t: t.dbsize(),
    lambda t: t.dbsize(db=2),
    lambda t: t.key_count("x:*"),
    lambda t: t.ttl("k"),
    lambda t: t.get("k"),
    lambda t: t.role(),
    lambda t: t.execute("GET", "k"),
]


@pytest.mark.parametrize("where", ["closed", "silent"])
def test_fail_fast_fifty_calls_one_attempt(where: str, closed_port: int, silent_port: int) -> None:
    port = closed_port if where == "closed" else silent_port
    t = RedisTarget(
        f"redis://:{REDIS_PASSWORD}@{HOST}:{port}/0", connect_timeout=1, command_timeout=1
    )
    start = time.monotonic()
    messages = {_unreachable(t, HELPERS[i % len(HELPERS)]) for i in range(50)}
    assert time.monotonic() - start < 20
    assert t.connect_attempts == 1
    assert len(messages) == 1
    (message,) = messages
    assert message in (
        f"cannot reach Redis at {HOST}:{port}: connection refused",
        f"Redis at {HOST}:{port}: connect timed out after 1 s",
    )
    _assert_one_line_without_secrets(message)
    t.close()  # closing keeps the remembered failure
    _unreachable(t)
    assert t.connect_attempts == 1


def test_server_lost_after_connecting(redis_server_factory: RedisServerFactory) -> None:
    server = redis_server_factory("doomed")
    t = RedisTarget(server.url, connect_timeout=2, command_timeout=2)
    assert t.role() == "master"
    server.stop()
    lost = _unreachable(t)  # the open connection breaks: "connection closed by server"
    assert lost.startswith(f"cannot reach Redis at {HOST}:{server.port}: ")
    _assert_one_line_without_secrets(lost)
    assert t.connect_attempts == 1
    refused = f"cannot reach Redis at {HOST}:{server.port}: connection refused"
    assert _unreachable(t) == refused  # a new attempt, which fails and is remembered
    assert t.connect_attempts == 2
    for helper in HELPERS:
        assert _unreachable(t, helper) == refused
    assert t.connect_attempts == 2
    t.close()


def test_eventually_retries_a_remembered_failure(tmp_path: Path) -> None:
    """A target that comes up later: eventually() tries again despite the remembered failure."""
    from pytest_deployready.http import eventually

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = RedisTarget(f"redis://127.0.0.1:{port}/0", connect_timeout=1)
    with pytest.raises(TargetUnreachable):
        target.ping_ms()
    with pytest.raises(TargetUnreachable):  # remembered: no new attempt outside eventually
        target.ping_ms()
    assert target.connect_attempts == 1
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: run `make bootstrap`"
    procs: list[subprocess.Popen[bytes]] = []

    def start_later() -> None:
        procs.append(
            subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--dir", str(tmp_path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip

    timer = threading.Timer(1.0, start_later)
    timer.start()
    try:
        assert eventually(lambda: target.ping_ms() >= 0, timeout=20, interval=0.2)
        assert target.connect_attempts > 1
    finally:
        timer.join()
        target.close()
        for proc in procs:
            proc.terminate()
            proc.wait(10)
