"""Shared fixtures of the AI-chat Phase 2 release suite.

The seed checks the same few measurements under several headings (P95 of store_message in
"First Hour Monitoring", "Success Metrics" and "Success Criteria"), so each latency sample is
taken once per session and every check applies its own rule to it.
"""

from __future__ import annotations

import os
import time

import pytest

from pytest_deployready import Api, Compose, Exposition, Metrics, SampleResult

from .support import (
    BOOKING_PATH,
    CHAT_PATH,
    JOURNEYS,
    SAMPLE_CONCURRENCY,
    SAMPLE_N,
    Traffic,
    booking_body,
    chat_body,
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
