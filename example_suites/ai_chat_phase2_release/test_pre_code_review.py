"""1. Code Review & Approval"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("pre")

REVIEW = "PR approvals and review comments live on GitHub, not in a deployment target"


# seed line 14
@pytest.mark.manual("Team lead", reason=REVIEW)
def test_pr_reviewed_and_approved() -> None:
    """PR #3 reviewed and approved by team lead"""


# seed line 15
@pytest.mark.manual("Developer", reason="CI/CD results live in the CI system")
def test_ci_checks_passed() -> None:
    """All CI/CD checks passed (tests, builds, linting)"""


# seed line 16
@pytest.mark.manual("Developer", reason="merge state of a branch is a property of the repository")
def test_no_merge_conflicts() -> None:
    """No merge conflicts with main branch"""


# seed line 17
@pytest.mark.manual("Developer", reason="the test run happens on the developer's machine")
def test_all_tests_passing_locally() -> None:
    """All 9/9 tests passing locally"""


# seed line 18
@pytest.mark.severity("minor")
@pytest.mark.manual("Team lead", reason="reviewing documentation is a human judgement")
def test_documentation_reviewed() -> None:
    """Documentation reviewed and accurate"""
