"""Step 1: Merge to Main"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence, Release

from .support import PR

pytestmark = pytest.mark.phase("deploy")

GITHUB = (
    "the pull request and its review live on GitHub: automating it needs the code host's API "
    "(GitHub) as a target"
)


# seed line 59
@pytest.mark.manual("Team lead", reason=GITHUB)
def test_final_review_of_pr() -> None:
    """Final review of PR #3"""


# seed line 60
def test_pr_merged(merged_prs: dict[int, str], evidence: Evidence) -> None:
    """Merge PR using **"Squash and merge"** or **"Merge commit"** (your preference)"""
    # Either way of merging leaves PR #3 in main's history ("Merge pull request #3 ..." or a
    # squashed "... (#3)").
    assert PR in merged_prs, f"PR #{PR} is not merged into the release (merged: {list(merged_prs)})"
    evidence.add("merge_commit", merged_prs[PR][:12])


# seed line 61
@pytest.mark.manual(
    "Developer",
    reason="the merge's state on GitHub (PR closed as merged, branch protection satisfied) "
    "needs the code host's API (GitHub) as a target; the merge itself is test_pr_merged",
)
def test_merge_successful_on_github() -> None:
    """Verify merge successful on GitHub"""


# seed line 62
def test_latest_main_pulled_locally(release: Release, evidence: Evidence) -> None:
    """Pull latest main branch locally: `git checkout main && git pull origin main`"""
    # The checkout is main, at origin's main when it has that remote, with no local changes.
    evidence.add("release", release.describe())
    assert release.branch == "main", f"the checkout is {release.describe()}, not main"
    upstream = release.resolve("origin/main")
    evidence.add("origin/main", upstream[:12] if upstream else "no remote")
    assert upstream is None or upstream == release.commit, (
        f"main is at {release.short_commit}, origin/main at {upstream[:12]}: not pulled"
    )
    assert not release.dirty, f"local changes in the checkout: {release.changed_files}"
