"""Step 3: database migration"""

from __future__ import annotations

import pytest

from pytest_deployready import Database, Evidence

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
@pytest.mark.manual(
    "DBA", reason="pg_dump runs on the database host; the dump file is invisible to the checks"
)
def test_database_backed_up_first() -> None:
    """Backup production database first! (pg_dump ... > backup_<timestamp>.sql)"""


@pytest.mark.severity("critical")
def test_migrations_applied_to_head(db: Database, evidence: Evidence) -> None:
    """Apply migrations (docker compose exec backend alembic upgrade head)"""
    missing = [name for name in SCHEMA if not db.table_exists(name)]
    extensions = db.extensions()
    evidence.add("extensions", extensions)
    assert missing == [], f"objects the migrations create are missing: {missing}"
    assert "pg_stat_statements" in extensions, "migration 0011 (pg_stat_statements) not applied"
