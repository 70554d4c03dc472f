"""The read-only PostgreSQL layer against a real PostgreSQL 15 (see tests/servers/postgres.py)."""

from __future__ import annotations

import gc
import inspect
import re
import socket
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from pytest_deployready._sqlguard import check_read_only
from pytest_deployready.errors import AuthenticationFailed, ReadOnlyViolation, TargetUnreachable
from pytest_deployready.postgres import (
    Database,
    Index,
    Migrations,
    Plan,
    StatementTimeout,
    TableNotFound,
)
from tests.servers.postgres import APP_PASSWORD, MAIN_DB, REGISTRY_DB, PgServer

# Generous upper bound for fail-fast checks (never a timing assertion on the happy path).
FAIL_FAST_BOUND_S = 20.0


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture
def db(pg_server: PgServer) -> Iterator[Database]:
    database = Database(pg_server.url)
    yield database
    database.close()


@pytest.fixture
def registry(pg_server: PgServer) -> Iterator[Database]:
    database = Database(pg_server.registry_url)
    yield database
    database.close()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _assert_one_line(error: BaseException, *secrets: str) -> str:
    text = str(error)
    assert "\n" not in text, text
    for secret in secrets:
        assert secret not in text, text
        assert secret not in repr(error), repr(error)
    return text


# --------------------------------------------------------------------------------------------
# connection: lazy, read-only session, timeouts
# --------------------------------------------------------------------------------------------


def test_connects_lazily_and_once(pg_server: PgServer) -> None:
    db = Database(pg_server.url)
    assert db.connect_attempts == 0
    assert db.scalar("SELECT 1") == 1
    for _ in range(10):
        db.scalar("SELECT 1")
    assert db.connect_attempts == 1
    db.close()
    assert db.scalar("SELECT 2") == 2
    assert db.connect_attempts == 2
    db.close()


def test_session_is_read_only_with_statement_timeout(pg_server: PgServer) -> None:
    with Database(pg_server.url, statement_timeout=12.5) as db:
        assert db.setting("default_transaction_read_only") == "on"
        assert db.scalar("SHOW transaction_read_only") == "on"
        assert db.setting("statement_timeout") == "12500ms"
        assert db.scalar("SELECT current_user") == "app"


def test_several_statements_return_the_last_rows(db: Database) -> None:
    rows = db.rows(
        "SET LOCAL enable_seqscan = off; SELECT 1 AS x;"
        " SELECT current_setting('enable_seqscan') AS s"
    )
    assert rows == [{"s": "off"}]
    assert db.setting("enable_seqscan") == "on"


def test_unclosed_database_does_not_warn(pg_server: PgServer) -> None:
    db = Database(pg_server.url)
    assert db.scalar("SELECT 1") == 1
    del db
    gc.collect()  # filterwarnings=error turns a psycopg ResourceWarning into a failure


def test_each_query_is_rolled_back(db: Database) -> None:
    db.rows("SET statement_timeout = '1s'")
    assert db.setting("statement_timeout") == "30s"
    assert db.scalar("SELECT txid_current_if_assigned()") is None


def test_repr_and_where_hide_the_password(pg_server: PgServer, db: Database) -> None:
    assert db.where == f"127.0.0.1:{pg_server.port}"
    assert db.dbname == MAIN_DB
    assert APP_PASSWORD not in repr(db)


def test_statement_timeout_is_a_clear_error(pg_server: PgServer) -> None:
    with Database(pg_server.url, statement_timeout=0.2) as db:
        with pytest.raises(StatementTimeout) as info:
            db.scalar("SELECT pg_sleep(10)")
        text = _assert_one_line(info.value, APP_PASSWORD)
        assert "statement_timeout of 0.2 s" in text
        assert f"127.0.0.1:{pg_server.port}" in text
        assert "SELECT pg_sleep(10)" in text
        assert db.scalar("SELECT 1") == 1  # the connection is still usable
        assert db.connect_attempts == 1


