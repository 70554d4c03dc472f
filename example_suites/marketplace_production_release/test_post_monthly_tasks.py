"""Ongoing maintenance: monthly tasks"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("post")


@pytest.mark.severity("critical")
@pytest.mark.manual("Database Admin", reason="a restore of a full backup, done by a person")
def test_full_backup_verification() -> None:
    """Full database backup verification"""


@pytest.mark.manual("Technical Lead", reason="a review by a person")
def test_performance_optimization_review() -> None:
    """Performance optimization review"""


@pytest.mark.severity("critical")
@pytest.mark.manual("Technical Lead", reason="an audit by a person")
def test_security_audit() -> None:
    """Security audit"""


@pytest.mark.manual("DevOps", reason="a planning review by a person")
def test_capacity_planning_review() -> None:
    """Capacity planning review"""


@pytest.mark.severity("minor")
@pytest.mark.manual("Technical Lead", reason="documents, reviewed by a person")
def test_documentation_updates() -> None:
    """Documentation updates"""


@pytest.mark.severity("minor")
@pytest.mark.manual("Technical Lead", reason="a decision about the code base")
def test_dependency_updates() -> None:
    """Dependency updates"""
