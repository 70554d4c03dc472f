"""Hangs: every network operation of every fixture ends at its overall deadline, and says so.

Servers that accept and then drip one byte per second (a driver's per-read timeout never fires)
or say nothing, as the target of each fixture (db, redis, api, metrics, compose), run end to
end through pytester with every ``[timeouts]`` key at 3 s: each check errors well within 30 s
with one line ending "timed out after 3 s", later checks on the same target fail fast, and
``eventually`` still retries. Plus the "real cause" messages against the real servers: a wrong
password is "authentication failed", a blocking Redis command is refused as blocking.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_deployready._deadlines import Deadline
from pytest_deployready.errors import TargetTimeout
from pytest_deployready.postgres import Database
from pytest_deployready.redis import RedisTarget
from tests.runner import DeployRunner
from tests.servers.docker import COMPOSE_FILE
from tests.servers.postgres import MAIN_DB, PgServer
from tests.servers.redis import RedisServer, RedisServerFactory
from tests.servers.silent import (
    DRIP_HTTP_BODY,
    DRIP_HTTP_HEADERS,
    DRIP_RESP,
    DripFactory,
    silent_server,
)

HOST = "127.0.0.1"
DEADLINE_S = 3
BOUND_S = 30.0  # generous: a hang would take DRIP_LIFETIME_S (120 s) or forever
TIMEOUTS = f"[timeouts]\nconnect_s = {DEADLINE_S}\nstatement_s = {DEADLINE_S}\n"
TIMEOUTS += f"http_s = {DEADLINE_S}\ncommand_s = {DEADLINE_S}\n"
TIMED_OUT = f"timed out after {DEADLINE_S} s"


def run_suite(
    deploy_run: DeployRunner, targets: str, suite: str
) -> tuple[pytest.RunResult, dict[str, dict[str, Any]], float]:
    """Run ``suite`` against ``targets`` with 3 s timeouts; return result, checks by name, time."""
    started = time.monotonic()
    result, record = deploy_run(
        config=f"[targets]\n{targets}\n{TIMEOUTS}",
        suite={
            "test_suite": "import pytest\nfrom pytest_deployready.http import eventually\n"
            "pytestmark = pytest.mark.phase('post')\n" + suite
        },
        timeout=150,
    )
    elapsed = time.monotonic() - started
    checks = {c["id"].split("::")[-1]: c for c in record["checks"]}
    for check in checks.values():  # a fixture that fails at setup reports "Failed: <line>"
        check["message"] = (check.get("message") or "").removeprefix("Failed: ")
    return result, checks, elapsed


def assert_timed_out(
    result: pytest.RunResult,
    checks: dict[str, dict[str, Any]],
    elapsed: float,
    message: str,
) -> None:
    """Every check errored with ``message`` (one line), no traceback, within the bound."""
    assert elapsed < BOUND_S, f"took {elapsed:.1f} s"
    assert checks, result.stdout.str()
    for name, check in checks.items():
        assert check["outcome"] == "error", (name, check)
        assert check["message"] == message, (name, check["message"])
    assert "Traceback" not in result.stdout.str()
    assert result.ret == 1


# -- api ------------------------------------------------------------------------------------

API_SUITE = """
def test_get(api):
    api.get("/")

def test_health(api):
    assert api.health("/").ok

def test_cors(api):
    assert api.cors("/", "https://app.example.com").allowed

def test_security_headers(api):
    assert api.security_headers("/").missing() == []
"""


@pytest.mark.parametrize("prefix", [DRIP_HTTP_HEADERS, DRIP_HTTP_BODY], ids=["headers", "body"])
def test_api_drip_every_helper_times_out_once(
    deploy_run: DeployRunner, drip_port: DripFactory, prefix: bytes
) -> None:
    port = drip_port(prefix)
    result, checks, elapsed = run_suite(
        deploy_run, f'api_base_url = "http://{HOST}:{port}"', API_SUITE
    )
    # The first check waits for the deadline; the others fail fast with the remembered line.
    assert_timed_out(result, checks, elapsed, f"API at {HOST}:{port}: GET / {TIMED_OUT}")
    assert elapsed < BOUND_S


def test_api_sample_drip(deploy_run: DeployRunner, drip_port: DripFactory) -> None:
    port = drip_port(DRIP_HTTP_HEADERS)
    suite = """
