"""5. Database"""

from __future__ import annotations

import os

import pytest

from pytest_deployready import Database, Evidence, Exposition, Host, Release, Thresholds
from pytest_deployready.host import FileState

pytestmark = pytest.mark.phase("pre")

#: The release's backup script and the log it appends "backup ok" lines to.
BACKUP_SCRIPT = "scripts/backup.sh"
BACKUP_LOG = "backup.log"

#: The release's schema head (the last of migrations 0001..0012).
EXPECTED_HEAD = "0012_optimization"
#: Indexes the hot queries need: table -> leading column of an index.
REQUIRED_INDEXES = {
    "purchase_orders": ("buyer_company_id", "seller_company_id", "product_id", "status"),
    "ai_messages": ("conversation_id", "created_at"),
    "emotion_history": ("conversation_id",),
    "ai_conversations": ("user_id",),
    "bookings": ("user_id",),
}


@pytest.mark.phase("pre", "deploy", "post")
@pytest.mark.severity("critical")
def test_alembic_migrations_applied(db: Database, evidence: Evidence) -> None:
    """All Alembic migrations applied successfully"""
    migrations = db.migrations()
    evidence.add("alembic", {"tool": migrations.tool, "current": migrations.latest})
    assert migrations.tool == "alembic", f"no alembic_version table (found: {migrations.tool})"
    assert migrations.failed == [], f"failed migrations: {migrations.failed}"
    assert migrations.latest == EXPECTED_HEAD, (
        f"alembic current is {migrations.latest!r}, expected head {EXPECTED_HEAD!r}"
    )


def test_backup_strategy(
    db: Database,
    release: Release,
    host: Host,
    backup_dir: str,
    newest_dump: FileState,
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """Database backup strategy implemented"""
    # The strategy is in the release, runs on the host, and PostgreSQL archives its WAL.
    assert release.read_text(BACKUP_SCRIPT), f"{BACKUP_SCRIPT} is not committed in the release"
    archiver = db.archiver()
    evidence.add(
        "wal_archiving",
        {
            "archive_mode": archiver.mode,
            "archived": archiver.archived_count,
            "last_archived_wal": archiver.last_archived_wal,
            "failed": archiver.failed_count,
        },
    )
    assert archiver.enabled, "archive_mode is off: no point-in-time recovery"
    assert archiver.archived_count > 0, "PostgreSQL has not archived any WAL segment yet"
    assert not archiver.failing, (
        f"WAL archiving fails: {archiver.last_failed_wal} at {archiver.last_failed_at}"
    )
    assert host.file_contains(f"{backup_dir}/{BACKUP_LOG}", "backup ok"), (
        f"{backup_dir}/{BACKUP_LOG} records no successful backup"
    )
    assert newest_dump.age_s is not None and newest_dump.size is not None
    thresholds.check("backup_age_h", newest_dump.age_s / 3600)
    thresholds.check("backup_size_bytes", newest_dump.size)


def test_connection_pooling(db: Database, exposition: Exposition, evidence: Evidence) -> None:
    """Connection pooling configured"""
    pool = int(os.environ.get("DB_POOL_SIZE", "0"))
    overflow = int(os.environ.get("DB_MAX_OVERFLOW", "0"))
    app_pool = exposition.gauge("db_pool_size")
    max_connections = db.max_connections
    evidence.add(
        "pool",
        {
            "DB_POOL_SIZE": pool,
            "DB_MAX_OVERFLOW": overflow,
            "app_gauge": app_pool,
            "max_connections": max_connections,
        },
    )
    assert pool > 0, "DB_POOL_SIZE is not set"
    assert app_pool == pool, f"the API runs a pool of {app_pool:.0f}, DB_POOL_SIZE says {pool}"
    assert pool + overflow < max_connections, (
        f"pool {pool} + overflow {overflow} reaches max_connections {max_connections}"
    )


@pytest.mark.severity("critical")
def test_indexes_verified(db: Database, evidence: Evidence) -> None:
    """Indexes verified for query performance"""
    missing = [
        f"{table}({column})"
        for table, columns in REQUIRED_INDEXES.items()
        for column in columns
        if not db.has_index(table, columns=[column])
    ]
    evidence.add(
        "indexes", {table: [ix.name for ix in db.indexes(table)] for table in REQUIRED_INDEXES}
    )
    assert missing == [], f"no valid index for: {', '.join(missing)}"


def test_foreign_keys_validated(db: Database, evidence: Evidence) -> None:
    """Foreign key constraints validated"""
    rows = db.rows(
        "SELECT conrelid::regclass::text AS tbl, conname, convalidated FROM pg_constraint"
        " WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1, 2"
    )
    evidence.add("foreign_keys", [f"{r['tbl']}.{r['conname']}" for r in rows])
    assert len(rows) >= 5, f"only {len(rows)} foreign keys in schema public"
    not_valid = [f"{r['tbl']}.{r['conname']}" for r in rows if not r["convalidated"]]
    assert not_valid == [], f"foreign keys NOT VALID: {not_valid}"
