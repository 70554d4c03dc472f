"""Week 4: full validation"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("post")


@pytest.mark.manual(
    "Release manager",
    reason="not provided by the demo stack: /api/admin/optimization-dashboard",
)
def test_performance_report_generated() -> None:
    """Generate performance report (optimization-dashboard > performance_report.json)"""
