"""Rollback plan: database rollback"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("rollback")


@pytest.mark.manual(
    "DBA",
    reason="a destructive DBA action (DROP INDEX); checks never write to the database",
)
def test_indexes_removed_if_needed() -> None:
    """Remove indexes if needed (rare): DROP INDEX IF EXISTS idx_po_*"""