def test_lost_connection_is_reported_and_reconnects(pg_server: PgServer, db: Database) -> None:
    pid = db.scalar("SELECT pg_backend_pid()")
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    with pytest.raises(TargetUnreachable, match=r"^lost connection to PostgreSQL at 127\.0\.0\.1"):
        db.scalar("SELECT 1")
    assert db.scalar("SELECT 1") == 1
    assert db.connect_attempts == 2


# --------------------------------------------------------------------------------------------
# queries and schema helpers
# --------------------------------------------------------------------------------------------


def test_rows_and_scalar(db: Database) -> None:
    rows = db.rows("SELECT id, status FROM purchase_orders WHERE id <= %s ORDER BY id", [2])
    assert rows == [{"id": 1, "status": "submitted"}, {"id": 2, "status": "approved"}]
    assert db.scalar("SELECT count(*) FROM purchase_orders WHERE status = %s", ["draft"]) == 1000
    assert db.scalar("SELECT id FROM purchase_orders WHERE id < 0") is None
    named = db.rows("SELECT %(n)s::int AS n", {"n": 7})
    assert named == [{"n": 7}]


def test_seed_checklist_index_count_query(db: Database) -> None:
    count = db.scalar(
        "SELECT count(*) FROM pg_indexes WHERE tablename = 'purchase_orders'"
        " AND indexname LIKE 'idx_po_%'"
    )
    assert count == 6  # five valid ones and the invalid idx_po_status_unique


def test_table_exists(db: Database, registry: Database) -> None:
    assert db.table_exists("purchase_orders")
    assert db.table_exists("public.alembic_version")
    assert not db.table_exists("orders")
    assert not db.table_exists("purchase_orders_pkey")  # an index is not a table
    assert not db.table_exists("purchase_orders", schema="nope")
    assert registry.table_exists("_prisma_migrations", schema="prisma")
    assert registry.table_exists("legacy.schema_migrations")


def test_columns(db: Database) -> None:
    assert db.columns("purchase_orders") == {
        "id": "bigint",
        "po_number": "text",
        "buyer_company_id": "integer",
        "seller_company_id": "integer",
        "product_id": "integer",
        "status": "text",
        "total_cents": "bigint",
        "created_at": "timestamp with time zone",
    }
    assert list(db.columns("alembic_version")) == ["version_num"]
    with pytest.raises(TableNotFound, match=r'table "public\.orders" does not exist in database'):
        db.columns("orders")


def test_indexes(db: Database) -> None:
    by_name = {ix.name: ix for ix in db.indexes("purchase_orders")}
    assert set(by_name) == {
        "purchase_orders_pkey",
        "purchase_orders_po_number_key",
        "idx_po_buyer_company",
        "idx_po_seller_company",
        "idx_po_status_created",
        "idx_po_product",
        "idx_po_number_lower",
        "idx_po_status_unique",
    }
    pkey = by_name["purchase_orders_pkey"]
    assert pkey == Index(
        name="purchase_orders_pkey",
        definition=pkey.definition,
        columns=["id"],
        unique=True,
        primary=True,
        valid=True,
    )
    assert "USING btree (id)" in pkey.definition
    composite = by_name["idx_po_status_created"]
    assert composite.columns == ["status", "created_at"]
    assert not composite.unique and not composite.primary and composite.valid
    assert by_name["idx_po_number_lower"].columns == ["lower(po_number)"]
    assert "WHERE (product_id IS NOT NULL)" in by_name["idx_po_product"].definition
    assert by_name["purchase_orders_po_number_key"].unique
    broken = by_name["idx_po_status_unique"]
    assert broken.unique and not broken.valid
    with pytest.raises(TableNotFound):
        db.indexes("orders")


