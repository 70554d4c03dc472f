"""Database migration"""

from __future__ import annotations

import datetime as dt

import pytest

from pytest_deployready import Api, Database, Evidence, Host, Metrics, Thresholds

from ._support import OPTIMIZATION_INDEXES, backup_dumps, scrape

pytestmark = pytest.mark.phase("deploy")

#: What each migration 0001..0011 leaves behind: (migration, kind, name).
MIGRATION_OBJECTS = (
    ("0001", "table", "companies"),
    ("0001", "table", "products"),
    ("0002", "table", "purchase_orders"),
    ("0003", "table", "users"),
    ("0004", "table", "orders"),
    ("0004", "table", "payments"),
    ("0005", "table", "credit_scores"),
    ("0006", "table", "ai_conversations"),
    ("0006", "table", "ai_messages"),
    ("0007", "table", "emotion_history"),
    ("0008", "table", "bookings"),
    ("0009", "column", "purchase_orders.updated_at"),
    ("0010", "view", "v_po_daily_stats"),
    ("0011", "extension", "pg_stat_statements"),
)

#: Columns (and types) the application reads and writes.
SCHEMA = {
    "purchase_orders": {
        "buyer_company_id": "integer",
        "seller_company_id": "integer",
        "product_id": "integer",
        "status": "text",
        "quantity": "integer",
        "created_at": "timestamp with time zone",
    },
    "users": {"email": "text", "password_hash": "text"},
    "orders": {"user_id": "integer", "status": "text"},
    "payments": {"order_id": "bigint"},
    "credit_scores": {"user_id": "integer", "score": "integer"},
}


def _present(db: Database, kind: str, name: str) -> bool:
    if kind == "table":
        return db.table_exists(name)
    if kind == "column":
        table, column = name.split(".")
        return column in db.columns(table)
    if kind == "view":
        return bool(db.scalar("SELECT to_regclass(%s) IS NOT NULL", [f"public.{name}"]))
    return db.extension_installed(name)


@pytest.mark.severity("critical")
def test_backup_created_before_migration(
    host: Host, api: Api, metrics: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Backup created before migration"""
    # The deployment (migration, then restart) started the running API process: a dump taken
    # before that moment, and recently, is the backup before the migration.
    deployed_at = scrape(metrics, api).gauge("process_start_time_seconds")
    before = [d for d in backup_dumps(host) if d.mtime and d.mtime.timestamp() <= deployed_at]
    evidence.add("deployed_at", dt.datetime.fromtimestamp(deployed_at, dt.UTC).isoformat())
    evidence.add("dumps_before", [d.path for d in before])
    assert before, "no dump was taken before this deployment started"
    dump = before[-1]
    assert dump.mtime is not None and dump.size is not None, f"cannot stat {dump.path}"
    thresholds.check("backup_size_bytes", dump.size)
    thresholds.check("backup_age_h", (deployed_at - dump.mtime.timestamp()) / 3600)


@pytest.mark.severity("critical")
def test_migrations_applied_in_order(db: Database, evidence: Evidence) -> None:
    """Migrations applied in order"""
    migrations = db.migrations()
    missing = [
        f"{m} {kind} {name}" for m, kind, name in MIGRATION_OBJECTS if not _present(db, kind, name)
    ]
    evidence.add("head", migrations.latest)
    evidence.add("missing_objects", missing)
    assert not migrations.failed, f"failed migrations: {migrations.failed}"
    assert missing == [], f"objects of earlier migrations missing: {missing}"


@pytest.mark.severity("critical")
def test_migration_012_applied(db: Database, evidence: Evidence) -> None:
    """Migration 012 (optimization) applied"""
    latest = db.migrations().latest
    evidence.add("head", latest)
    assert latest is not None and latest.startswith("0012"), f"the schema is at {latest!r}"
    missing = [n for n in OPTIMIZATION_INDEXES if not db.has_index("purchase_orders", name=n)]
    assert missing == [], f"migration 012 recorded but its indexes are missing: {missing}"


@pytest.mark.severity("critical")
def test_database_schema_verified(db: Database, evidence: Evidence) -> None:
    """Database schema verified"""
    problems = []
    for table, columns in SCHEMA.items():
        actual = db.columns(table)
        for column, kind in columns.items():
            if actual.get(column) != kind:
                problems.append(f"{table}.{column}: {actual.get(column)} (expected {kind})")
    fks = db.scalar(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
        " AND connamespace = 'public'::regnamespace"
    )
    evidence.add("foreign_keys", fks)
    assert problems == [], f"schema differs: {problems}"
    assert fks, "no foreign keys in schema public"


@pytest.mark.severity("critical")
def test_indexes_created_successfully(db: Database, evidence: Evidence) -> None:
    """Indexes created successfully"""
    indexes = db.indexes("purchase_orders")
    evidence.add("indexes", {ix.name: ix.valid for ix in indexes})
    invalid = [ix.name for ix in indexes if not ix.valid]
    missing = [n for n in OPTIMIZATION_INDEXES if n not in {ix.name for ix in indexes}]
    assert invalid == [], f"indexes left invalid: {invalid}"
    assert missing == [], f"indexes not created: {missing}"


def test_monitoring_views_created(db: Database, evidence: Evidence) -> None:
    """Monitoring views created"""
    rows = db.rows("SELECT * FROM v_po_daily_stats LIMIT 3")
    evidence.add("v_po_daily_stats_sample", [{k: str(v) for k, v in r.items()} for r in rows])
    assert db.extension_installed("pg_stat_statements"), "pg_stat_statements is not installed"
