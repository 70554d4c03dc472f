"""Phase 6: Monitoring setup"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pytest_deployready import Api, Evidence, Metrics, Release

from ._support import API_JOB, scrape

pytestmark = pytest.mark.phase("deploy")

PROMETHEUS_CONFIG = "config/prometheus/prometheus.yml"
_NO_GRAFANA = (
    "not provided by the demo stack: no Grafana server (with one, automate it by reading "
    "Grafana's /api/health)"
)


def _scrape_jobs(release: Release) -> list[str]:
    """The ``job_name`` of every scrape config in the release's Prometheus configuration."""
    text = release.read_text(PROMETHEUS_CONFIG)
    assert text, f"{release.describe()} has no {PROMETHEUS_CONFIG}"
    config: Any = yaml.safe_load(text) or {}
    scrape_configs = config.get("scrape_configs") if isinstance(config, dict) else None
    assert isinstance(scrape_configs, list) and scrape_configs, (
        f"{PROMETHEUS_CONFIG} has no scrape_configs"
    )
    return [str(c.get("job_name")) for c in scrape_configs if isinstance(c, dict)]


def test_prometheus_config_created(release: Release, evidence: Evidence) -> None:
    """Prometheus config created: `config/prometheus/prometheus.yml`"""
    jobs = _scrape_jobs(release)
    evidence.add("scrape_jobs", jobs)
    assert API_JOB in jobs, f"{PROMETHEUS_CONFIG} does not scrape the application (job {API_JOB!r})"


def test_prometheus_service_started(prometheus: Metrics, evidence: Evidence) -> None:
    """Prometheus service started: `docker-compose up -d prometheus`"""
    uptime = prometheus.required_value('time() - max(process_start_time_seconds{job="prometheus"})')
    loaded = prometheus.required_value(
        'min(prometheus_config_last_reload_successful{job="prometheus"})'
    )
    evidence.add("uptime_s", round(uptime))
    assert uptime > 0, "Prometheus reports no start time"
    assert loaded == 1, "Prometheus runs, but its last configuration (re)load failed"


def test_prometheus_accessible(prometheus: Metrics, evidence: Evidence) -> None:
    """Prometheus accessible: `curl http://localhost:9090/-/healthy`"""
    build = prometheus.query("prometheus_build_info")
    evidence.add("version", sorted({str(r["metric"].get("version")) for r in build}))
    assert prometheus.required_value("vector(1)") == 1, "Prometheus's query API did not answer"


@pytest.mark.severity("minor")
@pytest.mark.manual("DevOps", reason=_NO_GRAFANA)
def test_grafana_service_started() -> None:
    """Grafana service started: `docker-compose up -d grafana` (optional)"""


@pytest.mark.severity("minor")
@pytest.mark.manual("DevOps", reason=_NO_GRAFANA)
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


def test_prometheus_targets(prometheus: Metrics, release: Release, evidence: Evidence) -> None:
    """Check Prometheus targets: `curl http://localhost:9090/api/v1/targets | jq`"""
    up: dict[str, float] = {}
    for row in prometheus.query("up"):
        job = str(row["metric"].get("job"))
        up[job] = min(up.get(job, 1.0), float(row["value"]))
    evidence.add("up_by_job", up)
    not_scraped = [job for job in _scrape_jobs(release) if job not in up]
    down = sorted(job for job, value in up.items() if value != 1)
    assert not_scraped == [], (
        f"jobs of {PROMETHEUS_CONFIG} that Prometheus has no target for: {not_scraped}"
    )
    assert down == [], f"targets down: {down}"


def test_request_duration_collected(api: Api, metrics: Metrics, evidence: Evidence) -> None:
    """Check metrics are being collected: `curl http://localhost:8000/metrics | grep http_request_duration_seconds`"""  # noqa: E501
    exposition = scrape(metrics, api)
    assert exposition.types().get("http_request_duration_seconds") == "histogram", (
        "http_request_duration_seconds is not exposed as a histogram"
    )
    p95_ms = exposition.histogram_quantile("http_request_duration_seconds", 0.95) * 1000
    evidence.add("all_requests_p95_ms", round(p95_ms, 1))