def test_has_index(db: Database) -> None:
    assert db.has_index("purchase_orders", name="idx_po_buyer_company")
    assert db.has_index("purchase_orders", columns=["status", "created_at"])
    assert db.has_index("purchase_orders", columns=["status"])  # leading column
    assert db.has_index("purchase_orders", columns="buyer_company_id")
    assert not db.has_index("purchase_orders", columns=["created_at"])  # not a leading column
    assert db.has_index("purchase_orders", name="idx_po_status_created", columns=["status"])
    assert not db.has_index("purchase_orders", name="idx_po_buyer_company", columns=["status"])
    assert not db.has_index("purchase_orders", name="idx_po_status_unique")  # invalid
    assert not db.has_index("purchase_orders", name="idx_po_missing")
    with pytest.raises(ValueError, match=re.escape("name=... or columns=...")):
        db.has_index("purchase_orders")


def test_extensions(db: Database, registry: Database) -> None:
    assert db.extensions() == {"plpgsql": "1.0"}
    assert not db.extension_installed("pg_stat_statements")
    assert registry.extension_installed("pg_stat_statements")
    assert set(registry.extensions()) == {"plpgsql", "pg_stat_statements"}


def test_settings_and_versions(db: Database) -> None:
    assert db.setting("shared_preload_libraries") == "pg_stat_statements"
    assert db.server_version().startswith("15.")
    assert 150000 <= db.server_version_num < 160000
    assert db.max_connections == int(db.setting("max_connections")) > 0
    with pytest.raises(psycopg.errors.UndefinedObject):
        db.setting("no_such_setting")


def test_sizes(db: Database) -> None:
    assert db.database_size() > 1_000_000
    assert db.table_row_estimate("purchase_orders") == 5000
    assert db.table_row_estimate("public.companies") == 50
    with pytest.raises(TableNotFound):
        db.table_row_estimate("orders")


# --------------------------------------------------------------------------------------------
# migrations
# --------------------------------------------------------------------------------------------


def test_migrations_alembic(db: Database) -> None:
    m = db.migrations()
    assert m == Migrations(
        tool="alembic",
        table="public.alembic_version",
        applied=["c3d4e5f6a7b8"],
        latest="c3d4e5f6a7b8",
        failed=[],
    )
    assert "c3d4e5f6a7b8" in m


def test_migrations_flyway_with_a_failed_row(registry: Database) -> None:
    m = registry.migrations()
    assert m.tool == "flyway"
    assert m.table == "public.flyway_schema_history"
    assert m.applied == ["1", "1.1"]
    assert m.latest == "1.1"
    assert m.failed == ["2"]
    assert "2" not in m


def test_migrations_prisma_rolled_back_and_unfinished(registry: Database) -> None:
    m = registry.migrations(schema="prisma")
    assert m.tool == "prisma"
    assert m.table == "prisma._prisma_migrations"
    assert m.applied == ["20240101000000_init", "20240201000000_orders"]
    assert m.latest == "20240201000000_orders"
    assert m.failed == ["20240301000000_bad_index", "20240315000000_audit"]


def test_migrations_schema_migrations(registry: Database) -> None:
    m = registry.migrations(schema="legacy")
    assert m.tool == "schema_migrations"
    assert m.applied == [f"{n:03d}" for n in range(1, 13)]
    assert m.latest == "012" and "012" in m and not m.failed


def test_migrations_none(registry: Database) -> None:
    assert registry.migrations(schema="pg_catalog") == Migrations(tool=None, table=None)


# --------------------------------------------------------------------------------------------
# EXPLAIN
# --------------------------------------------------------------------------------------------


def test_explain_index_scan(db: Database) -> None:
    plan = db.explain("SELECT * FROM purchase_orders WHERE buyer_company_id = %s", [7])
    assert isinstance(plan, Plan)
    assert plan.uses_index()
    assert plan.uses_index("idx_po_buyer_company"), plan
    assert not plan.uses_index("idx_po_seller_company")
    assert plan.index_names == ["idx_po_buyer_company"]
    assert plan.seq_scans == []
    assert plan.total_cost > 0
    assert plan.estimated_rows > 0
    assert plan.execution_time_ms is None and not plan.analyzed
    assert "using idx_po_buyer_company" in str(plan)


