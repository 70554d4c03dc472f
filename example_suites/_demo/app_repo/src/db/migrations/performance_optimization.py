"""The purchase-order indexes of migration 0012 and how to check they exist."""

from __future__ import annotations

INDEXES = {
    "idx_po_buyer_company": "purchase_orders (buyer_company_id)",
    "idx_po_seller_company": "purchase_orders (seller_company_id)",
    "idx_po_product": "purchase_orders (product_id)",
    "idx_po_status_created": "purchase_orders (status, created_at)",
    "idx_po_created_at": "purchase_orders (created_at DESC)",
}

CHECK_SQL = "SELECT indexname FROM pg_indexes WHERE tablename = 'purchase_orders'"


def create_statements() -> list[str]:
    """The ``CREATE INDEX`` statements of migration 0012, in order."""
    return [f"CREATE INDEX {name} ON {target};" for name, target in INDEXES.items()]


def missing(existing: set[str]) -> list[str]:
    """The indexes of migration 0012 not in ``existing`` (names from ``CHECK_SQL``)."""
    return [name for name in INDEXES if name not in existing]
