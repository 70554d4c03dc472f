"""Pre-deployment: database validation"""

from __future__ import annotations

import pytest

from pytest_deployready import Database, Evidence

pytestmark = pytest.mark.phase("pre")

#: Columns of the seed's indexes idx_po_buyer_company_id ... idx_po_created_at.
INDEXED_COLUMNS = ("buyer_company_id", "seller_company_id", "product_id", "status", "created_at")


def test_five_po_indexes_present(db: Database, evidence: Evidence) -> None:
    """Check database indexes exist (idx_po_% on purchase_orders) - Expected: 5 indexes"""
    indexes = [ix for ix in db.indexes("purchase_orders") if ix.name.startswith("idx_po_")]
    evidence.add("idx_po_indexes", {ix.name: ix.definition for ix in indexes})
    assert len(indexes) == 5, (
        f"expected 5 idx_po_% indexes on purchase_orders, found {len(indexes)}: "
        f"{', '.join(ix.name for ix in indexes) or 'none'}"
    )


def test_indexes_cover_lookup_columns(db: Database, evidence: Evidence) -> None:
    """Database indexes validation"""
    unindexed = [c for c in INDEXED_COLUMNS if not db.has_index("purchase_orders", columns=[c])]
    invalid = [ix.name for ix in db.indexes("purchase_orders") if not ix.valid]
    evidence.add("unindexed_columns", unindexed)
    assert unindexed == [], f"purchase_orders columns without a valid index: {unindexed}"
    assert invalid == [], f"invalid indexes (failed CREATE INDEX CONCURRENTLY?): {invalid}"