def test_explain_primary_key_and_composite(db: Database) -> None:
    assert db.explain("SELECT * FROM purchase_orders WHERE id = 42").uses_index(
        "purchase_orders_pkey"
    )
    plan = db.explain(
        "SELECT id FROM purchase_orders WHERE status = 'draft' ORDER BY created_at DESC LIMIT 5"
    )
    assert plan.uses_index("idx_po_status_created"), plan
    assert plan.node_types[0] == "Limit"


def test_explain_seq_scan_and_join(db: Database) -> None:
    plan = db.explain("SELECT * FROM companies")
    assert plan.node_types == ["Seq Scan"]
    assert plan.seq_scans == ["companies"]
    assert not plan.uses_index()
    join = db.explain(
        "SELECT c.name, count(*) FROM purchase_orders p"
        " JOIN companies c ON c.id = p.buyer_company_id GROUP BY c.name"
    )
    assert set(join.seq_scans) == {"purchase_orders", "companies"}
    assert len(join.nodes) >= 3


def test_explain_analyze_runs_in_read_only_transaction(pg_server: PgServer, db: Database) -> None:
    before = pg_server.checksum()
    plan = db.explain("SELECT count(*) FROM purchase_orders WHERE status = %s", ["draft"], True)
    assert plan.analyzed
    assert plan.execution_time_ms is not None and plan.execution_time_ms >= 0
    assert plan.planning_time_ms is not None
    assert plan.root["Actual Rows"] == 1
    with pytest.raises(ReadOnlyViolation, match="cannot execute UPDATE in a read-only"):
        db.explain("SELECT touch_purchase_orders()", analyze=True)
    assert pg_server.checksum() == before


def test_explain_refuses_non_queries(db: Database) -> None:
    with pytest.raises(ReadOnlyViolation):
        db.explain("DELETE FROM purchase_orders WHERE id = 1")
    with pytest.raises(ReadOnlyViolation):
        db.explain("UPDATE purchase_orders SET status = 'x'", analyze=True)
    with pytest.raises(ValueError, match="explain"):
        db.explain("SHOW work_mem")
    with pytest.raises(ValueError, match="explain"):
        db.explain("SELECT 1; SELECT 2")
    assert db.connect_attempts == 0


# --------------------------------------------------------------------------------------------
# activity and pg_stat_statements
# --------------------------------------------------------------------------------------------


def test_connection_counts(pg_server: PgServer, db: Database) -> None:
    with Database(pg_server.url) as other:
        other.scalar("SELECT 1")  # now idle
        counts = db.connection_counts()
        assert {"active", "idle", "idle in transaction", "total"} <= set(counts)
        assert counts["active"] >= 1  # this very query
        assert counts["idle"] >= 1
        assert counts["idle in transaction"] == 0
        assert counts["total"] == sum(v for k, v in counts.items() if k != "total")
        assert counts["total"] >= 2
        everywhere = db.connection_counts(all_databases=True)
        assert everywhere["total"] >= counts["total"]
    assert counts["total"] < db.max_connections


def test_slow_statements(registry: Database) -> None:
    for _ in range(3):
        registry.scalar("SELECT count(*) FROM flyway_schema_history WHERE success")
    slow = registry.slow_statements(limit=5, like="%flyway_schema_history%")
    assert 1 <= len(slow) <= 5
    first = slow[0]
    assert set(first) == {
        "query",
        "calls",
        "total_exec_time",
        "mean_exec_time",
        "max_exec_time",
        "rows",
    }
    assert "flyway_schema_history" in first["query"]
    assert all(s["calls"] >= 1 and s["mean_exec_time"] >= 0 for s in slow)
    means = [s["mean_exec_time"] for s in slow]
    assert means == sorted(means, reverse=True)
    assert registry.slow_statements(limit=3, like="%no-such-table-anywhere%") == []


