"""Phase 6: Monitoring setup"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Evidence, Metrics

from ._support import scrape

pytestmark = pytest.mark.phase("deploy")

_NO_PROMETHEUS = (
    "not provided by the demo stack: no Prometheus server (set targets.prometheus_url and "
    "automate it with metrics.query('up'))"
)


@pytest.mark.manual("DevOps", reason=_NO_PROMETHEUS)
def test_prometheus_config_created() -> None:
    """Prometheus config created: `config/prometheus/prometheus.yml`"""


@pytest.mark.manual("DevOps", reason=_NO_PROMETHEUS)
def test_prometheus_service_started() -> None:
    """Prometheus service started: `docker-compose up -d prometheus`"""


@pytest.mark.manual("DevOps", reason=_NO_PROMETHEUS)
def test_prometheus_accessible() -> None:
    """Prometheus accessible: `curl http://localhost:9090/-/healthy`"""


@pytest.mark.severity("minor")
@pytest.mark.manual("DevOps", reason="not provided by the demo stack: no Grafana server")
def test_grafana_service_started() -> None:
    """Grafana service started: `docker-compose up -d grafana` (optional)"""


@pytest.mark.severity("minor")
@pytest.mark.manual("DevOps", reason="not provided by the demo stack: no Grafana server")
def test_grafana_accessible() -> None:
    """Grafana accessible: `curl http://localhost:3001/api/health`"""


def test_metrics_endpoint_working(api: Api, metrics: Metrics, evidence: Evidence) -> None:
    """Metrics endpoint working: `curl http://localhost:8000/metrics`"""
    exposition = scrape(metrics, api)
    evidence.add("metric_families", sorted(exposition.types()))
    assert exposition.sum("http_requests") > 0, "http_requests_total counts no request"


def test_cache_metrics_visible(api: Api, metrics: Metrics, evidence: Evidence) -> None:
    """Cache metrics visible: `curl http://localhost:8000/metrics | grep cache_hits`"""
    exposition = scrape(metrics, api)
    hits, misses = exposition.counter("cache_hits"), exposition.counter("cache_misses")
    evidence.add("cache_hits_total", hits)
    evidence.add("cache_misses_total", misses)
    assert hits + misses > 0, "the cache counters have not counted any lookup"


@pytest.mark.manual("DevOps", reason=_NO_PROMETHEUS)
def test_prometheus_targets() -> None:
    """Check Prometheus targets: `curl http://localhost:9090/api/v1/targets | jq`"""


def test_request_duration_collected(api: Api, metrics: Metrics, evidence: Evidence) -> None:
    """Check metrics are being collected: `curl http://localhost:8000/metrics | grep http_request_duration_seconds`"""  # noqa: E501
    exposition = scrape(metrics, api)
    assert exposition.types().get("http_request_duration_seconds") == "histogram", (
        "http_request_duration_seconds is not exposed as a histogram"
    )
    p95_ms = exposition.histogram_quantile("http_request_duration_seconds", 0.95) * 1000
    evidence.add("all_requests_p95_ms", round(p95_ms, 1))
