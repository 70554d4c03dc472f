"""Business Metrics"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("post")

ANALYTICS = "business analytics over 24-48 hours, not a state of any deployment target"


# seed line 225
@pytest.mark.manual("Product owner", reason=ANALYTICS)
def test_booking_conversion_rate() -> None:
    """**Booking Conversion Rate:** Stable or improved"""


# seed line 226
@pytest.mark.manual("Product owner", reason="ratings come from users, not from a target")
def test_user_satisfaction() -> None:
    """**User Satisfaction:** No decline in ratings"""


# seed line 227
@pytest.mark.manual(
    "DevOps",
    reason="not provided by the demo stack: 48-hour uptime comes from an external uptime monitor",
)
def test_system_uptime() -> None:
    """**System Uptime:** >99.9%"""
