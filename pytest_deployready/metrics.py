"""Prometheus checks: scrape an exposition endpoint, or query a Prometheus server.

Scraping parses the text format with prometheus-client's parser (OpenMetrics when the server
answers with that content type) into an :class:`Exposition`::

    exp = metrics.scrape("http://app.internal:8000/metrics")   # or metrics.scrape(api, "/metrics")
    assert exp.counter("http_requests", route="/orders", status="500") == 0
    assert exp.gauge("queue_depth") < 100
    assert exp.histogram_quantile("http_request_duration_seconds", 0.95) < 0.2
    assert exp.ratio("cache_hits", "cache_hits", "cache_misses") > 0.6   # hits / (hits + misses)

Querying needs ``targets.prometheus_url``::

    assert metrics.query_value('sum(rate(http_requests_total{status=~"5.."}[5m]))') < 0.1
    for row in metrics.query("up == 0"):
        print(row["metric"]["job"], "is down")

Unreachable endpoints fail fast like :class:`~pytest_deployready.http.Api` (one-line
:class:`~pytest_deployready.errors.TargetUnreachable`, remembered per endpoint); a missing
``prometheus_url`` raises :class:`~pytest_deployready.errors.TargetNotConfigured`.
"""

from __future__ import annotations

import difflib
import math
import re
import time as _time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from pytest_deployready._redact import safe_url
from pytest_deployready.errors import DeployReadyError, TargetNotConfigured
from pytest_deployready.http import HttpTarget

__all__ = [
    "Alert",
    "Exposition",
    "MetricNotFound",
    "Metrics",
    "MetricsError",
    "PrometheusQueryError",
    "Series",
    "bucket_quantile",
]

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
}
_MAX_HINTS = 5


class MetricsError(DeployReadyError):
    """A metrics endpoint or Prometheus answered, but not with what the check needs."""


class MetricNotFound(MetricsError, LookupError):
    """No series with that name (and labels) in the exposition; the message lists near misses."""


class PrometheusQueryError(MetricsError):
    """The Prometheus HTTP API rejected a query or did not answer like a Prometheus server."""


_WINDOW = re.compile(r"^\d+(ms|s|m|h|d|w|y)$")


@dataclass(frozen=True)
class Alert:
    """One alert as Prometheus (``/api/v1/alerts``) or Alertmanager (``/api/v2/alerts``) has it.

    ``state`` is ``firing`` or ``pending`` (Prometheus), ``active``, ``suppressed`` or
    ``unprocessed`` (Alertmanager); ``severity`` is the alert's ``severity`` label, if any.
    """

    name: str
    state: str
    severity: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    active_at: str | None
    source: str

    def __str__(self) -> str:
        summary = self.annotations.get("summary") or self.annotations.get("description") or ""
        sev = f" [{self.severity}]" if self.severity else ""
        return f"{self.name}{sev} {self.state}" + (f": {summary}" if summary else "")


@dataclass(frozen=True)
class Series:
    """One sample line of an exposition: name, labels and value.

    Example::

        Series("http_requests_total", {"route": "/a"}, 42.0)
    """

    name: str
    labels: Mapping[str, str]
    value: float

    def __str__(self) -> str:
        return _selector(self.name, self.labels) + f" {self.value:g}"


