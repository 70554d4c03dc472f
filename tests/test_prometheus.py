"""``metrics`` against a real Prometheus and Alertmanager: windows, absent series, alerts."""

from __future__ import annotations

import json
import time

import pytest

from pytest_deployready.errors import TargetNotConfigured
from pytest_deployready.metrics import MetricNotFound, Metrics
from tests.servers.prometheus import PrometheusStack

pytest_plugins = ["pytester"]


@pytest.fixture
def metrics(prometheus_stack: PrometheusStack) -> Metrics:
    return Metrics(
        prometheus_url=prometheus_stack.prometheus_url,
        alertmanager_url=prometheus_stack.alertmanager_url,
        metrics_url=prometheus_stack.exporter_url,
        timeout=10,
    )


def test_error_rate_and_p95_over_a_window(metrics: Metrics) -> None:
    rate = metrics.ratio_over(
        'app_requests_total{status="500"}', "app_requests_total", window="30s"
    )
    assert rate == pytest.approx(1 / 11, rel=0.05)  # 1 error per 11 requests, every scrape
    p95 = metrics.histogram_quantile_over(0.95, "app_request_duration_seconds", window="30s")
    assert 0.1 < p95 <= 0.5  # the 95th percentile falls in the slow bucket
    p50 = metrics.histogram_quantile_over(0.5, "app_request_duration_seconds", window="30s")
    assert p50 <= 0.1


def test_a_range_query_returns_the_series_over_time(metrics: Metrics) -> None:
    (row,) = metrics.query_range("sum(app_requests_total)", window="1m", step="1s")
    values = [v for _, v in row["values"]]
    assert len(values) >= 5 and values == sorted(values)  # a counter that grows


def test_an_absent_series_or_no_traffic_is_a_clear_failure(metrics: Metrics) -> None:
    with pytest.raises(MetricNotFound, match=r"no series for .*absent series cannot pass"):
        metrics.required_value("sum(no_such_metric_total)")
    with pytest.raises(MetricNotFound, match="no series"):
        metrics.ratio_over("nope_total", "nope_total", window="30s")
    with pytest.raises(MetricNotFound, match=r"no observations|no series"):
        metrics.histogram_quantile_over(0.95, "no_such_histogram_seconds", window="30s")
    with pytest.raises(ValueError, match="Prometheus duration"):
        metrics.ratio_over("a", "b", window="5 minutes")


def test_firing_alerts_from_prometheus_and_alertmanager(metrics: Metrics) -> None:
    firing = metrics.alerts(state="firing")
    assert [(a.name, a.severity) for a in firing] == [("AlwaysFiring", "critical")]
    assert "always on" in str(firing[0])
    assert metrics.alert_rules() == {"AlwaysFiring": "firing", "NeverFiring": "inactive"}
    deadline = time.monotonic() + 30  # Prometheus sends alerts to Alertmanager asynchronously
    while True:
        managed = metrics.alerts(source="alertmanager", state="active")
        if managed or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [a.name for a in managed] == ["AlwaysFiring"]


def test_scrape_without_an_argument_uses_metrics_url(metrics: Metrics) -> None:
    assert metrics.scrape().counter("app_requests_total", status="500") >= 1
    with pytest.raises(TargetNotConfigured, match=r"targets\.metrics_url"):
        Metrics(timeout=5).scrape()
    with pytest.raises(TargetNotConfigured, match=r"targets\.alertmanager_url"):
        Metrics(timeout=5).alerts(source="alertmanager")


def test_in_a_suite(pytester: pytest.Pytester, prometheus_stack: PrometheusStack) -> None:
    pytester.makefile(
        ".toml",
        deployready=f"""
[targets]
prometheus_url = "{prometheus_stack.prometheus_url}"
alertmanager_url = "{prometheus_stack.alertmanager_url}"
metrics_url = "{prometheus_stack.exporter_url}"

[thresholds]
error_rate = "< 5%"
""",
    )
    pytester.makepyfile(
        test_monitoring="""
import pytest


@pytest.mark.phase("post")
@pytest.mark.rollback_trigger("error rate over 5 % for 30 s")
def test_error_rate(metrics, thresholds):
    rate = metrics.ratio_over('app_requests_total{status="500"}', "app_requests_total",
                              window="30s")
    thresholds.check("error_rate", rate)


@pytest.mark.phase("post")
@pytest.mark.severity("critical")
def test_no_critical_alert_firing(metrics):
    critical = [a for a in metrics.alerts(state="firing") if a.severity == "critical"]
    assert critical == [], "; ".join(map(str, critical))


@pytest.mark.phase("post")
def test_alert_rules_loaded(metrics):
    assert "NeverFiring" in metrics.alert_rules()
"""
    )
    result = pytester.runpytest("--deploy-record=record.json")
    assert result.ret == 6  # the error rate (9 %) is a rollback trigger
    record = json.loads((pytester.path / "record.json").read_text())
    outcomes = {c["id"].split("::")[1]: c for c in record["checks"]}
    assert outcomes["test_error_rate"]["outcome"] == "failed"
    assert outcomes["test_no_critical_alert_firing"]["outcome"] == "failed"
    assert "AlwaysFiring [critical] firing" in outcomes["test_no_critical_alert_firing"]["message"]
    assert outcomes["test_alert_rules_loaded"]["outcome"] == "passed"