def test_slow_statements_skip_without_extension(pg_server: PgServer, db: Database) -> None:
    with pytest.raises(pytest.skip.Exception) as info:
        db.slow_statements()
    reason = str(info.value)
    assert reason.startswith(f"pg_stat_statements is not installed in database {MAIN_DB}")
    assert f"127.0.0.1:{pg_server.port}" in reason
    assert APP_PASSWORD not in reason


# --------------------------------------------------------------------------------------------
# read-only: refused on the client, refused by the server, nothing changes
# --------------------------------------------------------------------------------------------

WRITES = [
    "INSERT INTO companies VALUES (99, 'x')",
    "insert into companies (id, name) select 100, 'y'",
    "UPDATE purchase_orders SET status = 'x' WHERE id = 1",
    "DELETE FROM purchase_orders WHERE id = 1",
    "MERGE INTO companies c USING (VALUES (1)) v(id) ON c.id = v.id WHEN MATCHED THEN DELETE",
    "TRUNCATE purchase_orders",
    "CREATE TABLE t (id int)",
    "CREATE INDEX idx_new ON purchase_orders (total_cents)",
    "ALTER TABLE purchase_orders ADD COLUMN x int",
    "DROP TABLE purchase_orders",
    "DROP INDEX idx_po_buyer_company",
    "GRANT ALL ON purchase_orders TO public",
    "REVOKE SELECT ON purchase_orders FROM app",
    "COPY companies FROM STDIN",
    "VACUUM purchase_orders",
    "ANALYZE purchase_orders",
    "REINDEX TABLE purchase_orders",
    "CLUSTER purchase_orders USING purchase_orders_pkey",
    "COMMENT ON TABLE companies IS 'x'",
    "LOCK TABLE purchase_orders",
    "DO $$ BEGIN DELETE FROM companies; END $$",
    "CALL some_procedure()",
    "SET default_transaction_read_only = off",
    "SET SESSION default_transaction_read_only TO 'off'",
    "SET transaction_read_only = off",
    "SET TRANSACTION READ WRITE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "RESET ALL",
    "BEGIN READ WRITE",
    "START TRANSACTION READ WRITE",
    "COMMIT",
    "ROLLBACK",
    "SELECT 1; DELETE FROM companies",
    "SELECT 1 -- harmless?\n; DROP TABLE companies",
    "SELECT 1 /* nested /* comment */ still */; DROP TABLE companies",
    "SELECT E'\\''; DELETE FROM companies; --'",
    "SELECT $tag$ x $tag$; DELETE FROM companies",
    "WITH gone AS (DELETE FROM companies RETURNING *) SELECT count(*) FROM gone",
    "SELECT * INTO companies_copy FROM companies",
    "SELECT * FROM purchase_orders WHERE id = 1 FOR UPDATE",
    "EXPLAIN ANALYZE DELETE FROM companies",
    "EXPLAIN (ANALYZE, BUFFERS) INSERT INTO companies VALUES (98, 'z')",
    "SELECT nextval('purchase_orders_id_seq')",
    "SELECT setval('purchase_orders_id_seq', 1)",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "SELECT pg_stat_reset()",
    "SELECT pg_advisory_lock(1)",
    "(SELECT 1) UNION (SELECT 1 FROM companies FOR UPDATE)",
]


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_before_sending(pg_server: PgServer, statement: str) -> None:
    before = pg_server.checksum_db(MAIN_DB)
    db = Database(pg_server.url)
    with pytest.raises(ReadOnlyViolation) as info:
        db.rows(statement)
    text = _assert_one_line(info.value, APP_PASSWORD)
    assert text.startswith("refused ")
    assert f"PostgreSQL at 127.0.0.1:{pg_server.port} ({MAIN_DB})" in text
    assert "read-only" in text
    with pytest.raises(ReadOnlyViolation):
        db.scalar(statement)
    assert db.connect_attempts == 0  # refused before anything was sent
    assert pg_server.checksum_db(MAIN_DB) == before


