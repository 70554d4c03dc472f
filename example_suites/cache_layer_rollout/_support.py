"""Helpers shared by the checks of this suite (measurements that several checklist items use)."""

from __future__ import annotations

import os
import posixpath
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import yaml

from pytest_deployready import (
    Api,
    Database,
    Evidence,
    Exposition,
    Host,
    Metrics,
    RedisTarget,
    Release,
    SampleResult,
    Thresholds,
)
from pytest_deployready.host import FileState

__all__ = [
    "API_JOB",
    "CACHED_ENDPOINT",
    "SLOW_QUERY_FILTER",
    "alert_rules_of_release",
    "api_memory_mb",
    "api_window",
    "assert_db_queries_reduced",
    "assert_latency_improved",
    "backup_dumps",
    "cached_endpoint",
    "check_alerts_configured",
    "check_memory_stable",
    "db_queries_per_request",
    "env_missing",
    "hit_ratio_from_metrics",
    "host_path",
    "missing_in_release",
    "n_plus_one_statements",
    "newest_dump",
    "performance_indexes",
    "redis_url_parts",
    "sample_cached_endpoint",
    "scrape",
    "server_errors",
    "slow_statements",
]

#: The cached read path of the demo application (a Redis-cached purchase-order lookup).
CACHED_ENDPOINT = "/api/purchase-orders"

#: Application statements only: not the catalogue queries of checkers, not EXPLAIN, not DDL.
SLOW_QUERY_FILTER = (
    "query ILIKE 'select%' AND query NOT ILIKE '%pg\\_%' AND query NOT ILIKE '%information_schema%'"
)


def cached_endpoint(buyer: int = 1, limit: int = 20) -> str:
    """The path of the cached lookup for one buyer company.

    Example: ``api.get(cached_endpoint(3))``
    """
    return f"{CACHED_ENDPOINT}?buyer_company_id={buyer}&limit={limit}"


def env_missing(names: Iterable[str]) -> list[str]:
    """Names of the variables not set (or empty) in this process's environment; never values.

    Example: ``assert env_missing(["REDIS_URL"]) == []``
    """
    return [name for name in names if not os.environ.get(name)]


def redis_url_parts() -> tuple[str | None, int | None, int]:
    """Host, port and database index the application's ``REDIS_URL`` (or REDIS_HOST...) names.

    Example: ``host, port, db = redis_url_parts()``
    """
    url = os.environ.get("REDIS_URL", "")
    parts = urlsplit(url) if url else None
    host = os.environ.get("REDIS_HOST") or (parts.hostname if parts else None)
    port_text = os.environ.get("REDIS_PORT")
    port = int(port_text) if port_text else (parts.port if parts else None)
    db_text = os.environ.get("REDIS_DB") or (parts.path.lstrip("/") if parts else "")
    return host, port, int(db_text or 0)


def scrape(metrics: Metrics, api: Api) -> Exposition:
    """The application's ``/metrics`` exposition.

    Example: ``scrape(metrics, api).counter("cache_hits")``
    """
    return metrics.scrape(api, "/metrics")


def hit_ratio_from_metrics(exposition: Exposition) -> float:
    """``cache_hits / (cache_hits + cache_misses)`` as the application counts them.

    Example: ``thresholds.check("cache_hit_ratio", hit_ratio_from_metrics(exp))``
    """
    return exposition.ratio("cache_hits", "cache_hits", "cache_misses")


def server_errors(exposition: Exposition) -> dict[str, float]:
    """HTTP 5xx responses counted by the application, by ``METHOD path status``.

    Example: ``assert server_errors(exp) == {}``
    """
    errors: dict[str, float] = {}
    for series in exposition.series("http_requests"):
        status = series.labels.get("status", "")
        if status.startswith("5") and series.value > 0:
            key = f"{series.labels.get('method')} {series.labels.get('path')} {status}"
            errors[key] = series.value
    return errors


