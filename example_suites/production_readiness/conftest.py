"""Shared fixtures of the production-readiness suite."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable

import pytest

from pytest_deployready import (
    Api,
    Compose,
    Database,
    Evidence,
    Exposition,
    Host,
    Metrics,
    Release,
)
from pytest_deployready.host import FileState

#: The Prometheus job that scrapes the API, as a label matcher.
API_JOB = 'job="api"'
#: The shortest history since the deploy worth a verdict (Prometheus scrapes every second).
MIN_WINDOW_S = 10
DEPLOY_MARGIN_S = 2
HOUR_S = 3600
RSS = f"process_resident_memory_bytes{{{API_JOB}}}"


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Compose:
    """The Compose stack; a plain skip when the runner has no Docker engine.

    Example::

        def test_healthy(stack):
            assert stack.unhealthy() == []
    """
    if os.environ.get("DEMO_COMPOSE") == "0":
        pytest.skip("no Docker engine: compose checks cannot run here")
    compose: Compose = request.getfixturevalue("compose")
    return compose


@pytest.fixture(scope="session")
def buyer_id(db: Database) -> int:
    """A buyer company whose purchase orders the API serves (and caches) as its hot path.

    Example::

        def test_lookup(api, buyer_id):
            assert api.get(f"/api/purchase-orders?buyer_company_id={buyer_id}").is_success
    """
    found = db.scalar("SELECT min(id) FROM companies")
    assert found is not None, "no companies in the database: the hot path has no data"
    return int(found)


@pytest.fixture
def exposition(api: Api, metrics: Metrics) -> Exposition:
    """A fresh scrape of the API's ``/metrics``.

    Example::

        def test_jobs(exposition):
            assert exposition.counter("background_jobs_processed") > 0
    """
    return metrics.scrape(api, "/metrics")


@pytest.fixture
def traffic(exposition: Exposition) -> dict[str, float]:
    """Requests and 5xx answers counted by the API since it started, and their ratio.

    Example::

        def test_success(traffic, thresholds):
            thresholds.check("success_rate", 1 - traffic["error_rate"])
    """
    series = exposition.series("http_requests")
    assert series, f"http_requests_total has no series yet in {exposition.source}"
    total = sum(s.value for s in series)
    errors = sum(s.value for s in series if s.labels.get("status", "").startswith("5"))
    return {"requests": total, "server_errors": errors, "error_rate": errors / total}


@pytest.fixture
def prometheus(metrics: Metrics) -> Metrics:
    """The Prometheus server (and Alertmanager) watching the deployment; a plain skip when the
    runner has none (the demo without the Prometheus binaries, ``DEMO_PROMETHEUS=0``).

    Example::

        def test_no_alert(prometheus):
            assert prometheus.alerts(state="firing") == []
    """
    if os.environ.get("DEMO_PROMETHEUS") == "0":
        pytest.skip("no Prometheus: monitoring checks cannot run here")
    return metrics


def _env_path(name: str) -> str:
    __tracebackhide__ = True
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(f"environment variable {name} is not set: where is it on the host?")
    return value


@pytest.fixture
def app_dir() -> str:
    """The deployed application's directory on the host (``APP_DIR``).

    Example::

        def test_env(host, app_dir):
            assert host.file(f"{app_dir}/.env").mode == 0o600
    """
    return _env_path("APP_DIR")


@pytest.fixture
def backup_dir() -> str:
    """Where the host keeps the database dumps (``BACKUP_DIR``).

    Example::

        def test_dump(host, backup_dir):
            assert host.files(backup_dir, "*.sql.gz")
    """
    return _env_path("BACKUP_DIR")


@pytest.fixture
def merged_prs(release: Release, evidence: Evidence) -> dict[int, str]:
    """Pull requests merged into the release (number → commit, in merge order).

    Example::

        def test_pr_14(merged_prs):
            assert 14 in merged_prs
    """
    merged = release.merged_prs()
    evidence.add("release", release.describe())
    evidence.add("merged_prs", [f"#{n} {c[:12]}" for n, c in merged.items()])
    return merged


@pytest.fixture
def newest_dump(host: Host, backup_dir: str, evidence: Evidence) -> FileState:
    """The newest ``*.sql.gz`` database dump on the host; fails when there is none.

    Example::

        def test_backup_fresh(newest_dump, thresholds):
            thresholds.check("backup_age_h", newest_dump.age_s / 3600)
    """
    dumps = [d for d in host.files(backup_dir, "*.sql.gz") if d.is_file]
    assert dumps, f"no database dump (*.sql.gz) in {backup_dir} on host {host.name}"
    newest = max(dumps, key=lambda d: d.mtime or dt.datetime.min.replace(tzinfo=dt.UTC))
    evidence.add(
        "newest_dump",
        {
            "path": newest.path,
            "taken_at": newest.mtime.isoformat() if newest.mtime else None,
            "size_bytes": newest.size,
        },
    )
    return newest


@pytest.fixture
def since_deploy_s(prometheus: Metrics, evidence: Evidence) -> float:
    """Seconds since the release was deployed, on Prometheus's clock (at least
    ``MIN_WINDOW_S``: right after the deploy it waits for that much history): windows over the
    deployment's history start here, not before (the release before ran until then).

    ``DEMO_DEPLOYED_AT`` (epoch seconds, exported by the demo stack) when set, else the start
    of the API process Prometheus scrapes. Example::

        def test_memory(prometheus, since_deploy_s):
            window = f"{int(min(since_deploy_s, 3600))}s"
    """
    raw = os.environ.get("DEMO_DEPLOYED_AT", "").strip()
    deployed = (
        float(raw)
        if raw
        else prometheus.required_value(f"max(process_start_time_seconds{{{API_JOB}}})")
    )
    age = prometheus.required_value("time()") - deployed
    wanted = MIN_WINDOW_S + DEPLOY_MARGIN_S
    if 0 <= age < wanted:  # right after the deploy: wait for a few scrapes (bounded)
        time.sleep(wanted - age + 0.5)
        age = prometheus.required_value("time()") - deployed
    evidence.add("seconds_since_deploy", round(age, 1))
    assert age >= wanted, f"the deploy is {age:.0f} s old on Prometheus's clock"
    return age


@pytest.fixture
def window(since_deploy_s: float) -> Callable[[float], str]:
    """A PromQL range over the history since the deploy, at most ``longest_s`` seconds; it
    starts ``DEPLOY_MARGIN_S`` after the deploy's timestamp (whole seconds: the scrapes of the
    restart just before it stay out).

    Example::

        def test_cpu(prometheus, window):
            prometheus.required_value(f"rate(process_cpu_seconds_total[{window(3600)}])")
    """
    return lambda longest_s: f"{int(min(since_deploy_s - DEPLOY_MARGIN_S, longest_s))}s"


@pytest.fixture
def memory_growth(
    prometheus: Metrics, window: Callable[[float], str], evidence: Evidence
) -> Callable[[float], float]:
    """How much the API's resident memory grows per hour since the deploy (up to
    ``longest_s``), in MB: the trend (least squares, ``deriv``) times the window, per hour of
    it. Over an hour or more that is the hourly rate; over less (right after a deploy), the
    growth so far — seconds of history are not extrapolated to an hour.

    Example::

        def test_leak(memory_growth, thresholds):
            thresholds.check("memory_growth_mb_per_h", memory_growth(24 * 3600))
    """

    def growth(longest_s: float) -> float:
        span = window(longest_s)
        seconds = int(span.rstrip("s"))
        evidence.add("window", span)
        evidence.add("rss_mb", round(prometheus.required_value(f"max({RSS})") / 1e6, 1))
        per_s = prometheus.required_value(f"max(deriv({RSS}[{span}]))")
        evidence.add("trend_mb_per_h", round(per_s * 3600 / 1e6, 1))
        return per_s * seconds / max(seconds, HOUR_S) * HOUR_S / 1e6

    return growth
