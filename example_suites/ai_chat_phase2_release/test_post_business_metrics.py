"""Business Metrics"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_deployready import Evidence, Metrics, Thresholds

from .support import VALIDATION_S, uptime_ratio

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
def test_system_uptime(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """**System Uptime:** >99.9%"""
    # Share of Prometheus's scrapes of the API that succeeded since the deploy (up to 48 h).
    thresholds.check("uptime", uptime_ratio(prometheus, window(VALIDATION_S), evidence))