def sample_cached_endpoint(api: Api, n: int = 200, concurrency: int = 4) -> SampleResult:
    """Latency sample of the cached lookup (warmed buyer), as the seed's load tests did.

    Example: ``thresholds.check("api_p95_ms", sample_cached_endpoint(api).p95_ms)``
    """
    return api.sample("GET", cached_endpoint(1), n=n, concurrency=concurrency)


def performance_indexes(db: Database) -> list[str]:
    """Names of the ``idx_*`` indexes the optimisation migration creates, in schema public.

    Example: ``assert len(performance_indexes(db)) >= 10``
    """
    rows = db.rows(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        " AND indexname LIKE 'idx\\_%' ORDER BY indexname"
    )
    return [str(r["indexname"]) for r in rows]


def slow_statements(db: Database, limit: int = 10, min_calls: int = 10) -> list[dict[str, object]]:
    """The application's slowest recurring SELECT statements by mean time (pg_stat_statements).

    Only statements called at least ``min_calls`` times count: the application's queries recur,
    while one-off audit queries (such as other checkers' consistency checks, run as the same
    role) do not describe production traffic.

    Example: ``slowest = slow_statements(db)[0]["mean_ms"]``
    """
    if not db.extension_installed("pg_stat_statements"):
        raise AssertionError("pg_stat_statements is not installed: slow queries cannot be found")
    rows = db.rows(
        "SELECT left(query, 200) AS query, calls, round(mean_exec_time::numeric, 2) AS mean_ms"
        " FROM pg_stat_statements"
        " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        f" AND {SLOW_QUERY_FILTER} AND calls >= {int(min_calls)}"
        f" ORDER BY mean_exec_time DESC LIMIT {int(limit)}"
    )
    return [
        {"query": str(r["query"]), "calls": int(r["calls"]), "mean_ms": float(r["mean_ms"])}
        for r in rows
    ]


def _statement_calls(db: Database) -> dict[str, int]:
    rows = db.rows(
        "SELECT queryid::text AS id, sum(calls)::bigint AS calls FROM pg_stat_statements"
        " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
        f" AND {SLOW_QUERY_FILTER} GROUP BY queryid"
    )
    return {str(r["id"]): int(r["calls"]) for r in rows}


def db_queries_per_request(db: Database, api: Api, requests: int = 20) -> float:
    """Application statements the database ran per lookup while ``requests`` lookups are served.

    One request per buyer company (ids 1..requests), with pg_stat_statements call counts read
    before and after: the seed's "Database Queries: average queries per request".

    Example: ``thresholds.check("db_queries_per_request_after", db_queries_per_request(db, api))``
    """
    before = sum(_statement_calls(db).values())
    for buyer in range(1, requests + 1):
        response = api.get(cached_endpoint(buyer))
        if response.status_code != 200:
            raise AssertionError(
                f"GET {cached_endpoint(buyer)} answered HTTP {response.status_code}, not 200"
            )
    return (sum(_statement_calls(db).values()) - before) / requests


