"""4. Backup Current Production"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence

from .support import BOOKING_PATH, CHAT_PATH, booking_body, chat_body, summary

pytestmark = pytest.mark.phase("pre")

BASELINE_N = 20
ON_VPS = "an action on the production VPS and its git checkout, outside every target"


# seed line 43
@pytest.mark.manual("Developer", reason="git tags live in the application repository")
def test_git_tag_current_production() -> None:
    """Create git tag for current production: `git tag v1.0-pre-phase2`"""


# seed line 44
@pytest.mark.severity("critical")
@pytest.mark.manual("DevOps", reason=ON_VPS)
def test_backend_code_backed_up() -> None:
    """Backup current backend code: `cp -r apps/backend apps/backend.backup.$(date +%Y%m%d)`"""


# seed line 45
@pytest.mark.severity("critical")
@pytest.mark.manual("DevOps", reason=ON_VPS)
def test_environment_exported() -> None:
    """Export current environment: `cp .env .env.backup.$(date +%Y%m%d)`"""


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