def _selector(name: str, labels: Mapping[str, str]) -> str:
    if not labels:
        return name
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def bucket_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float:
    """The ``q``-quantile from cumulative ``(upper_bound, count)`` buckets, as PromQL does.

    Same algorithm as Prometheus's ``histogram_quantile``: find the bucket holding rank
    ``q * total`` and interpolate linearly inside it (from 0 for the first bucket when its
    upper bound is positive); a rank in the ``+Inf`` bucket gives the highest finite bound.
    Counts that decrease are raised to keep the buckets monotonic. Returns NaN when there are
    fewer than two buckets, no ``+Inf`` bucket, or no observations.

    Example::

        bucket_quantile(0.5, [(0.1, 2), (0.5, 8), (math.inf, 10)])  # 0.3
    """
    if not 0 <= q <= 1:
        raise ValueError(f"quantile must be between 0 and 1, got {q}")
    ordered = sorted(buckets)
    if len(ordered) < 2 or not math.isinf(ordered[-1][0]):
        return math.nan
    # Make counts monotonic (Prometheus's ensureMonotonic).
    fixed: list[tuple[float, float]] = []
    highest = -math.inf
    for bound, count in ordered:
        highest = max(highest, count)
        fixed.append((bound, highest))
    total = fixed[-1][1]
    if total == 0:
        return math.nan
    rank = q * total
    index = next(i for i, (_, count) in enumerate(fixed) if count >= rank)
    if index == len(fixed) - 1:
        return fixed[-2][0]
    if index == 0 and fixed[0][0] <= 0:
        return fixed[0][0]
    start, end, count = 0.0, fixed[index][0], fixed[index][1]
    if index > 0:
        start = fixed[index - 1][0]
        count -= fixed[index - 1][1]
        rank -= fixed[index - 1][1]
    return start + (end - start) * (rank / count)


