"""Constants and helpers shared by the checks of the AI-chat Phase 2 release suite."""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_deployready import (
    Api,
    Database,
    Evidence,
    Metrics,
    SampleResult,
    Thresholds,
    elapsed_ms,
)

#: The endpoint behind the seed's ``store_message`` (``POST /api/ai/chat`` in the seed).
CHAT_PATH = "/api/ai/chat/messages"
#: The booking creation endpoint ("Use your existing booking API endpoint").
BOOKING_PATH = "/api/bookings"
#: Requests per latency sample: enough for a p95, few enough to stay far below the API's
#: rate limit when several suites share the demo stack.
SAMPLE_N = 40
SAMPLE_CONCURRENCY = 4
#: User journeys measured end to end (store a message, then book).
JOURNEYS = 5
#: The Prometheus job that scrapes the API, as a label matcher, and its process metrics.
API_JOB = 'job="api"'
RSS = f"process_resident_memory_bytes{{{API_JOB}}}"
CPU = f"process_cpu_seconds_total{{{API_JOB}}}"
#: The shortest history since the deploy worth a verdict (Prometheus scrapes every second).
MIN_WINDOW_S = 10
#: Windows start this long after the deploy's timestamp (whole seconds, taken when the new API
#: answered): a scrape of the restart just before it must not count.
DEPLOY_MARGIN_S = 2
#: The seed's horizons: first hour, first two hours, 48 hours after the deploy.
HOUR_S = 3600
VALIDATION_S = 48 * HOUR_S
#: The pull request this release merges.
PR = 3
#: Log lines that mean something went wrong (the seed's "errors", "import errors", "failures").
ERROR_PATTERN = r"(?i)\b(error|exception|traceback|fatal|panic|failed)\b"


def chat_body(text: str = "Hello, test message") -> dict[str, Any]:
    """The seed's Test 2 payload, in the demo API's field names."""
    return {"content": text}


def booking_body() -> dict[str, Any]:
    """A booking one week from now."""
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    return {"starts_at": starts.isoformat()}


def env_int(name: str) -> int:
    """An integer setting from the runner's environment; fails the check when absent or bad."""
    __tracebackhide__ = True
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        pytest.fail(f"environment variable {name} is not set", pytrace=False)
    try:
        return int(raw)
    except ValueError:
        pytest.fail(f"environment variable {name} is not an integer", pytrace=False)


@dataclass(frozen=True)
class Traffic:
    """Request counts from the API's ``http_requests_total`` counter."""

    total: float
    server_errors: float

    @property
    def error_rate(self) -> float:
        """Share of requests answered with a 5xx status (0.0 before any request)."""
        return self.server_errors / self.total if self.total else 0.0


def jobs_status(api: Api) -> dict[str, int]:
    """``GET /api/jobs/status``: queues, workers, processed and failed background jobs."""
    __tracebackhide__ = True
    response = api.get("/api/jobs/status")
    assert response.status_code == 200, f"/api/jobs/status answered {response.status_code}"
    body = response.json()
    assert isinstance(body, dict), f"/api/jobs/status: expected a JSON object, got {body!r}"
    return {key: int(body[key]) for key in ("queues", "workers", "processed", "failed")}


def timed_post(api: Api, path: str, body: dict[str, Any]) -> tuple[int, float, Any]:
    """POST one request: status, time in ms, JSON body (None when not JSON)."""
    response = api.post(path, json=body)
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    return response.status_code, elapsed_ms(response), payload


def env_present(names: list[str]) -> dict[str, bool]:
    """Which of these environment variables are set and not empty (values are never read out)."""
    return {name: bool(os.environ.get(name, "").strip()) for name in names}


def summary(sample: SampleResult) -> dict[str, Any]:
    """The numbers of a latency sample a release manager wants to see (ms, rounded)."""
    return {
        "count": sample.count,
        "errors": sample.errors,
        "p50_ms": ms(sample.p50_ms),
        "p95_ms": ms(sample.p95_ms),
        "p99_ms": ms(sample.p99_ms),
        "mean_ms": ms(sample.mean_ms),
        "max_ms": ms(sample.max_ms),
    }


