"""Step 5: production deployment"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_deployready import Api, Evidence, Host, Metrics, Release

pytestmark = pytest.mark.phase("deploy")

RELEASE_TAG = "v0.3.0"
FIRST_30_MIN_S = 30 * 60
#: The API's log on the host, and what an error line has (Python logging's level field).
APP_LOG = "logs/app.log"
LOG_ERROR = r" (ERROR|CRITICAL) |Traceback \(most recent call last\)"


def test_release_tagged(release: Release, evidence: Evidence) -> None:
    """Tag the release (git tag -a v0.3.0; git push origin v0.3.0)"""
    # The commit under test carries the tag, and the checkout is that commit: uncommitted
    # changes are not in the tag. (Whether the tag was pushed needs the code host.)
    evidence.add("release", release.describe())
    evidence.add("tags", release.tags)
    assert RELEASE_TAG in release.tags, f"{release.describe()} is not tagged {RELEASE_TAG}"
    assert not release.dirty, (
        f"the checkout differs from {RELEASE_TAG} in {release.changed_files}: the tag is not "
        "what is deployed"
    )


@pytest.mark.phase("deploy", "post")
def test_deployed_to_production(release: Release, api: Api, evidence: Evidence) -> None:
    """Deploy to production (follow your deployment process)"""
    # Production runs the release: the API reports the commit and tag under test.
    response = api.get("/version")
    assert response.status_code == 200, f"GET /version answered HTTP {response.status_code}"
    deployed = response.json()
    evidence.add("deployed", deployed)
    evidence.add("release", release.describe())
    assert deployed.get("commit") == release.commit, (
        f"the API runs {deployed.get('commit')!r}, the release is {release.describe()}"
    )
    assert deployed.get("tag") in release.tags, (
        f"the API reports tag {deployed.get('tag')!r}, the release has {release.tags}"
    )


def test_first_30_minutes_monitored(
    prometheus: Metrics,
    window: Callable[[float], str],
    host: Host,
    app_dir: str,
    evidence: Evidence,
) -> None:
    """Monitor metrics and logs closely for first 30 minutes"""
    # What the watch looks for, over the first 30 minutes since the deploy (or less): no alert
    # fired in Prometheus, no error in the API's log on the host.
    span = window(FIRST_30_MIN_S)
    fired = prometheus.query(f'max_over_time(ALERTS{{alertstate="firing"}}[{span}])')
    names = sorted({str(row["metric"].get("alertname")) for row in fired})
    evidence.add("window", span)
    evidence.add("alerts_fired", names)
    assert names == [], f"alerts fired since the deploy: {', '.join(names)}"
    log = f"{app_dir}/{APP_LOG}"
    assert host.file(log).exists, f"no application log {log} on host {host.name}"
    assert not host.file_contains(log, LOG_ERROR), f"{log} on host {host.name} has ERROR lines"
