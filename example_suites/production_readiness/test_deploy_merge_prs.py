"""Step 1: merge PRs in order"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("deploy")


@pytest.mark.phase("deploy", "post")
@pytest.mark.manual("Release manager", reason="merges happen on the code host, not on the system")
def test_prs_merged_in_order() -> None:
    """Merge PRs in this exact sequence: #14, #15, #17, #16, this PR, #10"""
