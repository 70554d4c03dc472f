"""Success Criteria: Business ✅"""

from __future__ import annotations

import pytest

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
@pytest.mark.manual(
    "DevOps",
    reason="not provided by the demo stack: 48-hour uptime comes from an external uptime monitor",
)
def test_system_uptime_success() -> None:
    """System uptime >99.9%"""
