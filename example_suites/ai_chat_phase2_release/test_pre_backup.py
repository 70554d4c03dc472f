"""4. Backup Current Production"""

from __future__ import annotations

import re

import pytest

from pytest_deployready import Api, Evidence, Host, Release

from .support import BOOKING_PATH, CHAT_PATH, booking_body, chat_body, summary

pytestmark = pytest.mark.phase("pre")

BASELINE_N = 20
#: The tag of the production release before this one.
PRODUCTION_TAG = "v1.0-pre-phase2"
BACKUP_DATE = re.compile(r"20\d{6}")
#: A file every copy of the backend has (the demo's stand-in for apps/backend's entry point).
BACKEND_ENTRY = "src/app.py"


# seed line 43
def test_git_tag_current_production(release: Release, evidence: Evidence) -> None:
    """Create git tag for current production: `git tag v1.0-pre-phase2`"""
    # The tag exists and marks the production before this release: an ancestor of it.
    tagged = release.resolve(PRODUCTION_TAG)
    evidence.add(PRODUCTION_TAG, tagged[:12] if tagged else None)
    assert tagged is not None, f"no tag {PRODUCTION_TAG} in {release.root}"
    assert tagged != release.commit, f"{PRODUCTION_TAG} tags the release itself, not production"
    assert release.contains(tagged), f"{PRODUCTION_TAG} is not an ancestor of {release.describe()}"


# seed line 44
@pytest.mark.severity("critical")
def test_backend_code_backed_up(host: Host, app_dir: str, evidence: Evidence) -> None:
    """Backup current backend code: `cp -r apps/backend apps/backend.backup.$(date +%Y%m%d)`"""
    copies = [f for f in host.files(app_dir, "backend.backup.*") if f.is_directory]
    evidence.add("copies", [f.path for f in copies])
    dated = [f for f in copies if BACKUP_DATE.fullmatch(f.path.rsplit(".", 1)[-1])]
    assert dated, f"no backend.backup.YYYYMMDD directory in {app_dir} on host {host.name}"
    newest = max(dated, key=lambda f: f.path)
    entry = host.file(f"{newest.path}/{BACKEND_ENTRY}")
    assert entry.is_file and entry.size, f"{newest.path} has no {BACKEND_ENTRY}: not a code copy"


# seed line 45
@pytest.mark.severity("critical")
def test_environment_exported(
    host: Host, app_dir: str, release: Release, evidence: Evidence
) -> None:
    """Export current environment: `cp .env .env.backup.$(date +%Y%m%d)`"""
    # The export is complete: every variable the live .env sets (of those .env.example
    # documents) is in the backup too. Names only; no value is read.
    example = release.read_text(".env.example")
    assert example is not None, "the release has no .env.example listing its variables"
    names = sorted(
        {ln.split("=", 1)[0].strip() for ln in example.splitlines() if "=" in ln and ln[:1] != "#"}
    )
    live = [n for n in names if host.file_contains(f"{app_dir}/.env", f"^{n}=")]
    missing = [n for n in live if not host.file_contains(f"{app_dir}/.env.backup", f"^{n}=")]
    evidence.add("variables_in_env", live)
    assert live, f"{app_dir}/.env sets none of the variables of .env.example"
    assert missing == [], f"{app_dir}/.env.backup lacks {', '.join(missing)}"


# seed line 46
@pytest.mark.severity("minor")
def test_performance_baseline_documented(api: Api, evidence: Evidence) -> None:
    """Document current performance baseline (if not already done)"""
    samples = {
        "health": api.sample("GET", "/health", n=BASELINE_N, concurrency=2),
        "store_message": api.sample(
            "POST",
            CHAT_PATH,
            json=chat_body("baseline probe"),
            n=BASELINE_N,
            concurrency=2,
            expect_status=201,
        ),
        "booking": api.sample(
            "POST",
            BOOKING_PATH,
            json=booking_body(),
            n=BASELINE_N,
            concurrency=2,
            expect_status=201,
        ),
    }
    for name, sample in samples.items():
        evidence.add(
            f"baseline_{name}",
            summary(sample),
        )
        assert sample.errors == 0, (
            f"baseline of {name} is not usable: {sample.errors} of {sample.count} requests failed "
            f"(statuses {dict(sample.status_counts)})"
        )