def test_sample(api):
    api.sample("GET", "/orders", n=20, concurrency=4)
"""
    result, checks, elapsed = run_suite(deploy_run, f'api_base_url = "http://{HOST}:{port}"', suite)
    assert_timed_out(result, checks, elapsed, f"API at {HOST}:{port}: GET /orders {TIMED_OUT}")


def test_api_silent(deploy_run: DeployRunner) -> None:
    with silent_server() as silent:
        result, checks, elapsed = run_suite(
            deploy_run, f'api_base_url = "http://{HOST}:{silent.port}"', API_SUITE
        )
    assert_timed_out(result, checks, elapsed, f"API at {HOST}:{silent.port}: GET / {TIMED_OUT}")


def test_eventually_still_retries_each_attempt_bounded(
    deploy_run: DeployRunner, drip_port: DripFactory
) -> None:
    port = drip_port(DRIP_HTTP_HEADERS)
    suite = """
def test_comes_up(api):
    eventually(lambda: api.health("/").ok, timeout=5, interval=0.5, message="API up")
"""
    _, checks, elapsed = run_suite(deploy_run, f'api_base_url = "http://{HOST}:{port}"', suite)
    assert elapsed < BOUND_S
    message = checks["test_comes_up"]["message"]
    assert checks["test_comes_up"]["outcome"] == "error"
    assert message.startswith(f"API at {HOST}:{port}: GET / {TIMED_OUT} (API up: not satisfied")
    attempts = int(message.rsplit("(", 1)[1].split()[0])
    assert attempts >= 2  # retried although the first attempt's failure is remembered


# -- metrics --------------------------------------------------------------------------------


def test_metrics_scrape_and_query_drip(deploy_run: DeployRunner, drip_port: DripFactory) -> None:
    scrape_port = drip_port(DRIP_HTTP_BODY)
    prom_port = drip_port(DRIP_HTTP_HEADERS)
    suite = f"""
def test_scrape(metrics):
    metrics.scrape("http://{HOST}:{scrape_port}/metrics")

def test_query(metrics):
    metrics.query_value("sum(up)")
"""
    result, checks, elapsed = run_suite(
        deploy_run, f'prometheus_url = "http://{HOST}:{prom_port}"', suite
    )
    assert elapsed < BOUND_S
    assert checks["test_scrape"]["outcome"] == "error"
    assert checks["test_scrape"]["message"] == (
        f"metrics endpoint at {HOST}:{scrape_port}: GET /metrics {TIMED_OUT}"
    )
    assert checks["test_query"]["outcome"] == "error"
    assert checks["test_query"]["message"] == (
        f"Prometheus at {HOST}:{prom_port}: GET /api/v1/query {TIMED_OUT}"
    )
    assert result.ret == 1


# -- redis ----------------------------------------------------------------------------------

REDIS_SUITE = """
def test_ping(redis):
    redis.ping_ms()

def test_memory(redis):
    redis.memory()
