"""Step 1: merge PRs in order"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence

pytestmark = pytest.mark.phase("deploy")

#: This PR (integration validation) is #3 in the demo's release.
THIS_PR = 3
#: "Follow this exact sequence to avoid conflicts".
MERGE_ORDER = (14, 15, 17, 16, THIS_PR, 10)


@pytest.mark.phase("deploy", "post")
def test_prs_merged_in_order(merged_prs: dict[int, str], evidence: Evidence) -> None:
    """Merge PRs in this exact sequence: #14, #15, #17, #16, this PR, #10"""
    missing = [n for n in MERGE_ORDER if n not in merged_prs]
    assert missing == [], f"not merged into the release: {', '.join(f'#{n}' for n in missing)}"
    order = [n for n in merged_prs if n in MERGE_ORDER]
    evidence.add("merge_order", [f"#{n}" for n in order])
    assert order == list(MERGE_ORDER), (
        f"merged as {' → '.join(f'#{n}' for n in order)}, the sequence is "
        f"{' → '.join(f'#{n}' for n in MERGE_ORDER)}"
    )
