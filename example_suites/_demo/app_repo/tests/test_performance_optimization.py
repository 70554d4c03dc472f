"""Migration 0012 and its index list agree."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module() -> object:
    path = ROOT / "src" / "db" / "migrations" / "performance_optimization.py"
    spec = importlib.util.spec_from_file_location("performance_optimization", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_index_is_named_once() -> None:
    module = _module()
    statements = module.create_statements()  # type: ignore[attr-defined]
    assert len(statements) == len(set(statements)) == 5


def test_missing_lists_only_absent_indexes() -> None:
    module = _module()
    assert module.missing({"idx_po_buyer_company"}) == [  # type: ignore[attr-defined]
        "idx_po_seller_company",
        "idx_po_product",
        "idx_po_status_created",
        "idx_po_created_at",
    ]