"""


@pytest.mark.parametrize("kind", ["silent", "drip"])
def test_redis_hang(deploy_run: DeployRunner, drip_port: DripFactory, kind: str) -> None:
    with silent_server() as silent:
        port = silent.port if kind == "silent" else drip_port(DRIP_RESP)
        result, checks, elapsed = run_suite(
            deploy_run, f'redis_url = "redis://:pw@{HOST}:{port}/0"', REDIS_SUITE
        )
    assert_timed_out(result, checks, elapsed, f"Redis at {HOST}:{port}: connect {TIMED_OUT}")


@pytest.fixture
def own_redis(redis_server_factory: RedisServerFactory) -> RedisServer:
    """A Redis server of this test alone (it gets stopped with SIGSTOP)."""
    return redis_server_factory(f"hang-{uuid.uuid4().hex[:8]}", appendonly=False, save="")


def test_redis_command_times_out_after_connecting(own_redis: RedisServer) -> None:
    target = RedisTarget(own_redis.url, connect_timeout=DEADLINE_S, command_timeout=DEADLINE_S)
    target.ping_ms()
    pid = own_redis.executor.process.pid  # type: ignore[union-attr]
    with stopped(pid):
        started = time.monotonic()
        with pytest.raises(TargetTimeout) as info:
            target.info("server")
        assert time.monotonic() - started < BOUND_S
    assert str(info.value) == f"Redis at {HOST}:{own_redis.port}: command INFO {TIMED_OUT}"
    # Not remembered: the server answers again, so does the target.
    assert target.ping_ms() >= 0
    assert target.connect_attempts == 2
    target.close()


BLOCKING = [
    ("XREAD", "BLOCK", "0", "STREAMS", "events", "$"),
    ("BLPOP", "queue:0", "0"),
    ("BRPOP", "queue:0", "0"),
    ("BZPOPMIN", "rank:0", "0"),
    ("BRPOPLPUSH", "queue:0", "queue:1", "0"),
    ("WAIT", "1", "0"),
    ("SUBSCRIBE", "deploys"),
    ("PSUBSCRIBE", "deploy*"),
    ("MONITOR",),
]


def test_redis_blocking_commands_refused_through_the_fixture(
    deploy_run: DeployRunner, redis_server: RedisServer
) -> None:
    suite = f"""
import pytest
from pytest_deployready.errors import ReadOnlyViolation

@pytest.mark.parametrize("args", {BLOCKING!r})
def test_blocking(redis, args):
    with pytest.raises(ReadOnlyViolation, match=args[0] + " is a blocking command"):
        redis.execute(*args)

def test_xread_without_block_is_a_read(redis):
    redis.execute("XREAD", "COUNT", "1", "STREAMS", "events", "0")
"""
    started = time.monotonic()
    result, checks, _ = run_suite(deploy_run, f'redis_url = "{redis_server.url}"', suite)
    assert time.monotonic() - started < BOUND_S
    assert {c["outcome"] for c in checks.values()} == {"passed"}, result.stdout.str()
    assert len(checks) == len(BLOCKING) + 1


def test_redis_wrong_password_is_authentication_failed(
    deploy_run: DeployRunner, redis_server: RedisServer
) -> None:
    url = f"redis://:wrong-pass-4411@{HOST}:{redis_server.port}/0"
    result, checks, _ = run_suite(deploy_run, f'redis_url = "{url}"', REDIS_SUITE)
    for check in checks.values():
        assert check["outcome"] == "error"
        assert check["message"] == (
            f"Redis at {HOST}:{redis_server.port}: "
            "authentication failed (WRONGPASS: wrong user name or password)"
        )
    assert "wrong-pass-4411" not in result.stdout.str()
    assert "cannot reach" not in result.stdout.str()


# -- postgres -------------------------------------------------------------------------------

DB_SUITE = """
def test_version(db):
    db.server_version()

def test_tables(db):
    db.table_exists("purchase_orders")
