"""Deployment checklist summary"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.phase("post")


@pytest.mark.manual("Release manager", reason="a judgement over this record's post phase")
def test_post_deployment_checks_completed() -> None:
    """Post-deployment checks completed"""


@pytest.mark.manual("DevOps", reason="Grafana is outside the deployed stack")
def test_monitoring_dashboards_green() -> None:
    """Monitoring dashboards showing green metrics"""


@pytest.mark.manual("Release manager", reason="people are notified by a person")
def test_team_notified() -> None:
    """Team notified of successful deployment"""
