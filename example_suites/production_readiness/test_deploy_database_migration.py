"""Step 3: database migration"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from pytest_deployready import Database, Evidence, Host, Thresholds
from pytest_deployready.host import FileState

pytestmark = pytest.mark.phase("deploy")

#: What migrations 0001..0012 create: tables, the monitoring view and the extension.
SCHEMA = (
    "companies",
    "products",
    "purchase_orders",
    "users",
    "orders",
    "payments",
    "credit_scores",
    "ai_conversations",
    "ai_messages",
    "emotion_history",
    "bookings",
    "v_po_daily_stats",
)


@pytest.mark.severity("critical")
def test_database_backed_up_first(
    host: Host, backup_dir: str, newest_dump: FileState, thresholds: Thresholds
) -> None:
    """Backup production database first! (pg_dump ... > backup_<timestamp>.sql)"""
    # The newest dump on the host is recent, not empty, and its run completed (backup.sh
    # logs "backup ok <file>" only after pg_dump and gzip succeeded).
    name = PurePosixPath(newest_dump.path).name
    assert host.file_contains(
        f"{backup_dir}/backup.log", "backup ok .*" + name.replace(".", "\\.")
    ), f'backup.log has no "backup ok" line for {name}: the dump may be incomplete'
    assert newest_dump.age_s is not None and newest_dump.size is not None
    thresholds.check("backup_age_h", newest_dump.age_s / 3600)
    thresholds.check("backup_size_bytes", newest_dump.size)


@pytest.mark.severity("critical")
def test_migrations_applied_to_head(db: Database, evidence: Evidence) -> None:
    """Apply migrations (docker compose exec backend alembic upgrade head)"""
    missing = [name for name in SCHEMA if not db.table_exists(name)]
    extensions = db.extensions()
    evidence.add("extensions", extensions)
    assert missing == [], f"objects the migrations create are missing: {missing}"
    assert "pg_stat_statements" in extensions, "migration 0011 (pg_stat_statements) not applied"
