"""Backup and safety"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, Host, Release, Thresholds

from ._support import host_path, missing_in_release, newest_dump

pytestmark = pytest.mark.phase("pre")


@pytest.mark.severity("critical")
def test_database_backup_created(host: Host, thresholds: Thresholds, evidence: Evidence) -> None:
    """Database backup created: `pg_dump postgres > backup_$(date +%Y%m%d).sql`"""
    dump = newest_dump(host)
    evidence.add("dump", {"path": dump.path, "size": dump.size, "age_s": dump.age_s})
    assert dump.age_s is not None and dump.size is not None, f"cannot stat {dump.path}"
    thresholds.check("backup_size_bytes", dump.size)
    thresholds.check("backup_age_h", dump.age_s / 3600)


def test_application_code_committed(release: Release, api: Api, evidence: Evidence) -> None:
    """Application code committed to git"""
    evidence.add("release", release.describe())
    assert not release.dirty, (
        f"uncommitted changes in {release.describe()}: {release.changed_files[:10]}"
    )
    deployed = api.get("/version").json().get("commit")
    evidence.add("deployed_commit", deployed)
    assert deployed and release.contains(str(deployed)), (
        f"the API runs commit {deployed!r}, which is not committed in {release.describe()}"
    )


def test_env_file_backed_up(host: Host, evidence: Evidence) -> None:
    """Current .env file backed up: `cp .env .env.backup`"""
    backup = host.file(host_path("APP_DIR", ".env.backup"))
    evidence.add("env_backup", {"path": backup.path, "mode": oct(backup.mode or 0)})
    assert backup.exists and backup.is_file, f"no {backup.path}"
    assert backup.size, f"{backup.path} is empty"
    assert backup.mode is not None and backup.mode & 0o077 == 0, (
        f"{backup.path} has mode {oct(backup.mode or 0)}: secrets readable by other users"
    )
    names = host.env_names(backup.path)  # names only: the values stay on the host
    evidence.add("variables", len(names))
    assert names, f"{backup.path} sets no variable"


def test_rollback_plan_documented(release: Release, evidence: Evidence) -> None:
    """Rollback plan documented"""
    missing = missing_in_release(release, ["docs/rollback-plan.md", "OPERATIONS_RUNBOOK.md"])
    evidence.add("release", release.describe())
    assert missing == [], f"not in {release.describe()}: {missing}"
    runbook = release.read_text("OPERATIONS_RUNBOOK.md") or ""
    headings = [
        ln for ln in runbook.splitlines() if ln.startswith("#") and "rollback" in ln.lower()
    ]
    evidence.add("runbook_rollback_sections", headings)
    assert headings, "OPERATIONS_RUNBOOK.md has no Rollback section"