class Exposition:
    """A parsed Prometheus exposition: look up values by name and labels.

    Label arguments select series whose labels include them (other labels may differ).
    Names may omit a counter's ``_total`` suffix. ``value``/``counter``/``gauge`` need exactly
    one matching series; ``sum`` adds every match.

    Example::

        exp = Exposition.from_text(httpx.get("http://127.0.0.1:8000/metrics").text)
        exp.sum("http_requests", status="500")
    """

    def __init__(self, families: Iterable[Metric], *, source: str = "<text>") -> None:
        self.source = source
        self._types: dict[str, str] = {}
        self._series: dict[str, list[Series]] = {}
        self._declared: set[str] = set()
        for family in families:
            self._types[family.name] = family.type
            self._declared.add(family.name)
            for suffix in _SUFFIXES.get(family.type, ()):
                self._declared.add(family.name + suffix)
            for sample in family.samples:
                series = Series(sample.name, dict(sample.labels), float(sample.value))
                self._series.setdefault(sample.name, []).append(series)
                self._declared.add(sample.name)

    @classmethod
    def from_text(
        cls, text: str, *, source: str = "<text>", openmetrics: bool = False
    ) -> Exposition:
        """Parse exposition text (Prometheus text format, or OpenMetrics).

        Example::

            Exposition.from_text("# TYPE up gauge\\nup 1\\n").gauge("up")  # 1.0
        """
        parse = openmetrics_families if openmetrics else text_string_to_metric_families
        try:
            families = list(parse(text))
        except ValueError as exc:
            detail = f": {exc}" if str(exc) else ""
            raise MetricsError(
                f"cannot parse the metrics exposition from {source}{detail}"
            ) from None
        return cls(families, source=source)

    # -- lookups --------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Sorted names of every sample line, as ``curl /metrics | grep`` shows them.

        Example::

            assert "cache_hits_total" in exp.names()
        """
        return sorted(self._series)

    def types(self) -> dict[str, str]:
        """Metric family name -> type (``counter``, ``gauge``, ``histogram``, ...).

        Example::

            exp.types()["http_request_duration_seconds"]  # 'histogram'
        """
        return dict(self._types)

    def series(self, name: str, /, **labels: object) -> list[Series]:
        """Every series called ``name`` (or ``name_total``) whose labels include ``labels``.

        Example::

            for s in exp.series("http_requests", status="500"):
                print(s.labels["route"], s.value)
        """
        resolved = self._resolve(name)
        wanted = {key: str(value) for key, value in labels.items()}
        return [
            s
            for s in self._series.get(resolved, [])
            if all(s.labels.get(key) == value for key, value in wanted.items())
        ]

    def value(self, name: str, /, **labels: object) -> float:
        """The value of the one series matching ``name`` and ``labels``.

        Example::

            exp.value("process_open_fds")
        """
        matches = self.series(name, **labels)
        selector = _selector(self._resolve(name), {k: str(v) for k, v in labels.items()})
        if not matches:
            raise MetricNotFound(self._not_found(selector, self._resolve(name)))
        if len(matches) > 1:
            shown = ", ".join(str(s) for s in matches[:_MAX_HINTS])
            raise MetricsError(
                f"{selector} matches {len(matches)} series in {self.source} ({shown}"
                f"{', ...' if len(matches) > _MAX_HINTS else ''}): give more labels or use sum()"
            )
        return matches[0].value

    def counter(self, name: str, /, **labels: object) -> float:
        """A counter's value; ``"cache_hits"`` and ``"cache_hits_total"`` both work.

        Example::

            assert exp.counter("payments_failed", provider="stripe") == 0
        """
        return self.value(name, **labels)

    def gauge(self, name: str, /, **labels: object) -> float:
        """A gauge's value.

        Example::

            assert exp.gauge("db_pool_in_use") < exp.gauge("db_pool_size")
        """
        return self.value(name, **labels)

    def sum(self, name: str, /, **labels: object) -> float:
        """Sum over every series matching ``labels``; 0.0 when the metric has none yet.

        Raises :class:`MetricNotFound` when the name does not appear in the exposition at all
        (most likely a typo).

        Example::

            errors = exp.sum("http_requests", status="500")
        """
        return float(sum(s.value for s in self.series(name, **labels)))

    def histogram_quantile(self, name: str, q: float, /, **labels: object) -> float:
        """Estimate the ``q``-quantile (0..1) of a histogram from its ``_bucket`` series.

        Buckets of every series matching ``labels`` are added by ``le`` first, like
        ``histogram_quantile(q, sum by (le) (rate(name_bucket[...])))`` over the counts so
        far, then interpolated with :func:`bucket_quantile`. Raises :class:`MetricsError` when
        the histogram has no observations.

        Example::

            p95_s = exp.histogram_quantile("http_request_duration_seconds", 0.95, route="/a")
        """
        base = name.removesuffix("_bucket")
        bucket_name = f"{base}_bucket"
        if bucket_name not in self._declared:
            raise MetricNotFound(self._not_found(bucket_name, bucket_name))
        wanted = {key: str(value) for key, value in labels.items()}
        counts: dict[float, float] = {}
        for s in self._series.get(bucket_name, []):
            if "le" not in s.labels:
                continue
            if all(s.labels.get(key) == value for key, value in wanted.items()):
                bound = float(s.labels["le"])
                counts[bound] = counts.get(bound, 0.0) + s.value
        selector = _selector(base, wanted)
        if not counts:
            raise MetricNotFound(self._not_found(_selector(bucket_name, wanted), bucket_name))
        if math.inf not in counts:
            raise MetricsError(f"histogram {selector} in {self.source} has no +Inf bucket")
        if counts[math.inf] == 0:
            raise MetricsError(f"histogram {selector} in {self.source} has no observations yet")
        return bucket_quantile(q, counts.items())

    def ratio(self, numerator: str, /, *denominator: str, **labels: object) -> float:
        """``sum(numerator) / (sum(denominator[0]) + sum(denominator[1]) + ...)``.

        Raises :class:`MetricsError` when the denominator is 0 (nothing counted yet).

        Example::

            hit_ratio = exp.ratio("cache_hits", "cache_hits", "cache_misses")  # hits/(hits+misses)
        """
        if not denominator:
            raise ValueError("ratio() needs at least one denominator metric name")
        top = self.sum(numerator, **labels)
        bottom = float(sum(self.sum(name, **labels) for name in denominator))
        if bottom == 0:
            names = " + ".join(denominator)
            raise MetricsError(
                f"ratio {numerator} / ({names}) in {self.source}: the denominator is 0"
            )
        return top / bottom

    # -- internals ------------------------------------------------------------------------

    def _resolve(self, name: str) -> str:
        """The sample name to use for ``name``: itself, or ``name_total`` for counters."""
        if name in self._series:
            return name
        if f"{name}_total" in self._series or f"{name}_total" in self._declared:
            return f"{name}_total"
        if name in self._declared:
            return name
        raise MetricNotFound(self._not_found(name, name))

    def _not_found(self, selector: str, name: str) -> str:
        message = f"no series {selector} in {self.source}"
        same_name = self._series.get(name, [])
        if same_name:
            shown = ", ".join(_selector(s.name, s.labels) for s in same_name[:_MAX_HINTS])
            return f"{message}; series of that name: {shown}"
        if name in self._declared:
            return f"{message}; the metric is declared but has no series yet"
        close = difflib.get_close_matches(name, self._series, n=3, cutoff=0.6)
        if close:
            return f"{message}; did you mean {', '.join(close)}?"
        return f"{message} ({len(self._series)} metric names exposed)"


class Metrics:
    """Scrapes Prometheus exposition endpoints and queries a Prometheus server.

    Example::

        metrics = Metrics(prometheus_url="http://prometheus.internal:9090", timeout=5)
        exp = metrics.scrape("http://app.internal:8000/metrics")
        assert exp.ratio("cache_hits", "cache_hits", "cache_misses") >= 0.6
        assert metrics.query_value("sum(up == 0)") == 0
    """

    def __init__(
        self,
        *,
        prometheus_url: str | None = None,
        timeout: float = 10.0,
        alertmanager_url: str | None = None,
        metrics_url: str | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.prometheus_url = prometheus_url
        self.alertmanager_url = alertmanager_url
        self.metrics_url = metrics_url
        self.timeout = float(timeout)
        self._endpoints: dict[str, HttpTarget] = {}
        self._prometheus: HttpTarget | None = None
        self._alertmanager: HttpTarget | None = None

    def __repr__(self) -> str:
        target = self._prometheus_target().base_url if self.prometheus_url else None
        return f"Metrics(prometheus_url={target!r})"

    @property
    def connect_attempts(self) -> int:
        """Connection attempts to every endpoint scraped and to Prometheus."""
        targets = list(self._endpoints.values())
        if self._prometheus is not None:
            targets.append(self._prometheus)
        return sum(t.connect_attempts for t in targets)

    def close(self) -> None:
        """Close pooled connections.

        Example::

            metrics.close()
        """
        for target in self._endpoints.values():
            target.close()
        if self._prometheus is not None:
            self._prometheus.close()
        if self._alertmanager is not None:
            self._alertmanager.close()

    def scrape(self, target: str | HttpTarget | None = None, path: str | None = None) -> Exposition:
        """GET an exposition endpoint and parse it.

        ``target`` is a URL (``path``, if given, is appended) or an :class:`Api`/
        :class:`HttpTarget` (``path`` defaults to ``/metrics``); without one, the application's
        ``targets.metrics_url``.

        Example::

            exp = metrics.scrape("http://127.0.0.1:8000/metrics")
            exp = metrics.scrape(api, "/metrics")
            exp = metrics.scrape()  # targets.metrics_url
        """
        if target is None:
            if not self.metrics_url:
                raise TargetNotConfigured(
                    "no metrics endpoint: pass one to metrics.scrape() or set "
                    "targets.metrics_url (the application's /metrics URL)"
                )
            target = self.metrics_url
        if isinstance(target, HttpTarget):
            endpoint, request_path = target, path or "/metrics"
            source = endpoint.base_url.rstrip("/") + "/" + request_path.lstrip("/")
        else:
            url = target if path is None else target.rstrip("/") + "/" + path.lstrip("/")
            try:
                parsed = httpx.URL(url)
            except httpx.InvalidURL as exc:
                raise ValueError(f"invalid metrics URL {safe_url(url)!r}: {exc}") from None
            endpoint = self._endpoint(str(parsed.copy_with(raw_path=b"/")))
            request_path = parsed.raw_path.decode("ascii")
            source = safe_url(url)
        response = endpoint.get(
            request_path,
            headers={"Accept": "text/plain;version=0.0.4;q=1, */*;q=0.1"},
        )
        if response.status_code != 200:
            raise MetricsError(
                f"metrics endpoint {source} answered HTTP {response.status_code}, not 200"
            )
        content_type = response.headers.get("content-type", "")
        openmetrics = content_type.startswith("application/openmetrics-text")
        return Exposition.from_text(response.text, source=source, openmetrics=openmetrics)

    def query(self, promql: str, *, time: float | None = None) -> list[dict[str, Any]]:
        """Run an instant query on ``/api/v1/query``; one dict per result.

        Vectors give ``{"metric": {...}, "value": float, "timestamp": float}`` per series,
        scalars one such dict with empty ``metric``, matrices ``{"metric": ..., "values":
        [(timestamp, float), ...]}``, strings a ``str`` value.

        Example::

            down = [r["metric"]["job"] for r in metrics.query("up == 0")]
            assert down == [], f"targets down: {down}"
        """
        params: dict[str, str] = {"query": promql}
        if time is not None:
            params["time"] = f"{time:.3f}"
        rows: list[dict[str, Any]] = self._api(
            self._prometheus_target(), "/api/v1/query", params, f"query {promql!r}"
        )
        return rows

    def query_value(self, promql: str, *, time: float | None = None) -> float | None:
        """The single number a query returns; ``None`` when it returns no series.

        Raises :class:`PrometheusQueryError` when it returns several series (aggregate them,
        e.g. with ``sum(...)``) or a range vector.

        Example::

            ratio = metrics.query_value("sum(rate(cache_hits_total[5m])) / "
                                        "sum(rate(cache_requests_total[5m]))")
            assert ratio is not None and ratio > 0.6
        """
        rows = self.query(promql, time=time)
        if not rows:
            return None
        if len(rows) > 1:
            raise PrometheusQueryError(
                f"query {promql!r} returned {len(rows)} series, expected one: aggregate it, "
                f"e.g. sum({promql})"
            )
        value = rows[0].get("value")
        if not isinstance(value, float):
            raise PrometheusQueryError(
                f"query {promql!r} did not return a number (use an instant vector or scalar)"
            )
        return value

    def query_range(
        self,
        promql: str,
        *,
        window: str = "1h",
        step: str = "60s",
        end: float | None = None,
    ) -> list[dict[str, Any]]:
        """A range query over the last ``window`` (``/api/v1/query_range``): one dict per
        series, ``{"metric": {...}, "values": [(timestamp, float), ...]}``.

        Example::

            rows = metrics.query_range('sum(rate(http_requests_total{status=~"5.."}[1m]))',
                                       window="30m", step="60s")
            assert max(v for _, v in rows[0]["values"]) < 0.01
        """
        seconds = _seconds(window, "window")
        step_s = _seconds(step, "step")
        stop = _time.time() if end is None else end
        params = {
            "query": promql,
            "start": f"{stop - seconds:.3f}",
            "end": f"{stop:.3f}",
            "step": f"{step_s:g}",
        }
        rows: list[dict[str, Any]] = self._api(
            self._prometheus_target(), "/api/v1/query_range", params, f"query {promql!r}"
        )
        return rows

    def required_value(self, promql: str) -> float:
        """Like :meth:`query_value`, but a query that returns no series is a clear failure.

        A missing series usually means the target is not scraped or the metric was renamed:
        a check must not pass on it. Example::

            thresholds.check("error_rate", metrics.required_value("job:errors:ratio5m"))
        """
        value = self.query_value(promql)
        if value is None:
            raise MetricNotFound(
                f"Prometheus returned no series for {promql!r}: is the target scraped, and the "
                "metric named so? (an absent series cannot pass a check)"
            )
        return value

    def ratio_over(self, numerator: str, denominator: str, *, window: str = "5m") -> float:
        """``sum(rate(numerator[window])) / sum(rate(denominator[window]))``: an error rate.

        ``numerator`` and ``denominator`` are series selectors. No traffic in the window (a
        zero or absent denominator) is a clear failure, not a ratio of 0.

        Example::

            rate = metrics.ratio_over('http_requests_total{status=~"5.."}',
                                      "http_requests_total", window="10m")
            thresholds.check("error_rate", rate)
        """
        _seconds(window, "window")
        total = self.required_value(f"sum(rate({denominator}[{window}]))")
        if total == 0:
            raise MetricNotFound(
                f"no traffic in the last {window}: sum(rate({denominator}[{window}])) is 0"
            )
        part = self.query_value(f"sum(rate({numerator}[{window}]))") or 0.0
        return part / total

    def histogram_quantile_over(
        self, q: float, histogram: str, *, window: str = "5m", **labels: str
    ) -> float:
        """The ``q`` quantile of a histogram over ``window`` (Prometheus's
        ``histogram_quantile`` over bucket rates), in the histogram's unit.

        Example::

            p95_s = metrics.histogram_quantile_over(0.95, "http_request_duration_seconds",
                                                    window="10m", handler="/orders")
            thresholds.check("api_p95_ms", p95_s * 1000)
        """
        if not 0 < q < 1:
            raise ValueError(f"q must be between 0 and 1, got {q}")
        _seconds(window, "window")
        selector = _selector(f"{histogram}_bucket", labels)
        value = self.required_value(
            f"histogram_quantile({q:g}, sum by (le) (rate({selector}[{window}])))"
        )
        if math.isnan(value):
            raise MetricNotFound(
                f"no observations of {histogram} in the last {window} (the quantile is NaN)"
            )
        return value

    def alerts(self, *, source: str = "prometheus", state: str | None = None) -> list[Alert]:
        """Alerts from Prometheus (``source="prometheus"``) or Alertmanager
        (``"alertmanager"``, ``targets.alertmanager_url``), optionally only those in ``state``.

        Example::

            critical = [a for a in metrics.alerts(state="firing") if a.severity == "critical"]
            assert critical == [], "; ".join(map(str, critical))
        """
        if source == "prometheus":
            data = self._api(self._prometheus_target(), "/api/v1/alerts", {}, "the alerts request")
            rows = data.get("alerts", []) if isinstance(data, dict) else []
            found = [_alert(a, str(a.get("state", "")), a.get("activeAt"), source) for a in rows]
        elif source == "alertmanager":
            target = self._alertmanager_target()
            response = target.get("/api/v2/alerts")
            try:
                listed = response.json()
            except ValueError:
                listed = None
            if response.status_code != 200 or not isinstance(listed, list):
                raise PrometheusQueryError(
                    f"Alertmanager at {target.where} answered HTTP {response.status_code} to "
                    "/api/v2/alerts without a list of alerts: is targets.alertmanager_url its "
                    "base URL?"
                )
            found = [
                _alert(a, str((a.get("status") or {}).get("state", "")), a.get("startsAt"), source)
                for a in listed
                if isinstance(a, dict)
            ]
        else:
            raise ValueError(f"source must be 'prometheus' or 'alertmanager', not {source!r}")
        return [a for a in found if state is None or a.state == state]

    def alert_rules(self) -> dict[str, str]:
        """Alerting rules Prometheus has loaded: name → state (``inactive``, ``pending``,
        ``firing``). Example: ``assert "HighErrorRate" in metrics.alert_rules()``
        """
        data = self._api(
            self._prometheus_target(), "/api/v1/rules", {"type": "alert"}, "the rules request"
        )
        groups = data.get("groups", []) if isinstance(data, dict) else []
        return {
            str(rule.get("name")): str(rule.get("state", ""))
            for group in groups
            for rule in group.get("rules", [])
            if rule.get("type") == "alerting"
        }

    # -- internals ------------------------------------------------------------------------

    def _api(self, target: HttpTarget, path: str, params: dict[str, str], what: str) -> Any:
        """GET a Prometheus API path: its ``data`` (parsed rows for the query endpoints)."""
        response = target.get(path, params=params)
        where = f"Prometheus at {target.where}"
        try:
            payload = response.json()
        except ValueError:
            raise PrometheusQueryError(
                f"{where} answered HTTP {response.status_code} to {path} without JSON: "
                "is targets.prometheus_url the Prometheus server's base URL?"
            ) from None
        if not isinstance(payload, dict) or "status" not in payload:
            raise PrometheusQueryError(
                f"{where} answered HTTP {response.status_code} to {path} with JSON that "
                "is not a Prometheus API response"
            )
        if payload["status"] != "success":
            kind = payload.get("errorType", "error")
            error = payload.get("error", f"HTTP {response.status_code}")
            raise PrometheusQueryError(f"{where} rejected {what}: {kind}: {error}")
        data = payload.get("data") or {}
        if path.startswith("/api/v1/query"):
            return _parse_result(str(data.get("resultType")), data.get("result"), where)
        return data

    def _alertmanager_target(self) -> HttpTarget:
        if not self.alertmanager_url:
            raise TargetNotConfigured(
                "no Alertmanager: set targets.alertmanager_url in [tool.deployready]"
            )
        if self._alertmanager is None:
            self._alertmanager = HttpTarget(
                self.alertmanager_url, what="Alertmanager", timeout=self.timeout
            )
        return self._alertmanager

    def _endpoint(self, base_url: str) -> HttpTarget:
        """One fail-fast target per scheme://host:port, shared by every path on it."""
        endpoint = self._endpoints.get(base_url)
        if endpoint is None:
            endpoint = HttpTarget(base_url, what="metrics endpoint", timeout=self.timeout)
            self._endpoints[base_url] = endpoint
        return endpoint

    def _prometheus_target(self) -> HttpTarget:
        if not self.prometheus_url:
            raise TargetNotConfigured(
                "no Prometheus server: set targets.prometheus_url in [tool.deployready]"
            )
        if self._prometheus is None:
            self._prometheus = HttpTarget(
                self.prometheus_url, what="Prometheus", timeout=self.timeout
            )
        return self._prometheus


