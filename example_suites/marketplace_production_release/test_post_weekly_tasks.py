"""Ongoing maintenance: weekly tasks"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, Thresholds

pytestmark = pytest.mark.phase("post")


@pytest.mark.manual("Technical Lead", reason="a review of trends by a person")
def test_review_application_performance() -> None:
    """Review application performance"""


def test_check_database_bloat(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """Check database bloat: `SELECT * FROM table_bloat_stats`"""
    rows = db.rows(
        "SELECT relname, n_live_tup, n_dead_tup,"
        " n_dead_tup::float / greatest(n_live_tup + n_dead_tup, 1) AS dead_ratio"
        " FROM pg_stat_user_tables WHERE n_live_tup >= 1000 ORDER BY dead_ratio DESC"
    )
    evidence.add(
        "tables", [{k: r[k] for k in ("relname", "n_live_tup", "n_dead_tup")} for r in rows]
    )
    assert rows, "no table with 1000+ live rows: statistics are empty"
    thresholds.check("dead_tuple_ratio", float(rows[0]["dead_ratio"]))


def test_review_index_usage(db: Database, evidence: Evidence) -> None:
    """Review index usage: `SELECT * FROM index_usage_stats`"""
    rows = db.rows(
        "SELECT relname, indexrelname, idx_scan FROM pg_stat_user_indexes"
        " WHERE schemaname = 'public' ORDER BY idx_scan"
    )
    usage = {f"{r['relname']}.{r['indexrelname']}": int(r["idx_scan"]) for r in rows}
    evidence.add("index_scans", usage)
    evidence.add("below_100_scans", sorted(name for name, n in usage.items() if n < 100))
    hot = [name for name in usage if name.endswith(".idx_po_buyer_company")]
    assert hot, "purchase_orders has no idx_po_buyer_company index to serve buyer lookups"


def test_check_failed_jobs(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """Check for failed jobs"""
    stats = api.get("/api/jobs/status").json()
    evidence.add("stats", stats)
    thresholds.check("failed_jobs", stats["failed"])


@pytest.mark.manual("Technical Lead", reason="security logs are reviewed by a person")
def test_review_security_logs() -> None:
    """Review security logs"""


@pytest.mark.severity("minor")
@pytest.mark.manual("Technical Lead", reason="a decision about the code base")
def test_update_dependencies() -> None:
    """Update dependencies (if needed)"""
