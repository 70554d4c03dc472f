"""Performance benchmarks"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Database, Evidence, Thresholds

from ._support import CACHED_ENDPOINT, db_queries_per_request, sample_cached_endpoint

pytestmark = pytest.mark.phase("pre")


def test_record_baseline(
    api: Api, db: Database, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Record baseline metrics before deployment: API response time p50 / p95 / p99

    Run before the rollout (``--deploy-phase=pre --deploy-record pre.json``), this record is
    the baseline of the improvement checks after it (``--deploy-baseline pre.json``).
    """
    result = sample_cached_endpoint(api, n=200)
    evidence.add("baseline", result.as_dict())
    assert result.errors == 0, f"baseline sample of {CACHED_ENDPOINT} had errors: {result}"
    thresholds.check("api_p95_before_ms", result.p95_ms)
    thresholds.check("db_queries_per_request_before", db_queries_per_request(db, api))