def _alert(a: Mapping[str, Any], state: str, active_at: Any, source: str) -> Alert:
    labels = {str(k): str(v) for k, v in (a.get("labels") or {}).items()}
    return Alert(
        name=labels.get("alertname", ""),
        state=state,
        severity=labels.get("severity"),
        labels=labels,
        annotations={str(k): str(v) for k, v in (a.get("annotations") or {}).items()},
        active_at=None if active_at is None else str(active_at),
        source=source,
    )


_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def _seconds(text: str, what: str) -> float:
    """``"5m"`` -> 300.0: a Prometheus duration (one unit), for windows and steps."""
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError(f"{what} must be a Prometheus duration such as 30s, 5m or 1h: {text!r}")
    return int(text[: -len(match.group(1))]) * _DURATION_UNITS[match.group(1)]


def _number(value: Any) -> float:
    return float(value)  # Prometheus sends "NaN", "+Inf", "-Inf", "1.5" as strings


def _parse_result(kind: str, result: Any, where: str) -> list[dict[str, Any]]:
    try:
        if kind == "vector":
            return [
                {
                    "metric": dict(item.get("metric", {})),
                    "value": _number(item["value"][1]),
                    "timestamp": float(item["value"][0]),
                }
                for item in result
            ]
        if kind == "matrix":
            return [
                {
                    "metric": dict(item.get("metric", {})),
                    "values": [(float(ts), _number(v)) for ts, v in item["values"]],
                }
                for item in result
            ]
        if kind == "scalar":
            return [{"metric": {}, "value": _number(result[1]), "timestamp": float(result[0])}]
        if kind == "string":
            return [{"metric": {}, "value": str(result[1]), "timestamp": float(result[0])}]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise PrometheusQueryError(
            f"{where} sent a malformed {kind} result ({type(exc).__name__}: {exc})"
        ) from None
    raise PrometheusQueryError(f"{where} sent an unknown result type {kind!r}")
