"""Step 2: pre-deployment validation"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("deploy")


@pytest.mark.manual("Release manager", reason="PR dependencies live on the code host")
def test_pr_dependencies_checked() -> None:
    """Check PR dependencies (python scripts/check_pr_dependencies.py)"""
