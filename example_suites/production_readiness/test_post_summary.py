"""Deployment checklist summary"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence, Metrics

pytestmark = pytest.mark.phase("post")


@pytest.mark.manual(
    "Release manager",
    reason="a judgement over this record's post phase, made by the release manager once the "
    "record is complete",
)
def test_post_deployment_checks_completed() -> None:
    """Post-deployment checks completed"""


def test_monitoring_dashboards_green(prometheus: Metrics, evidence: Evidence) -> None:
    """Monitoring dashboards showing green metrics"""
    # Green: no alert firing in Prometheus, none active in Alertmanager (the dashboards
    # themselves are Grafana's, outside the deployed stack).
    firing = prometheus.alerts(state="firing")
    active = prometheus.alerts(source="alertmanager", state="active")
    evidence.add("firing", [str(a) for a in firing])
    evidence.add("alertmanager_active", [str(a) for a in active])
    evidence.add("rules", prometheus.alert_rules())
    assert firing == [], "alerts firing: " + "; ".join(map(str, firing))
    assert active == [], "alerts active in Alertmanager: " + "; ".join(map(str, active))


@pytest.mark.manual(
    "Release manager",
    reason="people are notified by a person; automating it needs the chat or mail system "
    "(e.g. a Slack webhook's delivery log) as a target",
)
def test_team_notified() -> None:
    """Team notified of successful deployment"""
