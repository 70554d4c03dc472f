"""Deployment Notes"""

from __future__ import annotations

import pytest

# Record keeping after the rollout: one option of each group applies, the release manager
# attests which (the attestation's note says so). Not blocking.
pytestmark = [pytest.mark.phase("post"), pytest.mark.severity("minor")]

NOTES = "the release manager records the outcome of the deployment"


# seed line 397
@pytest.mark.manual("Release manager", reason=NOTES)
def test_issues_none() -> None:
    """Issues Encountered: None ✅"""


# seed line 398
@pytest.mark.manual("Release manager", reason=NOTES)
def test_issues_minor() -> None:
    """Issues Encountered: Minor (list below)"""


# seed line 399
@pytest.mark.manual("Release manager", reason=NOTES)
def test_issues_major() -> None:
    """Issues Encountered: Major (rollback required)"""


# seed line 407
@pytest.mark.manual("Release manager", reason=NOTES)
def test_final_status_successful() -> None:
    """Final Status: ✅ Deployment Successful"""


# seed line 408
@pytest.mark.manual("Release manager", reason=NOTES)
def test_final_status_minor_issues() -> None:
    """Final Status: ⚠️ Deployment Successful with Minor Issues"""


# seed line 409
@pytest.mark.manual("Release manager", reason=NOTES)
def test_final_status_rolled_back() -> None:
    """Final Status: ❌ Deployment Failed - Rolled Back"""
