"""Backup & recovery"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence, Host, Release, Thresholds

from ._support import (
    BACKUP_LOG_OK,
    BACKUP_SCRIPT,
    backup_dumps,
    host_path,
    missing_in_release,
    newest_dump,
)

pytestmark = pytest.mark.phase("post")


@pytest.mark.severity("critical")
def test_backup_script_scheduled(
    release: Release, host: Host, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Automated backup script scheduled"""
    assert missing_in_release(release, [BACKUP_SCRIPT]) == [], (
        f"{release.describe()} has no {BACKUP_SCRIPT}"
    )
    log = host_path("BACKUP_DIR", "backup.log")
    assert host.file_contains(log, BACKUP_LOG_OK), f"{log}: the backup script never succeeded"
    # Scheduled: the script keeps running by itself, so the newest dump is within the period.
    dump = newest_dump(host)
    evidence.add("newest_dump", {"path": dump.path, "age_s": dump.age_s})
    assert dump.age_s is not None, f"cannot stat {dump.path}"
    thresholds.check("backup_age_h", dump.age_s / 3600)


def test_backup_location_configured(host: Host, evidence: Evidence) -> None:
    """Backup location configured"""
    location = host.file(host_path("BACKUP_DIR"))
    evidence.add("location", {"path": location.path, "mode": oct(location.mode or 0)})
    assert location.is_directory, f"{location.path} is not a directory on host {host.name}"
    assert location.mode is not None and location.mode & 0o022 == 0, (
        f"{location.path} has mode {oct(location.mode or 0)}: other users can replace dumps"
    )
    dumps = backup_dumps(host)
    evidence.add("dumps", {d.path: oct(d.mode or 0) for d in dumps})
    assert dumps, f"no dump has been written to {location.path}"


def test_backup_retention_policy(host: Host, thresholds: Thresholds, evidence: Evidence) -> None:
    """Backup retention policy set (7 days default)"""
    dumps = backup_dumps(host)
    assert dumps, f"no dump in {host_path('BACKUP_DIR')}"
    oldest = dumps[0]
    assert oldest.age_s is not None, f"cannot stat {oldest.path}"
    evidence.add("dumps", [{"path": d.path, "age_s": d.age_s} for d in dumps])
    # The policy in effect: no dump is kept longer than the retention.
    thresholds.check("backup_retention_days", oldest.age_s / 86400)
    assert newest_dump(host).size, "the newest dump is empty"


@pytest.mark.severity("critical")
@pytest.mark.manual("Database Admin", reason="a restore drill, done by a person")
def test_restore_procedure_tested() -> None:
    """Restore procedure tested"""


@pytest.mark.severity("minor")
@pytest.mark.manual(
    "DevOps",
    reason="not provided by the demo stack: backup notifications go to a channel (mail, chat) "
    "it does not have; with one, automate it by reading the notifier's configuration",
)
def test_backup_notifications_configured() -> None:
    """Backup notifications configured"""
