"""Team communication"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("post")

_WHY = "people are notified by a person; no system records it"


@pytest.mark.manual("Release manager", reason=_WHY)
def test_development_team_notified() -> None:
    """Development team"""


@pytest.mark.manual("Release manager", reason=_WHY)
def test_qa_team_notified() -> None:
    """QA team"""


@pytest.mark.manual("Release manager", reason=_WHY)
def test_devops_team_notified() -> None:
    """DevOps team"""


@pytest.mark.manual("Release manager", reason=_WHY)
def test_product_team_notified() -> None:
    """Product team"""


@pytest.mark.manual("Release manager", reason=_WHY)
def test_customer_support_team_notified() -> None:
    """Customer support team"""