"""


def test_postgres_silent(deploy_run: DeployRunner) -> None:
    with silent_server() as silent:
        result, checks, elapsed = run_suite(
            deploy_run, f'database_url = "postgresql://app:pw@{HOST}:{silent.port}/shop"', DB_SUITE
        )
    assert_timed_out(
        result, checks, elapsed, f"PostgreSQL at {HOST}:{silent.port}: connect {TIMED_OUT}"
    )


def test_postgres_query_times_out_after_connecting(pg_server: PgServer) -> None:
    db = Database(pg_server.url, connect_timeout=1, statement_timeout=1)
    pid = int(db.scalar("SELECT pg_backend_pid()"))
    try:
        with stopped(pid):
            started = time.monotonic()
            with pytest.raises(TargetTimeout) as info:
                db.scalar("SELECT 1")
            assert time.monotonic() - started < BOUND_S
        assert str(info.value) == (
            f"PostgreSQL at {HOST}:{pg_server.port} ({MAIN_DB}): query timed out after 2 s "
            "(SELECT 1)"
        )
        assert db.scalar("SELECT 1") == 1  # not remembered: a new connection works
    finally:
        db.close()


def test_postgres_wrong_password_is_authentication_failed(
    deploy_run: DeployRunner, pg_server: PgServer
) -> None:
    url = pg_server.app_url(MAIN_DB, password="wrong-pass-7731")
    result, checks, _ = run_suite(deploy_run, f'database_url = "{url}"', DB_SUITE)
    for check in checks.values():
        assert check["outcome"] == "error"
        assert check["message"] == (
            f'PostgreSQL at {HOST}:{pg_server.port}: password authentication failed for user "app"'
        )
    assert "wrong-pass-7731" not in result.stdout.str()
    assert "cannot reach" not in result.stdout.str()


# -- compose --------------------------------------------------------------------------------

COMPOSE_SUITE = """
def test_healthy(compose):
    assert compose.unhealthy() == []

def test_logs(compose):
    compose.logs("web")
"""


@pytest.mark.parametrize("kind", ["silent-tcp", "drip-tcp", "silent-unix"])
def test_compose_engine_hang(
    deploy_run: DeployRunner,
    drip_port: DripFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    kind: str,
) -> None:
    with silent_server() as silent:
        if kind == "silent-tcp":
            host = f"tcp://{HOST}:{silent.port}"
        elif kind == "drip-tcp":
            host = f"tcp://{HOST}:{drip_port(DRIP_HTTP_HEADERS)}"
        else:
            path = str(tmp_path_factory.mktemp("sock") / "docker.sock")
            host = f"unix://{path}"
        ctx = _unix_silent(path) if kind == "silent-unix" else _nothing()
        with ctx:
            monkeypatch.setenv("DOCKER_HOST", host)
            result, checks, elapsed = run_suite(
                deploy_run, f'compose_file = "{COMPOSE_FILE}"', COMPOSE_SUITE
            )
    assert_timed_out(result, checks, elapsed, f"Docker engine at {host}: connect {TIMED_OUT}")


# -- the mechanism --------------------------------------------------------------------------


def test_deadline_watch_aborts_a_blocked_call() -> None:
    aborted: list[float] = []
    deadline = Deadline(0.2, "thing at here", "waiting")
    started = time.monotonic()
    with (
        pytest.raises(TargetTimeout, match=r"^thing at here: waiting timed out after 0\.2 s$"),
        deadline.watch(abort=lambda: aborted.append(time.monotonic())),
    ):
        while not aborted and time.monotonic() - started < BOUND_S:
            time.sleep(0.01)
    assert aborted


def test_deadline_call_returns_or_times_out() -> None:
    assert Deadline(5, "t", "op").call(lambda: 42) == 42
    with pytest.raises(TargetTimeout, match=r"^t: op timed out after 0\.2 s$"):
        Deadline(0.2, "t", "op").call(lambda: time.sleep(2))
    with pytest.raises(ZeroDivisionError):
        Deadline(5, "t", "op").call(lambda: 1 / 0)


# -- helpers --------------------------------------------------------------------------------


@contextlib.contextmanager
def stopped(pid: int) -> Iterator[None]:
    """SIGSTOP a server process for the block (it is resumed whatever happens)."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextlib.contextmanager
def _unix_silent(path: str) -> Iterator[None]:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)  # accepted by the kernel (backlog) and never answered
    try:
        yield
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
