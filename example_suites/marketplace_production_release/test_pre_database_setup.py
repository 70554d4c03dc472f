"""Database setup"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from pytest_deployready import Api, Database, Evidence, Host, Metrics, Release, Thresholds

from ._support import (
    BACKUP_LOG_OK,
    BACKUP_SCRIPT,
    OPTIMIZATION_INDEXES,
    host_path,
    missing_in_release,
    newest_dump,
    scrape,
)

pytestmark = pytest.mark.phase("pre")

#: Tables of the application that the role must read and write.
APP_TABLES = (
    "companies",
    "products",
    "purchase_orders",
    "users",
    "orders",
    "payments",
    "credit_scores",
)


@pytest.mark.severity("critical")
def test_postgresql_14_running(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """PostgreSQL 14+ installed and running"""
    evidence.add("server_version", db.server_version())
    thresholds.check("postgres_major_version", db.server_version_num // 10000)


@pytest.mark.severity("critical")
def test_database_created(db: Database, evidence: Evidence) -> None:
    """Database created: `khaacho`"""
    wanted = urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    current = str(db.scalar("SELECT current_database()"))
    evidence.add("database", current)
    assert wanted, "DATABASE_URL names no database"
    assert current == wanted, f"connected to {current!r}, DATABASE_URL names {wanted!r}"


@pytest.mark.severity("critical")
def test_database_user_permissions(db: Database, evidence: Evidence) -> None:
    """Database user created with proper permissions"""
    role = db.rows(
        "SELECT current_user AS name, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles"
        " WHERE rolname = current_user"
    )[0]
    evidence.add("role", {k: role[k] for k in ("name", "rolsuper", "rolcreaterole")})
    lacking = [
        table
        for table in APP_TABLES
        if not db.scalar(
            "SELECT has_table_privilege(current_user, %s, 'SELECT,INSERT,UPDATE,DELETE')",
            [f"public.{table}"],
        )
    ]
    assert lacking == [], f"the application role cannot read/write {lacking}"
    assert not role["rolsuper"], "the application connects as a superuser"
    assert not role["rolcreaterole"], "the application role can create roles"


@pytest.mark.severity("critical")
def test_all_migrations_applied(db: Database, evidence: Evidence) -> None:
    """All migrations applied (001-012)"""
    migrations = db.migrations()
    evidence.add("tool", migrations.tool)
    evidence.add("latest", migrations.latest)
    assert not migrations.failed, f"failed migrations: {migrations.failed}"
    assert migrations.latest is not None and migrations.latest.startswith("0012"), (
        f"the schema is at {migrations.latest!r}, not at migration 012"
    )


@pytest.mark.severity("critical")
def test_optimization_migration_applied(db: Database, evidence: Evidence) -> None:
    """Production optimization migration applied (012)"""
    present = {ix.name for ix in db.indexes("purchase_orders")}
    evidence.add("purchase_orders_indexes", sorted(present))
    assert str(db.migrations().latest).startswith("0012"), "migration 012 is not recorded"
    missing = [name for name in OPTIMIZATION_INDEXES if name not in present]
    assert missing == [], f"indexes of migration 012 missing: {missing}"


@pytest.mark.severity("critical")
def test_database_indexes_verified(db: Database, evidence: Evidence) -> None:
    """Database indexes verified"""
    indexes = db.indexes("purchase_orders")
    evidence.add("indexes", [ix.definition for ix in indexes])
    invalid = [ix.name for ix in indexes if not ix.valid]
    missing = [n for n in OPTIMIZATION_INDEXES if not db.has_index("purchase_orders", name=n)]
    assert invalid == [], f"invalid indexes (failed CREATE INDEX CONCURRENTLY?): {invalid}"
    assert missing == [], f"missing indexes: {missing}"


def test_connection_pooling_configured(
    api: Api, metrics: Metrics, db: Database, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Connection pooling configured"""
    pool = scrape(metrics, api).gauge("db_pool_size")
    evidence.add("db_pool_size", pool)
    evidence.add("max_connections", db.max_connections)
    assert os.environ.get("DB_POOL_SIZE"), "DB_POOL_SIZE is not set"
    assert pool == float(os.environ["DB_POOL_SIZE"]), "the running pool differs from DB_POOL_SIZE"
    assert pool < db.max_connections, "the pool does not fit max_connections"
    thresholds.check("db_pool_connections", pool)


@pytest.mark.severity("critical")
def test_backup_script_tested(release: Release, host: Host, evidence: Evidence) -> None:
    """Backup script tested"""
    assert missing_in_release(release, [BACKUP_SCRIPT]) == [], (
        f"{release.describe()} has no {BACKUP_SCRIPT}"
    )
    log = host_path("BACKUP_DIR", "backup.log")
    assert host.file_contains(log, BACKUP_LOG_OK), f"{log} records no successful run"
    dump = newest_dump(host)
    evidence.add("newest_dump", {"path": dump.path, "size": dump.size})
    assert dump.size, f"the script's newest dump {dump.path} is empty"
    assert host.gzip_ok(dump.path), f"{dump.path} is not a valid gzip file (truncated or corrupt)"
