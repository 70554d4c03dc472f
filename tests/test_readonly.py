"""Read-only, proven: a suite that exercises every fixture helper against seeded PostgreSQL,
Redis and a running compose project changes nothing, and every write attempt is refused."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest

from tests.servers.docker import ComposeProject
from tests.servers.postgres import PgServer
from tests.servers.redis import RedisServer

SUITE = """
import pytest
from pytest_deployready import ReadOnlyViolation

pytestmark = pytest.mark.phase("pre")


def test_db_helpers(db, evidence):
    evidence.add("version", db.server_version())
    assert db.table_exists("purchase_orders")
    assert db.indexes("purchase_orders")
    assert db.columns("purchase_orders")
    assert db.has_index("purchase_orders", columns=["id"]) in (True, False)
    db.extensions()
    db.extension_installed("plpgsql")
    assert db.setting("default_transaction_read_only") == "on"
    db.migrations()
    db.explain("SELECT * FROM purchase_orders WHERE id = 1").uses_index()
    db.explain("SELECT count(*) FROM purchase_orders", analyze=True)
    assert db.connection_counts()["total"] >= 1
    db.database_size()
    db.table_row_estimate("purchase_orders")
    assert db.scalar("SELECT 1") == 1
    assert db.rows("SELECT 1 AS one") == [{"one": 1}]
    db.max_connections


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO purchase_orders DEFAULT VALUES",
        "UPDATE purchase_orders SET id = id",
        "DELETE FROM purchase_orders",
        "TRUNCATE purchase_orders",
        "DROP TABLE purchase_orders",
        "CREATE TABLE intruder (a int)",
        "ALTER TABLE purchase_orders ADD COLUMN x int",
        "SET default_transaction_read_only = off",
        "WITH d AS (DELETE FROM purchase_orders RETURNING 1) SELECT * FROM d",
        "SELECT setval('purchase_orders_id_seq', 1)",
    ],
)
def test_db_refuses_writes(db, sql):
    with pytest.raises(ReadOnlyViolation):
        db.rows(sql)


def test_redis_helpers(redis):
    assert redis.ping_ms() >= 0
    redis.ping_latency(n=5)
    redis.config_get("maxmemory")
    redis.config("max*")
    redis.info()
    redis.info("memory")
    redis.version
    redis.hit_ratio()
    redis.evicted_keys()
    redis.expired_keys()
    redis.memory()
    redis.persistence()
    redis.connected_clients()
    assert redis.dbsize() > 0
    redis.key_count("*")
    redis.role()
    redis.execute("PING")


@pytest.mark.parametrize(
    "command",
    [
        ("SET", "k", "v"),
        ("DEL", "k"),
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("EXPIRE", "k", "1"),
        ("LPUSH", "l", "x"),
        ("CONFIG", "SET", "maxmemory", "1"),
        ("SELECT", "1"),
        ("EVAL", "return redis.call('FLUSHALL')", "0"),
        ("SHUTDOWN",),
    ],
)
def test_redis_refuses_writes(redis, command):
    with pytest.raises(ReadOnlyViolation):
        redis.execute(*command)


def test_compose_helpers(compose):
    services = compose.services()
    assert services
    compose.missing()
    compose.unhealthy()
    states = compose.states()
    for name in services:
        compose.service(name)
        if states[name].containers:
            compose.logs(name, tail=5)
            compose.log_errors(name)
    running = [n for n, s in states.items() if s.state == "running"]
    assert compose.exec(running[0], ["echo", "read-only"]).exit_code == 0
    compose.engine_version()


def test_compose_has_no_way_to_change_the_stack(compose):
    for verb in ("up", "down", "start", "stop", "restart", "kill", "remove", "rm", "pull"):
        assert not hasattr(compose, verb), verb
"""


def containers(client: docker.DockerClient, project: str) -> list[tuple[str, str, int, str]]:
    found = client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={project}"}
    )
    rows = []
    for c in found:
        c.reload()
        rows.append(
            (str(c.id), c.status, int(c.attrs["RestartCount"]), str(c.attrs["State"]["StartedAt"]))
        )
    return sorted(rows)


def test_every_helper_changes_nothing(
    pytester: pytest.Pytester,
    pg_server: PgServer,
    redis_server: RedisServer,
    compose_project: ComposeProject,
    docker_engine: docker.DockerClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEPLOYREADY_WEB_PORT", str(compose_project.web_port))
    monkeypatch.setenv("DOCKER_HOST", compose_project.docker_host)
    pytester.makefile(
        ".toml",
        deployready=(
            "[targets]\n"
            f"database_url = {json.dumps(pg_server.url)}\n"
            f"redis_url = {json.dumps(redis_server.url)}\n"
            f"compose_file = {json.dumps(str(compose_project.file))}\n"
            f"compose_project = {json.dumps(compose_project.name)}\n"
        ),
    )
    pytester.makepyfile(test_readonly_suite=SUITE)
    before = (
        pg_server.checksum(),
        redis_server.snapshot(),
        containers(docker_engine, compose_project.name),
    )
    result = pytester.runpytest("--deploy-record=rec.json")
    after = (
        pg_server.checksum(),
        redis_server.snapshot(),
        containers(docker_engine, compose_project.name),
    )
    result.assert_outcomes(passed=24)
    record = json.loads(Path(pytester.path, "rec.json").read_text())
    assert record["verdict"] == "GO"
    assert before[0] == after[0], "PostgreSQL changed"
    assert before[1] == after[1], "Redis changed (keys, values, TTLs or DBSIZE)"
    assert before[2] == after[2], "containers changed (ids, states, restarts, start times)"