def assert_latency_improved(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """The cached lookup's p95 now, against the pre phase's (threshold ``api_p95_after_ms``).

    The same sample as ``test_record_baseline`` (200 requests, 4 at a time), so that the two
    p95 figures compare like with like.

    Example: ``assert_latency_improved(api, thresholds, evidence)``
    """
    result = sample_cached_endpoint(api, n=200)
    evidence.add("after", result.as_dict())
    assert result.errors == 0, f"sample of {CACHED_ENDPOINT} had errors: {result}"
    thresholds.check("api_p95_after_ms", result.p95_ms)


def assert_db_queries_reduced(
    db: Database, api: Api, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Database queries per lookup now, against the pre phase's (``db_queries_per_request_after``).

    A baseline of no queries at all leaves nothing to reduce: that fails too.

    Example: ``assert_db_queries_reduced(db, api, thresholds, evidence)``
    """
    per_request = db_queries_per_request(db, api)
    evidence.add("db_queries_per_request", per_request)
    measured = thresholds.check("db_queries_per_request_after", per_request)
    before = (measured.baseline or {}).get("baseline")
    assert before, "the baseline ran no database queries per lookup: there was nothing to reduce"


def n_plus_one_statements(db: Database, api: Api, requests: int = 20) -> tuple[int, list[str]]:
    """Statements executed more than once per request while ``requests`` lookups are served.

    Sends one request per buyer company (ids 1..requests), with pg_stat_statements call counts
    read before and after. A list endpoint without an N+1 pattern needs at most one query per
    request (none when served from the cache); an N+1 pattern shows as a statement whose calls
    grew by more than the number of requests.

    Example: ``count, queries = n_plus_one_statements(db, api)``
    """
    before = _statement_calls(db)
    for buyer in range(1, requests + 1):
        response = api.get(cached_endpoint(buyer))
        if response.status_code != 200:
            raise AssertionError(
                f"GET {cached_endpoint(buyer)} answered HTTP {response.status_code}, not 200"
            )
    after = _statement_calls(db)
    offenders = [qid for qid, calls in after.items() if calls - before.get(qid, 0) > requests]
    texts: list[str] = []
    if offenders:
        rows = db.rows(
            "SELECT left(query, 200) AS query FROM pg_stat_statements"
            " WHERE queryid::text = ANY(%s)",
            [offenders],
        )
        texts = [str(r["query"]) for r in rows]
    return len(offenders), texts


def redis_target_matches(redis: RedisTarget, host: str | None, port: int | None) -> bool:
    """True when the Redis the checks reach is at ``host:port`` (the application's settings).

    Example: ``assert redis_target_matches(redis, "127.0.0.1", 6379)``
    """
    return redis.where == f"{host}:{port}"


# -- the release, the application host and Prometheus (issue 14) ----------------------------

#: Prometheus's scrape job of the application.
API_JOB = "api"
#: Dumps in the backup directory; ``latest.sql.gz`` (a link or copy of the newest) is not one.
DUMP_PATTERN = "*.sql.gz"
LATEST_DUMP = "latest.sql.gz"


def missing_in_release(release: Release, paths: Iterable[str]) -> list[str]:
    """The paths the release (its HEAD commit) does not hold as a non-empty file.

    Example: ``assert missing_in_release(release, ["src/app.py"]) == []``
    """
    return [p for p in paths if not (release.read_text(p) or "").strip()]


def host_path(variable: str, *parts: str) -> str:
    """A path on the application host, under the directory an environment variable names
    (``APP_DIR``: the deployed application, ``BACKUP_DIR``: its database dumps).

    Example: ``host.file(host_path("APP_DIR", ".env"))``
    """
    base = os.environ.get(variable)
    if not base:
        raise AssertionError(f"{variable} is not set: the directory on the application host")
    return posixpath.join(base, *parts)


def backup_dumps(host: Host) -> list[FileState]:
    """The database dumps in ``BACKUP_DIR`` (regular files), oldest first.

    Example: ``newest = backup_dumps(host)[-1]``
    """
    listed = host.files(host_path("BACKUP_DIR"), DUMP_PATTERN)
    dumps = [f for f in listed if f.is_file and posixpath.basename(f.path) != LATEST_DUMP]
    return sorted(dumps, key=lambda f: (f.mtime is None, f.mtime, f.path))


def newest_dump(host: Host) -> FileState:
    """The most recent dump in ``BACKUP_DIR``; none at all fails the check.

    Example: ``thresholds.check("backup_age_h", newest_dump(host).age_s / 3600)``
    """
    dumps = backup_dumps(host)
    assert dumps, f"no database dump ({DUMP_PATTERN}) in {host_path('BACKUP_DIR')}"
    return dumps[-1]


def api_window(prometheus: Metrics, *, skip_s: int = 0, min_s: int = 20, cap_s: int = 600) -> int:
    """Seconds of a Prometheus range that starts ``skip_s`` after the API process started (the
    deploy restarts it; ``skip_s`` leaves its warm-up out), at most ``cap_s`` long: trends
    never mix the release before with this one.

    Right after a deployment the process may be too young for ``min_s`` seconds of samples:
    then this waits until it is (bounded: ``skip_s + min_s`` seconds at most).

    Example: ``w = api_window(prometheus); prometheus.required_value(f"deriv(x[{w}s])")``
    """
    query = f'time() - max(process_start_time_seconds{{job="{API_JOB}"}})'
    deadline = time.monotonic() + skip_s + min_s
    uptime = prometheus.required_value(query)
    while uptime - skip_s - 2 < min_s and time.monotonic() < deadline:
        time.sleep(1)
        uptime = prometheus.required_value(query)
    window = int(min(uptime - skip_s, cap_s)) - 2
    assert window >= min_s, f"the API started {uptime:.0f} s ago: too short a window to judge"
    return window


def alert_rules_of_release(release: Release) -> list[str]:
    """Names of the alerting rules in the release's ``config/prometheus/alert_rules.yml``.

    Example: ``assert set(alert_rules_of_release(release)) <= prometheus.alert_rules().keys()``
    """
    text = release.read_text("config/prometheus/alert_rules.yml")
    assert text, "the release has no config/prometheus/alert_rules.yml"
    data: Any = yaml.safe_load(text) or {}
    groups = data.get("groups", []) if isinstance(data, dict) else []
    return [
        str(rule["alert"])
        for group in groups
        if isinstance(group, dict)
        for rule in group.get("rules") or []
        if isinstance(rule, dict) and "alert" in rule
    ]


def check_alerts_configured(prometheus: Metrics, release: Release, evidence: Evidence) -> None:
    """Every alerting rule of the release's ``alert_rules.yml`` is loaded in Prometheus, and
    Prometheus sends alerts to an Alertmanager.

    Example: ``check_alerts_configured(prometheus, release, evidence)``
    """
    wanted = alert_rules_of_release(release)
    loaded = prometheus.alert_rules()
    evidence.add("rules", loaded)
    assert wanted, "config/prometheus/alert_rules.yml defines no alerting rule"
    missing = [name for name in wanted if name not in loaded]
    assert missing == [], f"alerting rules of the release that Prometheus has not loaded: {missing}"
    managers = prometheus.required_value(
        'max(prometheus_notifications_alertmanagers_discovered{job="prometheus"})'
    )
    evidence.add("alertmanagers", managers)
    assert managers >= 1, "Prometheus sends its alerts to no Alertmanager"


_MB = 1024**2


def api_memory_mb(prometheus: Metrics, over: str, window_s: int | None = None) -> float:
    """The API process's resident memory (MB): ``over="now"``, or the ``max``/``min`` over
    the last ``window_s`` seconds (``max_over_time``), from Prometheus's samples.

    Example: ``peak = api_memory_mb(prometheus, "max", api_window(prometheus))``
    """
    selector = f'process_resident_memory_bytes{{job="{API_JOB}"}}'
    if over == "now":
        return prometheus.required_value(f"max({selector})") / _MB
    return prometheus.required_value(f"max({over}_over_time({selector}[{window_s}s]))") / _MB


#: The API's first seconds (imports, pools, caches filling) are not its steady state.
WARM_UP_S = 10


def check_memory_stable(prometheus: Metrics, thresholds: Thresholds, evidence: Evidence) -> None:
    """After its warm-up, the API's resident memory stayed within a band: max - min (MB) over
    the window since, from Prometheus's samples, against ``api_memory_spread_mb``.

    Example: ``check_memory_stable(prometheus, thresholds, evidence)``
    """
    window = api_window(prometheus, skip_s=WARM_UP_S)
    low = api_memory_mb(prometheus, "min", window)
    high = api_memory_mb(prometheus, "max", window)
    evidence.add("window_s", window)
    evidence.add("rss_mb", {"min": round(low, 1), "max": round(high, 1)})
    thresholds.check("api_memory_spread_mb", high - low)
