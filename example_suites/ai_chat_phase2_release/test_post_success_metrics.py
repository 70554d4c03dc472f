"""Success Metrics"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, SampleResult, Thresholds

from .support import Traffic, background_success_rate, mean_query_ms, summary

pytestmark = pytest.mark.phase("post")


# seed line 218
def test_store_message_p95(
    chat_latency: SampleResult, thresholds: Thresholds, evidence: Evidence
) -> None:
    """**Response Time:** P95 < 850ms (store_message)"""
    evidence.add("store_message", summary(chat_latency))
    thresholds.check("store_message_p95_ms", chat_latency.p95_ms)


# seed line 219
def test_booking_p95(
    booking_latency: SampleResult, thresholds: Thresholds, evidence: Evidence
) -> None:
    """**Response Time:** P95 < 420ms (booking)"""
    evidence.add("booking", summary(booking_latency))
    thresholds.check("booking_p95_ms", booking_latency.p95_ms)


# seed line 220
def test_background_task_success_rate(api: Api, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Background Task Success Rate:** >99%"""
    thresholds.check("background_task_success_rate", background_success_rate(api, evidence))


# seed line 221
def test_error_rate(traffic: Traffic, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Error Rate:** <0.1%"""
    evidence.add("requests", traffic.total)
    evidence.add("server_errors", traffic.server_errors)
    thresholds.check("error_rate", traffic.error_rate)


# seed line 222
def test_database_query_time(db: Database, thresholds: Thresholds, evidence: Evidence) -> None:
    """**Database Query Time:** <270ms per query average"""
    thresholds.check("db_query_avg_ms", mean_query_ms(db, evidence))
