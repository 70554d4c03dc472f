"""Monitoring setup"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Compose, Database, Evidence, Host, Metrics, Thresholds

from ._support import API_JOB, host_path, scrape

pytestmark = pytest.mark.phase("post")

#: The application's log file, under its directory on the host.
APP_LOG = "logs/app.log"

#: Compose services that run application code (edge is a static web server without access log).
APP_SERVICES = ("worker", "scheduler")


def test_application_logs_written(stack: Compose, evidence: Evidence) -> None:
    """Application logs being written"""
    sizes = {name: len(stack.logs(name, tail=200).splitlines()) for name in APP_SERVICES}
    evidence.add("log_lines", sizes)
    silent = [name for name, lines in sizes.items() if lines == 0]
    assert silent == [], f"services that have logged nothing: {silent}"


def test_error_logs_captured(host: Host, api: Api, metrics: Metrics, evidence: Evidence) -> None:
    """Error logs being captured"""
    log = host.file(host_path("APP_DIR", APP_LOG))
    started = scrape(metrics, api).gauge("process_start_time_seconds")
    evidence.add("log", {"path": log.path, "size": log.size, "age_s": log.age_s})
    assert log.exists and log.is_file, f"no {log.path} on host {host.name}"
    assert log.size, f"{log.path} is empty: the application logs nowhere"
    # whole seconds on both sides (stat's mtime, the kernel's boot time): two seconds of slack
    assert log.mtime is not None and log.mtime.timestamp() >= started - 2, (
        f"{log.path} was last written before the running API started: it logs elsewhere"
    )


def test_slow_query_logging_enabled(db: Database, evidence: Evidence) -> None:
    """Slow query logging enabled"""
    threshold = db.setting("log_min_duration_statement")
    statements = db.extension_installed("pg_stat_statements")
    evidence.add("log_min_duration_statement", threshold)
    evidence.add("pg_stat_statements", statements)
    if statements:
        assert db.scalar("SELECT count(*) FROM pg_stat_statements") is not None
    assert statements or threshold not in ("-1", ""), (
        "neither log_min_duration_statement nor pg_stat_statements records slow queries"
    )


def test_job_queue_stats_accessible(api: Api, evidence: Evidence) -> None:
    """Job queue stats accessible"""
    response = api.get("/api/jobs/status")
    assert response.status_code == 200, f"/api/jobs/status answered {response.status_code}"
    stats = response.json()
    evidence.add("stats", stats)
    missing = [k for k in ("queues", "workers", "processed", "failed") if k not in stats]
    assert missing == [], f"queue stats lack {missing}"


def test_database_monitoring_views_working(db: Database, evidence: Evidence) -> None:
    """Database monitoring views working"""
    daily = db.rows("SELECT * FROM v_po_daily_stats LIMIT 5")
    evidence.add("v_po_daily_stats_rows", len(daily))
    assert daily, "v_po_daily_stats returns no rows"
    assert db.scalar("SELECT count(*) FROM pg_stat_statements") is not None


def test_health_check_monitored(
    prometheus: Metrics, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Health check endpoint monitored"""
    up = prometheus.required_value(f'min(up{{job="{API_JOB}"}})')
    last_s = prometheus.required_value(f'time() - max(timestamp(up{{job="{API_JOB}"}}))')
    evidence.add("up", up)
    assert up == 1, f"Prometheus cannot scrape the API (up{{job={API_JOB!r}}} is {up:g})"
    thresholds.check("api_scrape_age_s", last_s)