def test_writes_are_refused_on_a_dead_target_without_connecting() -> None:
    db = Database(f"postgresql://app:{APP_PASSWORD}@127.0.0.1:{_closed_port()}/shop")
    with pytest.raises(ReadOnlyViolation):
        db.rows("DELETE FROM purchase_orders")
    assert db.connect_attempts == 0


def test_the_server_refuses_writes_the_guard_cannot_see(pg_server: PgServer, db: Database) -> None:
    before = pg_server.checksum()
    with pytest.raises(ReadOnlyViolation) as info:
        db.scalar("SELECT touch_purchase_orders()")  # a function that runs UPDATE
    text = _assert_one_line(info.value, APP_PASSWORD)
    assert text == (
        f"PostgreSQL at 127.0.0.1:{pg_server.port} refused a write in the read-only session: "
        "cannot execute UPDATE in a read-only transaction"
    )
    assert db.scalar("SELECT count(*) FROM companies") == 50  # still usable
    assert pg_server.checksum() == before


def test_read_only_checks_leave_the_cluster_unchanged(
    pg_server: PgServer, db: Database, registry: Database
) -> None:
    before = pg_server.checksum()
    db.rows("SELECT * FROM purchase_orders ORDER BY id LIMIT 10")
    db.indexes("purchase_orders")
    db.migrations()
    db.explain("SELECT * FROM purchase_orders WHERE status = 'draft'", analyze=True)
    db.connection_counts()
    registry.migrations(schema="prisma")
    registry.slow_statements()
    for statement in WRITES:
        with pytest.raises(ReadOnlyViolation):
            db.rows(statement)
    assert pg_server.checksum() == before


READS = [
    "SELECT 'DELETE FROM companies' AS text",
    "SELECT 1 -- DROP TABLE companies",
    "SELECT 1 /* TRUNCATE purchase_orders */",
    'SELECT 1 AS "delete", 2 AS "update"',
    "SELECT updated_at_like_name FROM (SELECT 1 AS updated_at_like_name) s",
    "SELECT $$INSERT INTO x$$",
    "SELECT E'it\\'s; DROP TABLE x'",
    "SELECT * FROM companies WHERE name = 'into'",
    "WITH recent AS (SELECT * FROM purchase_orders ORDER BY id DESC LIMIT 3) SELECT * FROM recent",
    "VALUES (1), (2)",
    "TABLE companies",
    "(SELECT 1) UNION ALL (SELECT 2)",
    "SHOW work_mem",
    "SET enable_seqscan = off",
    "SET LOCAL work_mem = '64MB'",
    "RESET work_mem",
    "EXPLAIN SELECT 1",
    "EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM companies",
    "SELECT pg_sleep(0)",
    "  select 1 ;  ",
]


@pytest.mark.parametrize("statement", READS)
def test_reads_are_allowed(db: Database, statement: str) -> None:
    check_read_only(statement)
    db.rows(statement)


# --------------------------------------------------------------------------------------------
# faults: one line, what/where/why, no password, fail fast
# --------------------------------------------------------------------------------------------


def test_closed_port() -> None:
    port = _closed_port()
    db = Database(f"postgresql://app:{APP_PASSWORD}@127.0.0.1:{port}/shop")
    with pytest.raises(TargetUnreachable) as info:
        db.scalar("SELECT 1")
    text = _assert_one_line(info.value, APP_PASSWORD)
    assert text == f"cannot reach PostgreSQL at 127.0.0.1:{port}: connection refused"


def test_wrong_password(pg_server: PgServer) -> None:
    wrong = "not-the-pass-9931"
    db = Database(pg_server.app_url(MAIN_DB, password=wrong), name="orders-db")
    with pytest.raises(AuthenticationFailed) as info:
        db.table_exists("purchase_orders")
    text = _assert_one_line(info.value, wrong, APP_PASSWORD)
    assert text == (
        f'orders-db at 127.0.0.1:{pg_server.port}: password authentication failed for user "app"'
    )
    with pytest.raises(AuthenticationFailed):  # remembered, with its kind
        db.server_version()
    assert db.connect_attempts == 1


