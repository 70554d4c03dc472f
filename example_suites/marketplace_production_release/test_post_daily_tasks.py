"""Ongoing maintenance: daily tasks"""

from __future__ import annotations

import shutil
import time

import pytest

from pytest_deployready import Api, Compose, Database, Evidence, Host, Thresholds

from ._support import BACKUP_LOG_OK, host_path, newest_dump, slow_statements

pytestmark = pytest.mark.phase("post")


def test_check_error_logs(stack: Compose, evidence: Evidence) -> None:
    """Check error logs: `logs/error-*.log`"""
    since = time.time() - 86400
    errors = {name: stack.log_errors(name, since=since)[:10] for name in stack.services()}
    errors = {name: lines for name, lines in errors.items() if lines}
    evidence.add("error_lines_24h", errors)
    assert errors == {}, f"error lines in the last 24 h of {sorted(errors)}"


@pytest.mark.severity("critical")
def test_verify_backup_success(host: Host, thresholds: Thresholds, evidence: Evidence) -> None:
    """Verify backup success"""
    log = host_path("BACKUP_DIR", "backup.log")
    assert host.file_contains(log, BACKUP_LOG_OK), f"{log} records no successful backup"
    dump = newest_dump(host)
    evidence.add("newest_dump", {"path": dump.path, "size": dump.size, "age_s": dump.age_s})
    assert dump.age_s is not None and dump.size is not None, f"cannot stat {dump.path}"
    thresholds.check("backup_age_h", dump.age_s / 3600)
    thresholds.check("backup_size_bytes", dump.size)
    assert host.gzip_ok(dump.path), f"{dump.path} is not a valid gzip file (truncated or corrupt)"


def test_monitor_disk_space(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """Monitor disk space"""
    # The runner shares the host of the demo stack; on a remote stack, point this at its disk.
    usage = shutil.disk_usage("/")
    evidence.add("database_size_bytes", db.database_size())
    evidence.add("disk_free_bytes", usage.free)
    thresholds.check("disk_free_ratio", usage.free / usage.total)


def test_check_job_queue_stats(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """Check job queue stats: `GET /api/v1/queues/stats`"""
    stats = api.get("/api/jobs/status").json()
    evidence.add("stats", stats)
    assert stats["processed"] > 0, "no job has been processed"
    thresholds.check("failed_jobs", stats["failed"])


def test_review_slow_queries(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """Review slow queries: `SELECT * FROM slow_queries`"""
    slowest = slow_statements(db, limit=10)
    evidence.add("slowest_statements", slowest)
    assert slowest, "pg_stat_statements has recorded no application query"
    thresholds.check("db_query_slowest_ms", float(str(slowest[0]["mean_ms"])))
