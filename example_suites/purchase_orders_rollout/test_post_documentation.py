"""Documentation updates"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.phase("post"), pytest.mark.severity("minor")]

_WHY = "documents live outside the running system"


@pytest.mark.manual("Tech writer", reason=_WHY)
def test_api_documentation() -> None:
    """API documentation with new endpoints"""


@pytest.mark.manual("Tech writer", reason=_WHY)
def test_performance_monitoring_guide() -> None:
    """Performance monitoring guide"""


@pytest.mark.manual("Tech writer", reason=_WHY)
def test_troubleshooting_guide() -> None:
    """Troubleshooting guide"""


@pytest.mark.manual("Tech writer", reason=_WHY)
def test_cache_configuration_guide() -> None:
    """Cache configuration guide"""


@pytest.mark.manual("Tech writer", reason=_WHY)
def test_database_optimization_guide() -> None:
    """Database optimization guide"""