def test_unresolvable_host() -> None:
    db = Database(f"postgresql://app:{APP_PASSWORD}@db.deployready.invalid:5432/shop")
    with pytest.raises(TargetUnreachable) as info:
        db.rows("SELECT 1")
    text = _assert_one_line(info.value, APP_PASSWORD)
    assert text == (
        "cannot reach PostgreSQL at db.deployready.invalid:5432: "
        'could not resolve host "db.deployready.invalid"'
    )


def test_missing_database(pg_server: PgServer) -> None:
    db = Database(pg_server.app_url("no_such_db"))
    with pytest.raises(TargetUnreachable) as info:
        db.server_version()
    text = _assert_one_line(info.value, APP_PASSWORD)
    assert text == (
        f"cannot reach PostgreSQL at 127.0.0.1:{pg_server.port}: "
        'database "no_such_db" does not exist'
    )


def test_default_port_in_where() -> None:
    db = Database(f"postgresql://app:{APP_PASSWORD}@db.deployready.invalid/shop")
    assert db.where == "db.deployready.invalid:5432"


def test_server_that_never_answers(silent_port: int) -> None:
    db = Database(
        f"postgresql://app:{APP_PASSWORD}@127.0.0.1:{silent_port}/shop", connect_timeout=1
    )
    started = time.monotonic()
    with pytest.raises(TargetUnreachable) as info:
        db.scalar("SELECT 1")
    assert time.monotonic() - started < FAIL_FAST_BOUND_S
    text = _assert_one_line(info.value, APP_PASSWORD)
    # libpq/psycopg never wait less than 2 s, so connect_timeout=1 means 2 s.
    assert text == f"PostgreSQL at 127.0.0.1:{silent_port}: connect timed out after 2 s"
    for _ in range(20):
        with pytest.raises(TargetUnreachable):
            db.scalar("SELECT 1")
    assert db.connect_attempts == 1
    assert time.monotonic() - started < FAIL_FAST_BOUND_S


def test_fail_fast_fifty_calls_one_attempt() -> None:
    port = _closed_port()
    db = Database(f"postgresql://app:{APP_PASSWORD}@127.0.0.1:{port}/shop")
    helpers: list[Callable[[], object]] = [
        lambda: db.scalar("SELECT 1"),
        lambda: db.table_exists("purchase_orders"),
        lambda: db.indexes("purchase_orders"),
        lambda: db.migrations(),
        lambda: db.connection_counts(),
        lambda: db.server_version_num,
    ]
    messages = set()
    for i in range(50):
        with pytest.raises(TargetUnreachable) as info:
            helpers[i % len(helpers)]()
        messages.add(str(info.value))
    assert db.connect_attempts == 1
    assert messages == {f"cannot reach PostgreSQL at 127.0.0.1:{port}: connection refused"}


# --------------------------------------------------------------------------------------------
# API hygiene
# --------------------------------------------------------------------------------------------


def test_public_helpers_document_an_example() -> None:
    import pytest_deployready.postgres as module

    assert module.__doc__ is not None
    names = [
        "scalar",
        "rows",
        "table_exists",
        "columns",
        "indexes",
        "has_index",
        "extension_installed",
        "extensions",
        "setting",
        "server_version",
        "server_version_num",
        "migrations",
        "explain",
        "connection_counts",
        "max_connections",
        "slow_statements",
        "database_size",
        "table_row_estimate",
        "close",
    ]
    for name in names:
        member = inspect.getattr_static(Database, name)
        doc = inspect.getdoc(member.fget if isinstance(member, property) else member)
        assert doc and "Example::" in doc, name
        assert re.search(rf"\b{name}\b", module.__doc__), name


def test_registry_db_name(registry: Database) -> None:
    assert registry.dbname == REGISTRY_DB
