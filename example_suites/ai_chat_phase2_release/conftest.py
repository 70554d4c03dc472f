"""Shared fixtures of the AI-chat Phase 2 release suite.

The seed checks the same few measurements under several headings (P95 of store_message in
"First Hour Monitoring", "Success Metrics" and "Success Criteria"), so each latency sample is
taken once per session and every check applies its own rule to it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable

import pytest

from pytest_deployready import (
    Api,
    Compose,
    Evidence,
    Exposition,
    Host,
    Metrics,
    Release,
    SampleResult,
)
from pytest_deployready.host import FileState

from .support import (
    API_JOB,
    BOOKING_PATH,
    CHAT_PATH,
    DEPLOY_MARGIN_S,
    JOURNEYS,
    MIN_WINDOW_S,
    SAMPLE_CONCURRENCY,
    SAMPLE_N,
    Traffic,
    booking_body,
    chat_body,
    env_path,
)


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Compose:
    """The demo's Compose stack; a plain skip when the runner has no Docker engine.

    Example::

        def test_worker(stack):
            assert stack.service("worker").ok
    """
    if os.environ.get("DEMO_COMPOSE") == "0":
        pytest.skip("no Docker engine: compose checks cannot run here")
    compose: Compose = request.getfixturevalue("compose")
    return compose


@pytest.fixture(scope="session")
def health_latency(api: Api) -> SampleResult:
    """One latency sample of ``GET /health``.

    Example::

        def test_health_fast(health_latency, thresholds):
            thresholds.check("health_ms", health_latency.p95_ms)
    """
    return api.sample("GET", "/health", n=SAMPLE_N, concurrency=SAMPLE_CONCURRENCY)


@pytest.fixture(scope="session")
def chat_latency(api: Api) -> SampleResult:
    """One latency sample of store_message (each request stores a chat message).

    Example::

        def test_store_message_p95(chat_latency, thresholds):
            thresholds.check("store_message_p95_ms", chat_latency.p95_ms)
    """
    return api.sample(
        "POST",
        CHAT_PATH,
        json=chat_body("latency probe: how is my booking?"),
        n=SAMPLE_N,
        concurrency=SAMPLE_CONCURRENCY,
        expect_status=201,
    )


@pytest.fixture(scope="session")
def booking_latency(api: Api) -> SampleResult:
    """One latency sample of booking creation (each request creates a booking).

    Example::

        def test_booking_p95(booking_latency, thresholds):
            thresholds.check("booking_p95_ms", booking_latency.p95_ms)
    """
    return api.sample(
        "POST",
        BOOKING_PATH,
        json=booking_body(),
        n=SAMPLE_N,
        concurrency=SAMPLE_CONCURRENCY,
        expect_status=201,
    )


@pytest.fixture(scope="session")
def journey_ms(api: Api) -> list[float]:
    """Wall-clock time of whole user journeys: store a chat message, then create a booking.

    Example::

        def test_journey(journey_ms, thresholds):
            thresholds.check("user_journey_ms", max(journey_ms))
    """
    times: list[float] = []
    for i in range(JOURNEYS):
        started = time.perf_counter()
        chat = api.post(CHAT_PATH, json=chat_body(f"journey {i}: when does my booking start?"))
        booking = api.post(BOOKING_PATH, json=booking_body())
        times.append((time.perf_counter() - started) * 1000.0)
        assert chat.status_code == 201, f"journey {i}: store_message answered {chat.status_code}"
        assert booking.status_code == 201, f"journey {i}: booking answered {booking.status_code}"
    return times


@pytest.fixture
def exposition(api: Api, metrics: Metrics) -> Exposition:
    """A fresh scrape of the API's ``/metrics``.

    Example::

        def test_jobs(exposition):
            assert exposition.counter("background_jobs_processed") > 0
    """
    return metrics.scrape(api, "/metrics")


@pytest.fixture
def traffic(exposition: Exposition) -> Traffic:
    """Requests and server errors counted by the API since it started.

    Example::

        def test_errors(traffic, thresholds):
            thresholds.check("error_rate", traffic.error_rate)
    """
    series = exposition.series("http_requests")
    assert series, f"http_requests_total has no series yet in {exposition.source}"
    total = sum(s.value for s in series)
    errors = sum(s.value for s in series if s.labels.get("status", "").startswith("5"))
    return Traffic(total=total, server_errors=errors)


@pytest.fixture
def prometheus(metrics: Metrics) -> Metrics:
    """The Prometheus server (and Alertmanager) watching the deployment; a plain skip when the
    runner has none (the demo without the Prometheus binaries, ``DEMO_PROMETHEUS=0``).

    Example::

        def test_cpu(prometheus):
            prometheus.required_value('rate(process_cpu_seconds_total{job="api"}[5m])')
    """
    if os.environ.get("DEMO_PROMETHEUS") == "0":
        pytest.skip("no Prometheus: monitoring checks cannot run here")
    return metrics


@pytest.fixture
def since_deploy_s(prometheus: Metrics, evidence: Evidence) -> float:
    """Seconds since the release was deployed, on Prometheus's clock (at least
    ``MIN_WINDOW_S``: right after the deploy it waits for that much history): windows over the
    deployment's history start here (``DEMO_DEPLOYED_AT``, else the API process's start).

    Example::

        def test_uptime(prometheus, since_deploy_s):
            assert since_deploy_s > 60
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
def app_dir() -> str:
    """The deployed application's directory on the host (``APP_DIR``).

    Example::

        def test_env(host, app_dir):
            assert host.file(f"{app_dir}/.env").mode == 0o600
    """
    return env_path("APP_DIR")


@pytest.fixture
def newest_dump(host: Host, evidence: Evidence) -> FileState:
    """The newest ``*.sql.gz`` database dump in ``BACKUP_DIR`` on the host; fails when none.

    Example::

        def test_backup(newest_dump, thresholds):
            thresholds.check("backup_age_h", newest_dump.age_s / 3600)
    """
    backup_dir = env_path("BACKUP_DIR")
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
def merged_prs(release: Release, evidence: Evidence) -> dict[int, str]:
    """Pull requests merged into the release (number → commit, in merge order).

    Example::

        def test_pr_3(merged_prs):
            assert 3 in merged_prs
    """
    merged = release.merged_prs()
    evidence.add("release", release.describe())
    evidence.add("merged_prs", [f"#{n} {c[:12]}" for n, c in merged.items()])
    return merged


@pytest.fixture
def deployed_version(api: Api, evidence: Evidence) -> dict[str, str]:
    """What the API says it runs: ``GET /version`` → ``{"version", "commit", "tag"}``.

    Example::

        def test_deployed(deployed_version, release):
            assert deployed_version["commit"] == release.commit
    """
    response = api.get("/version")
    assert response.status_code == 200, f"GET /version answered HTTP {response.status_code}"
    body = response.json()
    assert isinstance(body, dict), f"GET /version: expected a JSON object, got {body!r}"
    evidence.add("deployed", body)
    return {str(k): str(v) for k, v in body.items()}