def ms(value: float) -> float | None:
    """A duration rounded for evidence; None when nothing was measured (NaN)."""
    return round(value, 1) if math.isfinite(value) else None


def statements_on(db: Database, tables: list[str], limit: int = 10) -> list[dict[str, Any]]:
    """The slowest statements (by mean time) that mention any of ``tables``, slowest first."""
    seen: dict[str, dict[str, Any]] = {}
    for table in tables:
        for s in db.slow_statements(limit=limit, like=f"%{table}%"):
            seen[s["query"]] = {
                "query": s["query"][:120],
                "calls": s["calls"],
                "mean_ms": round(s["mean_exec_time"], 3),
                "max_ms": round(s["max_exec_time"], 3),
            }
    return sorted(seen.values(), key=lambda s: -float(s["mean_ms"]))[:limit]


def check_pool_usage(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """Connections in use (active or in a transaction) as a share of the app's pool."""
    __tracebackhide__ = True
    pool_size = env_int("DB_POOL_SIZE")
    counts = db.connection_counts()
    in_use = counts["active"] + counts["idle in transaction"]
    evidence.add("connections", counts)
    evidence.add("pool_size", pool_size)
    evidence.add("max_connections", db.max_connections)
    thresholds.check("db_pool_usage", in_use / pool_size)


def background_success_rate(api: Api, evidence: Evidence) -> float:
    """processed / (processed + failed) background jobs, from ``/api/jobs/status``."""
    __tracebackhide__ = True
    status = jobs_status(api)
    evidence.add("jobs", status)
    done = status["processed"] + status["failed"]
    assert done > 0, "no background job has finished yet: the success rate is undefined"
    return status["processed"] / done


def mean_query_ms(db: Database, evidence: Evidence) -> float:
    """Mean execution time per call over every statement pg_stat_statements saw here (ms)."""
    __tracebackhide__ = True
    assert db.extension_installed("pg_stat_statements"), (
        f"pg_stat_statements is not installed in {db.dbname}: query time cannot be measured"
    )
    row = db.rows(
        "SELECT sum(calls) AS calls, sum(total_exec_time) AS total_ms FROM pg_stat_statements"
        " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )[0]
    calls = int(row["calls"] or 0)
    assert calls > 0, "pg_stat_statements recorded no calls in this database"
    mean = float(row["total_ms"]) / calls
    evidence.add("calls", calls)
    evidence.add("mean_ms_per_call", round(mean, 3))
    return mean


def env_path(name: str) -> str:
    """A path the deployment exports (``APP_DIR``, ``BACKUP_DIR``); fails the check when unset."""
    __tracebackhide__ = True
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(f"environment variable {name} is not set: where is it on the host?")
    return value


def memory_growth_mb_per_h(prometheus: Metrics, span: str, evidence: Evidence) -> float:
    """How much the API's resident memory grows per hour over ``span`` (``"600s"``), in MB.

    The trend (least squares, ``deriv``) times the window, per hour of it: over an hour or
    more, the hourly rate; over less (right after a deploy), the growth so far — a few seconds
    of history are not extrapolated to an hour, but growing the hour's budget already fails.
    """
    __tracebackhide__ = True
    seconds = int(span.rstrip("s"))
    evidence.add("window", span)
    evidence.add("rss_mb", round(prometheus.required_value(f"max({RSS})") / 1e6, 1))
    per_s = prometheus.required_value(f"max(deriv({RSS}[{span}]))")
    evidence.add("trend_mb_per_h", round(per_s * 3600 / 1e6, 1))
    return per_s * seconds / max(seconds, HOUR_S) * HOUR_S / 1e6


def uptime_ratio(prometheus: Metrics, span: str, evidence: Evidence) -> float:
    """Share of Prometheus's scrapes of the API that succeeded over ``span`` (``up``)."""
    __tracebackhide__ = True
    evidence.add("window", span)
    evidence.add(
        "scrapes", prometheus.required_value(f"sum(count_over_time(up{{{API_JOB}}}[{span}]))")
    )
    return prometheus.required_value(f"min(avg_over_time(up{{{API_JOB}}}[{span}]))")
