"""Performance benchmarks"""

from __future__ import annotations

import pytest

from pytest_deployready.http import Api
from pytest_deployready.thresholds import Evidence

from ._support import CACHED_ENDPOINT, sample_cached_endpoint

pytestmark = pytest.mark.phase("pre")


def test_record_baseline(api: Api, evidence: Evidence) -> None:
    """Record baseline metrics before deployment: API response time p50 / p95 / p99"""
    result = sample_cached_endpoint(api, n=100)
    evidence.add("baseline", result.as_dict())
    assert result.errors == 0, f"baseline sample of {CACHED_ENDPOINT} had errors: {result}"
