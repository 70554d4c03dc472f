"""Step 5: production deployment"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("deploy")


@pytest.mark.manual("Release manager", reason="the tag lives in the git repository")
def test_release_tagged() -> None:
    """Tag the release (git tag -a v0.3.0; git push origin v0.3.0)"""


@pytest.mark.phase("deploy", "post")
@pytest.mark.manual("Release manager", reason="follows the organisation's deployment process")
def test_deployed_to_production() -> None:
    """Deploy to production (follow your deployment process)"""


@pytest.mark.manual("On-call engineer", reason="a 30-minute watch, longer than any check run")
def test_first_30_minutes_monitored() -> None:
    """Monitor metrics and logs closely for first 30 minutes"""
