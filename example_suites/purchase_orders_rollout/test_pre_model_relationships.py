"""Pre-deployment: model relationships"""

from __future__ import annotations

import pytest

from pytest_deployready import Database, Evidence

pytestmark = pytest.mark.phase("pre")

#: PurchaseOrder's relationships (the seed expects buyer_company, seller_company, product),
#: as the foreign keys that back them: column -> referenced table.
RELATIONSHIPS = {
    "buyer_company_id": "companies",
    "seller_company_id": "companies",
    "product_id": "products",
}

_FOREIGN_KEYS = """
SELECT a.attname AS column_name, c.confrelid::regclass::text AS target,
       c.conname AS name, c.convalidated AS validated
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
WHERE c.contype = 'f' AND c.conrelid = 'purchase_orders'::regclass
ORDER BY 1
"""


def test_purchase_order_relationships(db: Database, evidence: Evidence) -> None:
    """Validate relationships - Expected: ['buyer_company', 'seller_company', 'product']"""
    found = {str(r["column_name"]): str(r["target"]) for r in db.rows(_FOREIGN_KEYS)}
    evidence.add("foreign_keys", found)
    wrong = {col: found.get(col) for col, table in RELATIONSHIPS.items() if found.get(col) != table}
    assert wrong == {}, f"relationships without the expected foreign key (column: found): {wrong}"


def test_relationship_constraints_validated(db: Database, evidence: Evidence) -> None:
    """Model relationships validation"""
    not_validated = [str(r["name"]) for r in db.rows(_FOREIGN_KEYS) if not r["validated"]]
    orphans = db.scalar(
        "SELECT count(*) FROM purchase_orders po"
        " WHERE NOT EXISTS (SELECT 1 FROM companies c WHERE c.id = po.buyer_company_id)"
        " OR NOT EXISTS (SELECT 1 FROM companies c WHERE c.id = po.seller_company_id)"
        " OR NOT EXISTS (SELECT 1 FROM products p WHERE p.id = po.product_id)"
    )
    evidence.add("orphaned_purchase_orders", int(orphans))
    assert not_validated == [], (
        f"foreign keys created NOT VALID and never validated: {not_validated}"
    )
    assert orphans == 0, f"{orphans} purchase orders point at a missing company or product"
