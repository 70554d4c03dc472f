"""Backup freshness: WAL archiving from pg_stat_archiver (real PostgreSQL with archive_mode on)
and a dump file's age through the host fixture."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psycopg
import pytest

from pytest_deployready.postgres import Database
from tests.servers.postgres import PgServer

pytest_plugins = ["pytester"]


def _switch_wal(pg_server: PgServer) -> None:
    """Close the current WAL segment so the server archives it (test set-up, as the admin)."""
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS archive_probe (n int)")
        conn.execute("INSERT INTO archive_probe VALUES (1)")
        conn.execute("SELECT pg_switch_wal()")


def test_the_archiver_reports_the_last_archived_segment(pg_server: PgServer) -> None:
    db = Database(pg_server.url)
    try:
        before = db.archiver().archived_count
        _switch_wal(pg_server)
        deadline = time.monotonic() + 30
        archiver = db.archiver()
        while archiver.archived_count <= before and time.monotonic() < deadline:
            time.sleep(0.2)
            archiver = db.archiver()
        assert archiver.enabled and archiver.mode == "on"
        assert archiver.archived_count >= 1 and not archiver.failing
        assert archiver.last_archived_wal in os.listdir(pg_server.archive_dir)
        age = archiver.last_archived_age_s
        assert age is not None and 0 <= age < 120
    finally:
        db.close()


def test_a_failing_archive_command_is_reported(pg_server: PgServer) -> None:
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET archive_command = 'false'")
        conn.execute("SELECT pg_reload_conf()")
    try:
        _switch_wal(pg_server)
        db = Database(pg_server.url)
        try:
            deadline = time.monotonic() + 60
            archiver = db.archiver()
            while not archiver.failing and time.monotonic() < deadline:
                time.sleep(0.3)
                archiver = db.archiver()
            assert archiver.failing and archiver.failed_count >= 1, archiver
        finally:
            db.close()
    finally:
        with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM RESET archive_command")
            conn.execute("SELECT pg_reload_conf()")
        _switch_wal(pg_server)  # archiving catches up: later tests see it healthy


def test_backup_freshness_as_thresholds_in_a_suite(
    pytester: pytest.Pytester, pg_server: PgServer, tmp_path: Path
) -> None:
    _switch_wal(pg_server)
    dump = tmp_path / "latest.sql.gz"
    dump.write_bytes(b"x" * 4096)
    stale = time.time() - 2 * 86400
    os.utime(dump, (stale, stale))
    pytester.makefile(
        ".toml",
        deployready=f"""
[targets]
database_url = "{pg_server.url}"

[[targets.hosts]]
name = "db-host"
url = "local://"

[thresholds]
backup_age_s = "< 93600"
backup_size_bytes = ">= 1024"
wal_archive_age_s = "< 3600"
""",
    )
    pytester.makepyfile(
        test_backups=f"""
import time

import pytest


@pytest.mark.phase("pre")
@pytest.mark.severity("critical")
def test_dump_is_fresh(host, thresholds):
    dump = host.file("{dump}")
    assert dump.exists, "no backup"
    thresholds.check("backup_size_bytes", dump.size)
    thresholds.check("backup_age_s", dump.age_s)


@pytest.mark.phase("pre")
@pytest.mark.severity("critical")
def test_wal_archiving(db, thresholds):
    deadline = time.monotonic() + 30
    archiver = db.archiver()
    while archiver.last_archived_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
        archiver = db.archiver()
    assert archiver.enabled and not archiver.failing, archiver
    thresholds.check("wal_archive_age_s", archiver.last_archived_age_s)
"""
    )
    result = pytester.runpytest("--deploy-record=record.json")
    record = json.loads((pytester.path / "record.json").read_text())
    outcomes = {c["id"].split("::")[1]: c for c in record["checks"]}
    assert outcomes["test_wal_archiving"]["outcome"] == "passed"
    stale_check = outcomes["test_dump_is_fresh"]
    assert stale_check["outcome"] == "failed"  # two days old
    assert "backup_age_s: measured" in stale_check["message"]
    assert result.ret == 1
