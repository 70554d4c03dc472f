"""Step 1: Merge to Main"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("deploy")

GITHUB = "the pull request and its merge live on GitHub, not in a deployment target"


# seed line 59
@pytest.mark.manual("Team lead", reason=GITHUB)
def test_final_review_of_pr() -> None:
    """Final review of PR #3"""


# seed line 60
@pytest.mark.manual("Team lead", reason=GITHUB)
def test_pr_merged() -> None:
    """Merge PR using **"Squash and merge"** or **"Merge commit"** (your preference)"""


# seed line 61
@pytest.mark.manual("Developer", reason=GITHUB)
def test_merge_successful_on_github() -> None:
    """Verify merge successful on GitHub"""


# seed line 62
@pytest.mark.manual("Developer", reason="the local git checkout is on a developer's machine")
def test_latest_main_pulled_locally() -> None:
    """Pull latest main branch locally: `git checkout main && git pull origin main`"""
