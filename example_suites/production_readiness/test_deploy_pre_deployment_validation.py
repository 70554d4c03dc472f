"""Step 2: pre-deployment validation"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence

pytestmark = pytest.mark.phase("deploy")

#: The seed's dependencies: #17 and #16 depend on #14, #10 on #17.
DEPENDS_ON = {17: (14,), 16: (14,), 10: (17,)}


def test_pr_dependencies_checked(merged_prs: dict[int, str], evidence: Evidence) -> None:
    """Check PR dependencies (python scripts/check_pr_dependencies.py)"""
    # Each merged PR's dependencies were merged before it (merged_prs is in merge order).
    position = {number: i for i, number in enumerate(merged_prs)}
    broken = [
        f"#{pr} merged before its dependency #{dep}"
        if dep in position
        else f"#{pr} merged without its dependency #{dep}"
        for pr, deps in DEPENDS_ON.items()
        if pr in position
        for dep in deps
        if position.get(dep, len(position)) > position[pr]
    ]
    evidence.add(
        "dependencies", {f"#{pr}": [f"#{d}" for d in deps] for pr, deps in DEPENDS_ON.items()}
    )
    assert [pr for pr in DEPENDS_ON if pr in position], "none of the dependent PRs is merged"
    assert broken == [], "; ".join(broken)
