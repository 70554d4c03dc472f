"""Success Criteria: Business ✅"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_deployready import Evidence, Metrics, Thresholds

from .support import VALIDATION_S, uptime_ratio

pytestmark = pytest.mark.phase("post")


# seed line 367
@pytest.mark.manual("Support", reason="support tickets live in the helpdesk, not in a target")
def test_no_increase_in_support_tickets_success() -> None:
    """No increase in support tickets"""


# seed line 368
@pytest.mark.manual(
    "Product owner", reason="conversion rates come from business analytics, not from a target"
)
def test_booking_conversion_success() -> None:
    """Booking conversion rate stable/improved"""


# seed line 369
@pytest.mark.manual("Product owner", reason="satisfaction comes from users, not from a target")
def test_user_satisfaction_success() -> None:
    """User satisfaction maintained"""


# seed line 370
def test_system_uptime_success(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """System uptime >99.9%"""
    # Share of Prometheus's scrapes of the API that succeeded over the 48 hours since the deploy.
    thresholds.check("uptime", uptime_ratio(prometheus, window(VALIDATION_S), evidence))
