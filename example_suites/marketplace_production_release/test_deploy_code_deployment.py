"""Code deployment"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("deploy")


@pytest.mark.manual("Technical Lead", reason="a git action; the repository is not a target")
def test_code_pushed_to_production_branch() -> None:
    """Code pushed to production branch"""


@pytest.mark.manual("DevOps", reason="a CI result, not visible from the deployed targets")
def test_build_successful() -> None:
    """Build successful"""


@pytest.mark.manual("Technical Lead", reason="a CI result, not visible from the deployed targets")
def test_no_typescript_eslint_errors() -> None:
    """No TypeScript/ESLint errors"""


@pytest.mark.manual("Technical Lead", reason="a CI result, not visible from the deployed targets")
def test_all_tests_passing() -> None:
    """All tests passing (if applicable)"""
