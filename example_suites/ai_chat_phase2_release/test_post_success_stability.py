"""Success Criteria: Stability ✅"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_deployready import Api, Database, Evidence, Metrics, Thresholds

from .support import (
    VALIDATION_S,
    Traffic,
    background_success_rate,
    check_pool_usage,
    memory_growth_mb_per_h,
)

pytestmark = pytest.mark.phase("post")


# seed line 361
def test_error_rate_success(traffic: Traffic, thresholds: Thresholds, evidence: Evidence) -> None:
    """Error rate < 0.1%"""
    evidence.add("requests", traffic.total)
    evidence.add("server_errors", traffic.server_errors)
    thresholds.check("error_rate", traffic.error_rate)


# seed line 362
def test_no_memory_leaks_success(
    prometheus: Metrics,
    window: Callable[[float], str],
    thresholds: Thresholds,
    evidence: Evidence,
) -> None:
    """No memory leaks"""
    # The trend of the API's resident memory over the 48 hours since the deploy, per hour.
    growth = memory_growth_mb_per_h(prometheus, window(VALIDATION_S), evidence)
    thresholds.check("memory_growth_mb_per_h", growth)


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
