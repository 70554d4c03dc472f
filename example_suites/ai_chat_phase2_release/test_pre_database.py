"""2. Database Readiness"""

from __future__ import annotations

import pytest

from pytest_deployready import Database, Evidence, Exposition, Thresholds
from pytest_deployready.host import FileState

from .support import env_int

pytestmark = pytest.mark.phase("pre")

#: The performance indexes the release's migrations create (the seed's "45/45": all of them).
PERFORMANCE_INDEXES = {
    "ai_conversations": ["idx_ai_conversations_user"],
    "ai_messages": ["idx_ai_messages_conversation", "idx_ai_messages_created"],
    "emotion_history": ["idx_emotion_history_conversation"],
    "bookings": ["idx_bookings_user"],
    "orders": ["idx_orders_user"],
    "payments": ["idx_payments_order"],
    "purchase_orders": [
        "idx_po_buyer_company",
        "idx_po_seller_company",
        "idx_po_product",
        "idx_po_status_created",
        "idx_po_created_at",
    ],
}
AI_CHAT_TABLES = ["ai_conversations", "ai_messages", "emotion_history"]


# seed line 21
@pytest.mark.severity("critical")
def test_indexes_deployed(db: Database, evidence: Evidence) -> None:
    """**Verify indexes deployed** (45/45 performance indexes)"""
    missing: list[str] = []
    invalid: list[str] = []
    deployed: list[str] = []
    for table, names in PERFORMANCE_INDEXES.items():
        found = {ix.name: ix for ix in db.indexes(table)}
        for name in names:
            if name not in found:
                missing.append(f"{table}.{name}")
            elif not found[name].valid:
                invalid.append(f"{table}.{name}")
            else:
                deployed.append(f"{table}.{name}")
    expected = sum(len(names) for names in PERFORMANCE_INDEXES.values())
    evidence.add("indexes_deployed", f"{len(deployed)}/{expected}")
    evidence.add("deployed", deployed)
    assert not missing, f"performance indexes missing: {', '.join(missing)}"
    assert not invalid, f"performance indexes invalid (failed CREATE INDEX): {', '.join(invalid)}"


# seed line 26
def test_index_count_expected(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """Index count query: `SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE 'idx_%'` (Expected: 14+ indexes)"""  # noqa: E501
    rows = db.rows(
        "SELECT schemaname || '.' || indexname AS name FROM pg_indexes"
        " WHERE indexname LIKE 'idx\\_%' AND schemaname NOT IN ('pg_catalog', 'information_schema')"
        " ORDER BY 1"
    )
    names = [str(r["name"]) for r in rows]
    evidence.add("idx_indexes", names)
    thresholds.check("performance_index_count", len(names))


# seed line 29
@pytest.mark.severity("critical")
def test_database_backup_completed(
    db: Database, newest_dump: FileState, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Database backup completed (timestamp: _________)"""
    # The newest dump on the host (its timestamp fills the blank) is recent and not empty,
    # and PostgreSQL's WAL archiving works (pg_stat_archiver).
    assert newest_dump.age_s is not None and newest_dump.size is not None
    thresholds.check("backup_age_h", newest_dump.age_s / 3600)
    thresholds.check("backup_size_bytes", newest_dump.size)
    archiver = db.archiver()
    evidence.add(
        "wal_archiving",
        {
            "archive_mode": archiver.mode,
            "archived": archiver.archived_count,
            "failed": archiver.failed_count,
            "last_archived_wal": archiver.last_archived_wal,
        },
    )
    assert archiver.enabled, "archive_mode is off: no point-in-time recovery"
    assert archiver.archived_count > 0, "PostgreSQL has not archived any WAL segment"
    assert not archiver.failing, (
        f"WAL archiving fails: {archiver.last_failed_wal} at {archiver.last_failed_at}"
    )


# seed line 30
@pytest.mark.severity("critical")
def test_ai_chat_tables_exist(db: Database, evidence: Evidence) -> None:
    """Tables exist: `ai_conversations`, `ai_messages`, `emotion_history`"""
    present = {table: db.table_exists(table) for table in AI_CHAT_TABLES}
    evidence.add("tables", present)
    evidence.add("row_estimates", {t: db.table_row_estimate(t) for t, ok in present.items() if ok})
    missing = [table for table, ok in present.items() if not ok]
    assert not missing, f"tables missing in {db.dbname}: {', '.join(missing)}"


# seed line 31
def test_connection_pool_configured(
    db: Database, exposition: Exposition, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Database connection pool configured (pool_size=20, max_overflow=10)"""
    pool_size = env_int("DB_POOL_SIZE")
    max_overflow = env_int("DB_MAX_OVERFLOW")
    app_pool = exposition.gauge("db_pool_size")  # what the running app actually uses
    evidence.add("DB_POOL_SIZE", pool_size)
    evidence.add("DB_MAX_OVERFLOW", max_overflow)
    evidence.add("app_db_pool_size", app_pool)
    evidence.add("max_connections", db.max_connections)
    thresholds.check("db_pool_size", pool_size)
    thresholds.check("db_max_overflow", max_overflow)
    assert app_pool == pool_size, (
        f"the running app uses a pool of {app_pool:g}, DB_POOL_SIZE says {pool_size}"
    )
    assert pool_size + max_overflow < db.max_connections, (
        f"pool_size + max_overflow = {pool_size + max_overflow} does not fit in the server's "
        f"max_connections = {db.max_connections}"
    )
