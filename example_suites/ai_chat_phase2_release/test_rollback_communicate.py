"""Step 6: Document & Communicate"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("rollback")


# seed line 343
@pytest.mark.manual("Release manager", reason="a written account of the incident by a person")
def test_document_what_went_wrong() -> None:
    """Document what went wrong"""


# seed line 344
@pytest.mark.manual("Release manager", reason="people are notified by people")
def test_notify_team_of_rollback() -> None:
    """Notify team of rollback"""


# seed line 345
@pytest.mark.manual("Developer", reason="the GitHub issue lives on GitHub, not in a target")
def test_github_issue_created() -> None:
    """Create GitHub issue with rollback details"""


# seed line 346
@pytest.mark.manual("Team lead", reason="planning is a team decision")
def test_fix_and_redeployment_planned() -> None:
    """Plan fix and re-deployment"""
