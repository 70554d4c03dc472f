"""10. Compliance"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("pre")

_LEGAL = "a legal and organisational review, not a property of the running system"


@pytest.mark.manual("Compliance officer", reason=_LEGAL)
def test_gdpr_compliance_audit() -> None:
    """GDPR compliance audit"""


@pytest.mark.manual("Compliance officer", reason=_LEGAL)
def test_data_retention_policies() -> None:
    """Data retention policies documented"""


@pytest.mark.manual("Legal", reason=_LEGAL)
def test_privacy_policy_updated() -> None:
    """Privacy policy updated"""


@pytest.mark.manual("Legal", reason=_LEGAL)
def test_terms_of_service_reviewed() -> None:
    """Terms of service reviewed"""


@pytest.mark.severity("minor")
@pytest.mark.manual("QA", reason="not provided by the demo stack: no front end to show a banner")
def test_cookie_consent() -> None:
    """Cookie consent implemented (if applicable)"""
