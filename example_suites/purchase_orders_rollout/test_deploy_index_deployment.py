"""Week 1: index deployment"""

from __future__ import annotations

import pytest

from pytest_deployready import Database, Evidence

pytestmark = pytest.mark.phase("deploy")

#: The schema head that contains the purchase-order indexes (the seed's V037 migration).
EXPECTED_HEAD = "0012_optimization"


@pytest.mark.manual("DBA", reason="when a migration runs (off-peak) is an operator's decision")
def test_indexes_applied_off_peak() -> None:
    """Apply indexes during off-peak hours"""


@pytest.mark.severity("critical")
def test_index_migration_applied(db: Database, evidence: Evidence) -> None:
    """psql -d common_prod -f migrations/V037__add_purchase_order_indexes.sql"""
    migrations = db.migrations()
    evidence.add("migrations", {"tool": migrations.tool, "applied": migrations.applied})
    assert migrations.failed == [], f"failed migrations: {migrations.failed}"
    assert EXPECTED_HEAD in migrations, (
        f"schema is at {migrations.latest!r} ({migrations.tool}), expected {EXPECTED_HEAD!r}"
    )


def test_indexes_created(db: Database, evidence: Evidence) -> None:
    """Verify indexes were created"""
    indexes = [ix for ix in db.indexes("purchase_orders") if ix.name.startswith("idx_po_")]
    evidence.add("idx_po_indexes", {ix.name: ix.valid for ix in indexes})
    invalid = [ix.name for ix in indexes if not ix.valid]
    assert invalid == [], f"indexes not valid (a failed CREATE INDEX CONCURRENTLY?): {invalid}"
    assert len(indexes) == 5, f"expected 5 idx_po_% indexes, found {[i.name for i in indexes]}"
