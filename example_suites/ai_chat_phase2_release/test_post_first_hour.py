"""First Hour Monitoring"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_deployready import (
    Api,
    Compose,
    Database,
    Evidence,
    Exposition,
    Metrics,
    SampleResult,
    Thresholds,
    eventually,
)

from .support import (
    BOOKING_PATH,
    CHAT_PATH,
    HOUR_S,
    RSS,
    jobs_status,
    memory_growth_mb_per_h,
    summary,
)

pytestmark = pytest.mark.phase("post")

#: How fresh the newest emotion_history entry must be after chat traffic.
EMOTION_FRESH_S = 15 * 60
SCHEDULER_TIMEOUT_S = 15
TASK_FAILURE = r"(?i)(task|job).*(fail|error|exception)|traceback"


# seed line 168
def test_memory_usage(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """**Memory Usage**"""
    # The API process's resident memory over the first hour since the deploy: how much it grew
    # from its lowest to its highest (the seed's budget: 500 MB in an hour).
    span = window(HOUR_S)
    low = prometheus.required_value(f"max(min_over_time({RSS}[{span}]))")
    high = prometheus.required_value(f"max(max_over_time({RSS}[{span}]))")
    evidence.add("window", span)
    evidence.add("rss_mb", {"lowest": round(low / 1e6, 1), "highest": round(high / 1e6, 1)})
    thresholds.check("memory_increase_mb", (high - low) / 1e6)


# seed line 172
def test_memory_stable(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """`ps aux | grep python | grep myhibachi` — Should be stable, not increasing rapidly"""
    # Its trend since the deploy (least squares over every scrape), per hour.
    growth = memory_growth_mb_per_h(prometheus, window(HOUR_S), evidence)
    thresholds.check("memory_growth_mb_per_h", growth)


# seed line 175
def test_background_tasks(api: Api, exposition: Exposition, evidence: Evidence) -> None:
    """**Background Tasks**"""
    status = jobs_status(api)
    evidence.add("jobs", status)
    evidence.add("workers_running_gauge", exposition.gauge("workers_running"))
    assert status["workers"] > 0, "no background workers running"
    assert status["queues"] > 0, "no background job queues"
    assert status["workers"] == exposition.gauge("workers_running"), (
        "/api/jobs/status and the workers_running gauge disagree"
    )
    assert status["processed"] > 0, "no background job has been processed since start"
    assert status["failed"] == 0, f"{status['failed']} background jobs failed"


# seed line 176
def test_emotion_stats_updating(
    db: Database, chat_latency: SampleResult, evidence: Evidence
) -> None:
    """Verify emotion stats updating in emotion_history table"""
    row = db.rows(
        "SELECT count(*) AS recent, extract(epoch FROM now() - max(created_at)) AS age_s"
        " FROM emotion_history WHERE created_at > now() - make_interval(secs => %s)",
        [EMOTION_FRESH_S],
    )[0]
    recent = int(row["recent"])
    evidence.add("entries_last_15_min", recent)
    evidence.add("chat_messages_sent", chat_latency.count)
    assert recent > 0, "no emotion_history entry in the last 15 minutes despite chat traffic"
    assert row["age_s"] is not None and float(row["age_s"]) < EMOTION_FRESH_S


# seed line 177
def test_scheduler_creating_tasks(api: Api, evidence: Evidence) -> None:
    """Verify follow-up scheduler creating tasks"""
    before = jobs_status(api)

    def progressed() -> dict[str, int] | None:
        status = jobs_status(api)
        assert status["processed"] > before["processed"], "the scheduler queued no new task"
        return status

    after = eventually(
        progressed, timeout=SCHEDULER_TIMEOUT_S, interval=0.5, message="scheduler creating tasks"
    )
    assert after is not None
    evidence.add("processed", {"before": before["processed"], "after": after["processed"]})


# seed line 178
def test_no_task_failures_in_logs(stack: Compose, evidence: Evidence) -> None:
    """Check for any task failures in logs"""
    found = {svc: stack.log_errors(svc, pattern=TASK_FAILURE) for svc in stack.services()}
    evidence.add("services_checked", sorted(found))
    bad = {svc: lines[:5] for svc, lines in found.items() if lines}
    assert not bad, f"task failures in the logs: {bad}"


# seed line 180
def test_api_response_distribution(
    chat_latency: SampleResult,
    booking_latency: SampleResult,
    exposition: Exposition,
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """**API Response Distribution**"""
    # Server side: the API's own request-duration histogram, all traffic since it started.
    histogram = "http_request_duration_seconds"
    for name, path, rule in (
        ("store_message", CHAT_PATH, "store_message_p95_ms"),
        ("booking", BOOKING_PATH, "booking_p95_ms"),
    ):
        quantiles = {
            f"p{int(q * 100)}_ms": round(
                exposition.histogram_quantile(histogram, q, method="POST", path=path) * 1000, 1
            )
            for q in (0.5, 0.95, 0.99)
        }
        evidence.add(f"{name}_server_side", quantiles)
        thresholds.check(rule, quantiles["p95_ms"])


# seed line 181
def test_p50_p95_p99_monitored(
    chat_latency: SampleResult, booking_latency: SampleResult, evidence: Evidence
) -> None:
    """Monitor P50, P95, P99 response times"""
    for name, sample in (("store_message", chat_latency), ("booking", booking_latency)):
        evidence.add(name, summary(sample))
        assert sample.errors == 0, (
            f"{name}: {sample.errors} of {sample.count} requests failed, percentiles are not "
            f"representative (statuses {dict(sample.status_counts)})"
        )


# seed line 182
def test_store_message_p95_expected(
    chat_latency: SampleResult, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Expected P95: <850ms (store_message)"""
    evidence.add("store_message", summary(chat_latency))
    thresholds.check("store_message_p95_ms", chat_latency.p95_ms)


# seed line 183
def test_booking_p95_expected(
    booking_latency: SampleResult, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Expected P95: <420ms (booking)"""
    evidence.add("booking", summary(booking_latency))
    thresholds.check("booking_p95_ms", booking_latency.p95_ms)
