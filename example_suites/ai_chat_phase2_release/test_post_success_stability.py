"""Success Criteria: Stability ✅"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, Thresholds

from .support import Traffic, background_success_rate, check_pool_usage

pytestmark = pytest.mark.phase("post")


# seed line 361
def test_error_rate_success(traffic: Traffic, thresholds: Thresholds, evidence: Evidence) -> None:
    """Error rate < 0.1%"""
    evidence.add("requests", traffic.total)
    evidence.add("server_errors", traffic.server_errors)
    thresholds.check("error_rate", traffic.error_rate)


# seed line 362
@pytest.mark.manual(
    "DevOps",
    reason=(
        "not provided by the demo stack: no process memory metric is exposed; "
        "read 48 hours of memory from the host's monitoring"
    ),
)
def test_no_memory_leaks_success() -> None:
    """No memory leaks"""


# seed line 363
def test_database_connections_stable_success(
    db: Database, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Database connections stable"""
    check_pool_usage(db, thresholds, evidence)


# seed line 364
def test_background_task_success_rate_success(
    api: Api, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Background task success rate >99%"""
    thresholds.check("background_task_success_rate", background_success_rate(api, evidence))
