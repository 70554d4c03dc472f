"""One percentile definition (``stats.percentile``, linear interpolation), used by every
latency summary: pinned values for n = 1, 2, 5, 100, and both users held to it."""

from __future__ import annotations

import itertools

import pytest

from pytest_deployready import redis as redis_module
from pytest_deployready import sampling, stats
from pytest_deployready.redis import RedisTarget
from pytest_deployready.sampling import SampleResult
from pytest_deployready.stats import percentile


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([42.0], 0, 42.0),
        ([42.0], 50, 42.0),
        ([42.0], 95, 42.0),
        ([42.0], 100, 42.0),
        ([20.0, 10.0], 0, 10.0),
        ([20.0, 10.0], 50, 15.0),  # nearest rank: 10
        ([20.0, 10.0], 95, 19.5),  # nearest rank: 20
        ([20.0, 10.0], 100, 20.0),
        ([1.0, 2.0, 3.0, 4.0, 100.0], 50, 3.0),
        ([1.0, 2.0, 3.0, 4.0, 100.0], 90, 61.6),
        ([1.0, 2.0, 3.0, 4.0, 100.0], 95, 80.8),  # nearest rank: 100
        ([1.0, 2.0, 3.0, 4.0, 100.0], 99, 96.16),
        ([float(v) for v in range(100, 0, -1)], 50, 50.5),  # nearest rank: 50
        ([float(v) for v in range(1, 101)], 90, 90.1),
        ([float(v) for v in range(1, 101)], 95, 95.05),  # nearest rank: 95
        ([float(v) for v in range(1, 101)], 99, 99.01),
    ],
)
def test_pinned_values(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == pytest.approx(expected)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 100.5)


def test_every_user_imports_the_one_definition() -> None:
    assert vars(sampling)["percentile"] is stats.percentile
    assert vars(redis_module)["percentile"] is stats.percentile


def test_api_sample_summary_uses_it() -> None:
    result = SampleResult.from_measurements(
        method="GET",
        path="/",
        concurrency=1,
        latencies_ms=[1.0, 2.0, 3.0, 4.0, 100.0],
        statuses=[200] * 5,
        transport_errors={},
        duration_s=1.0,
        expect_status=range(200, 400),
    )
    assert result.p50_ms == 3.0
    assert result.p95_ms == pytest.approx(80.8)


def test_redis_ping_latency_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same five round trips, same p95 as api.sample (nearest rank said 100)."""
    target = RedisTarget("redis://127.0.0.1:1/0")
    pings = itertools.cycle([4.0, 100.0, 1.0, 3.0, 2.0])
    monkeypatch.setattr(target, "ping_ms", lambda: next(pings))
    latency = target.ping_latency(n=5)
    assert latency == {"min": 1.0, "p50": 3.0, "p95": pytest.approx(80.8), "max": 100.0}
