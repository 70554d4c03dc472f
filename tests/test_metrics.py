"""Tests of pytest_deployready.metrics against the real test app and its canned Prometheus API."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import pytest

from pytest_deployready.errors import TargetNotConfigured, TargetUnreachable
from pytest_deployready.http import Api
from pytest_deployready.metrics import (
    Exposition,
    MetricNotFound,
    Metrics,
    MetricsError,
    PrometheusQueryError,
    bucket_quantile,
)
from tests.servers.http import (
    METRICS_CACHE_HITS,
    METRICS_CACHE_MISSES,
    METRICS_QUEUE_DEPTH,
    HttpServer,
)

# Cumulative buckets of the observations of route "/a" in the test app.
A_BUCKETS = [(0.05, 2.0), (0.1, 5.0), (0.25, 8.0), (0.5, 9.0), (1.0, 10.0), (math.inf, 10.0)]

TEXT = """\
# HELP jobs_done Jobs done.
# TYPE jobs_done counter
jobs_done{queue="mail"} 5
jobs_done{queue="sms"} 2
# HELP temperature Temperature.
# TYPE temperature gauge
temperature{room="a"} 21.5
# HELP orders_failed_total Failed orders.
# TYPE orders_failed_total counter
# TYPE build_info gauge
build_info{version="1.4.2",commit="abc123"} 1
"""


@pytest.fixture
def metrics() -> Metrics:
    return Metrics(timeout=5)


# -- bucket_quantile (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0.0, 0.0), (0.25, 0.05 + 0.05 * 0.5 / 3), (0.5, 0.1), (0.9, 0.5), (0.95, 0.75), (1.0, 1.0)],
)
def test_bucket_quantile_interpolates_like_prometheus(q: float, expected: float) -> None:
    assert bucket_quantile(q, A_BUCKETS) == pytest.approx(expected)


def test_bucket_quantile_edge_cases() -> None:
    # A rank in the +Inf bucket gives the highest finite upper bound.
    assert bucket_quantile(0.9, [(1.0, 5.0), (math.inf, 10.0)]) == 1.0
    # Bucket order does not matter; decreasing counts are made monotonic.
    assert bucket_quantile(0.5, [(math.inf, 10.0), (0.5, 8.0), (0.1, 2.0)]) == pytest.approx(0.3)
    assert bucket_quantile(0.5, [(0.1, 2.0), (0.2, 1.0), (math.inf, 4.0)]) == pytest.approx(0.1)
    assert math.isnan(bucket_quantile(0.5, [(math.inf, 3.0)]))
    assert math.isnan(bucket_quantile(0.5, [(0.1, 1.0), (0.2, 3.0)]))  # no +Inf
    assert math.isnan(bucket_quantile(0.5, [(0.1, 0.0), (math.inf, 0.0)]))
    with pytest.raises(ValueError, match="between 0 and 1"):
        bucket_quantile(95, A_BUCKETS)


# -- Exposition (pure) ------------------------------------------------------------------------


def test_exposition_lookups_from_text() -> None:
    exp = Exposition.from_text(TEXT, source="test")
    # Counter declared without _total: the parser exposes it as jobs_done_total.
    assert exp.counter("jobs_done", queue="mail") == 5
    assert exp.counter("jobs_done_total", queue="sms") == 2
    assert exp.sum("jobs_done") == 7
    assert exp.gauge("temperature", room="a") == 21.5
    assert exp.value("build_info", version="1.4.2") == 1
    assert exp.series("build_info")[0].labels["commit"] == "abc123"
    # Declared but no series yet: sums are 0, single values are missing.
    assert exp.sum("orders_failed") == 0
    with pytest.raises(MetricNotFound, match="declared but has no series"):
        exp.counter("orders_failed")
    assert exp.types()["jobs_done"] == "counter"
    assert exp.names() == ["build_info", "jobs_done_total", "temperature"]


def test_exposition_errors_are_clear() -> None:
    exp = Exposition.from_text(TEXT, source="http://app:8000/metrics")
    with pytest.raises(MetricsError, match=r"jobs_done_total matches 2 series .* use sum\(\)"):
        exp.counter("jobs_done")
    with pytest.raises(MetricNotFound) as excinfo:
        exp.counter("jobs_done", queue="push")
    assert str(excinfo.value) == (
        'no series jobs_done_total{queue="push"} in http://app:8000/metrics; series of that '
        'name: jobs_done_total{queue="mail"}, jobs_done_total{queue="sms"}'
    )
    with pytest.raises(MetricNotFound, match="did you mean temperature"):
        exp.gauge("temperatur")
    with pytest.raises(MetricNotFound, match="no series nope in"):
        exp.sum("nope")
    with pytest.raises(MetricsError, match="cannot parse the metrics exposition from x"):
        Exposition.from_text("this is { not metrics\n", source="x")


# -- scrape the real /metrics -----------------------------------------------------------------


def test_scrape_counters_and_gauges(http_server: HttpServer, metrics: Metrics) -> None:
    exp = metrics.scrape(f"{http_server.base_url}/metrics")
    assert exp.source == f"{http_server.base_url}/metrics"
    assert exp.counter("cache_hits") == METRICS_CACHE_HITS
    assert exp.counter("cache_hits_total") == METRICS_CACHE_HITS
    assert exp.gauge("demo_queue_depth") == METRICS_QUEUE_DEPTH
    assert exp.counter("demo_http_requests", route="/a", status="500") == 3
    assert exp.sum("demo_http_requests") == 100
    assert exp.sum("demo_http_requests", route="/a") == 93
    assert exp.sum("demo_http_requests", status="404") == 0
    assert "cache_misses_total" in exp.names()
    assert exp.types()["demo_request_duration_seconds"] == "histogram"


def test_scrape_histogram_quantiles(http_server: HttpServer, metrics: Metrics) -> None:
    exp = metrics.scrape(http_server.base_url, "/metrics")
    name = "demo_request_duration_seconds"
    assert exp.histogram_quantile(name, 0.5, route="/a") == pytest.approx(0.1)
    assert exp.histogram_quantile(name, 0.95, route="/a") == pytest.approx(0.75)
    assert exp.histogram_quantile(f"{name}_bucket", 0.9, route="/a") == pytest.approx(0.5)
    # Both routes added by le: 0.05:2 0.1:5 0.25:8 0.5:11 1:12 +Inf:14.
    assert exp.histogram_quantile(name, 0.5) == pytest.approx(0.1 + 0.15 * 2 / 3)
    assert exp.histogram_quantile(name, 0.99) == pytest.approx(1.0)
    with pytest.raises(MetricNotFound, match="route"):
        exp.histogram_quantile(name, 0.5, route="/missing")
    with pytest.raises(MetricNotFound):
        exp.histogram_quantile("demo_queue_depth", 0.5)


def test_scrape_ratio(http_server: HttpServer, metrics: Metrics) -> None:
    exp = metrics.scrape(f"{http_server.base_url}/metrics")
    hit_ratio = exp.ratio("cache_hits", "cache_hits", "cache_misses")
    assert hit_ratio == pytest.approx(
        METRICS_CACHE_HITS / (METRICS_CACHE_HITS + METRICS_CACHE_MISSES)
    )
    error_ratio = exp.ratio("demo_http_requests", "demo_http_requests", status="500")
    assert error_ratio == 1.0
    with pytest.raises(MetricsError, match="the denominator is 0"):
        exp.ratio("demo_http_requests", "demo_http_requests", status="404")
    with pytest.raises(ValueError, match="at least one denominator"):
        exp.ratio("cache_hits")


def test_scrape_through_an_api(http_server: HttpServer, metrics: Metrics) -> None:
    api = Api(http_server.base_url)
    exp = metrics.scrape(api)
    assert exp.counter("cache_misses") == METRICS_CACHE_MISSES
    assert exp.source == f"{http_server.base_url}/metrics"


def test_scrape_error_status(http_server: HttpServer, metrics: Metrics) -> None:
    with pytest.raises(MetricsError, match=r"answered HTTP 404, not 200"):
        metrics.scrape(f"{http_server.base_url}/status/404")
    with pytest.raises(MetricsError, match="cannot parse"):
        metrics.scrape(f"{http_server.base_url}/slow?ms=1")


def test_scrape_unreachable_fails_fast(refused_url: str, metrics: Metrics) -> None:
    port = urlsplit(refused_url).port
    expected = f"cannot reach metrics endpoint at 127.0.0.1:{port}: connection refused"
    for _ in range(10):
        with pytest.raises(TargetUnreachable) as excinfo:
            metrics.scrape(f"{refused_url}/metrics")
        assert str(excinfo.value) == expected
    with pytest.raises(TargetUnreachable):
        metrics.scrape(refused_url, "/other")  # same host:port, still remembered
    assert metrics.connect_attempts == 1


# -- query the Prometheus HTTP API ------------------------------------------------------------


def test_query_vector_scalar_and_matrix(http_server: HttpServer) -> None:
    prom = Metrics(prometheus_url=http_server.prometheus_url, timeout=5)
    rows = prom.query("up")
    assert [(r["metric"]["job"], r["value"]) for r in rows] == [("api", 1.0), ("worker", 0.0)]
    assert rows[0]["timestamp"] == 1_700_000_000.0
    assert prom.query_value("sum(up)") == 1.0
    assert prom.query_value("scalar(sum(up))") == 1.0
    assert prom.query_value("absent_metric") is None
    matrix = prom.query("up[1m]")
    assert matrix[0]["values"] == [(1_700_000_000.0 - 30, 1.0), (1_700_000_000.0, 1.0)]


def test_query_errors_are_surfaced(http_server: HttpServer) -> None:
    prom = Metrics(prometheus_url=http_server.prometheus_url, timeout=5)
    with pytest.raises(PrometheusQueryError) as excinfo:
        prom.query("sum(rate(")
    assert str(excinfo.value) == (
        f"Prometheus at 127.0.0.1:{http_server.port} rejected query 'sum(rate(': bad_data: "
        'invalid parameter "query": 1:10: parse error: unclosed left parenthesis'
    )
    with pytest.raises(PrometheusQueryError, match=r"returned 2 series, expected one"):
        prom.query_value("up")
    with pytest.raises(PrometheusQueryError, match="did not return a number"):
        prom.query_value("up[1m]")
    with pytest.raises(PrometheusQueryError, match="execution: no canned answer"):
        prom.query("rate(up[5m])")


def test_query_wrong_url_is_explained(http_server: HttpServer) -> None:
    prom = Metrics(prometheus_url=http_server.base_url, timeout=5)  # no /prom prefix: 404
    with pytest.raises(PrometheusQueryError, match=r"answered HTTP 404 .* without JSON"):
        prom.query("up")


def test_query_not_configured() -> None:
    with pytest.raises(TargetNotConfigured) as excinfo:
        Metrics().query_value("up")
    assert str(excinfo.value) == (
        "no Prometheus server: set targets.prometheus_url in [tool.deployready]"
    )
    assert repr(Metrics()) == "Metrics(prometheus_url=None)"


def test_query_unreachable_fails_fast(refused_url: str) -> None:
    prom = Metrics(prometheus_url=refused_url.replace("http://", "http://admin:pr0m-pass@"))
    for _ in range(5):
        with pytest.raises(TargetUnreachable) as excinfo:
            prom.query("up")
        assert str(excinfo.value) == (
            f"cannot reach Prometheus at 127.0.0.1:{urlsplit(refused_url).port}: connection refused"
        )
    assert prom.connect_attempts == 1
    assert "pr0m-pass" not in repr(prom)
