"""Immediate checks (within 5 minutes)"""

from __future__ import annotations

import pytest

from pytest_deployready import Api, Compose, Evidence, Metrics, elapsed_ms

from ._support import cached_endpoint, scrape

pytestmark = pytest.mark.phase("post")


@pytest.mark.severity("critical")
def test_all_containers_running(stack: Compose, evidence: Evidence) -> None:
    """All containers running: `docker-compose ps` shows all "Up\""""
    states = stack.states()
    evidence.add("states", {name: state.state for name, state in states.items()})
    down = [name for name, state in states.items() if not state.running]
    assert down == [], f"services not running: {down}"


def test_no_error_logs(stack: Compose, evidence: Evidence) -> None:
    """No error logs: `docker-compose logs | grep -i error` is empty"""
    errors = {name: stack.log_errors(name) for name in stack.services()}
    errors = {name: lines[:10] for name, lines in errors.items() if lines}
    evidence.add("error_lines", errors)
    assert errors == {}, f"error lines in the logs of {sorted(errors)}"


@pytest.mark.severity("critical")
@pytest.mark.rollback_trigger("the API is down after the rollout: follow Immediate Rollback")
def test_api_responds(api: Api, evidence: Evidence) -> None:
    """API responds: `curl http://localhost:8000/health` returns 200"""
    response = api.get("/health")
    evidence.add("status", response.status_code)
    assert response.status_code == 200, f"/health answered {response.status_code}"


def test_cache_is_working(api: Api, evidence: Evidence) -> None:
    """Cache is working: Make 2 identical API calls, second should be faster"""
    # "Faster" on a loopback stack is noise: the cache's answer header is the decisive fact,
    # the two timings are kept as evidence.
    first = api.get(cached_endpoint(2))
    second = api.get(cached_endpoint(2))
    evidence.add(
        "first", {"ms": round(elapsed_ms(first), 2), "x_cache": first.headers.get("x-cache")}
    )
    evidence.add(
        "second", {"ms": round(elapsed_ms(second), 2), "x_cache": second.headers.get("x-cache")}
    )
    assert first.status_code == second.status_code == 200
    assert second.headers.get("x-cache") == "HIT", "the second identical call missed the cache"
    assert second.json() == first.json(), "the cached answer differs from the first one"


def test_metrics_available(api: Api, metrics: Metrics, evidence: Evidence) -> None:
    """Metrics available: `curl http://localhost:8000/metrics` returns data"""
    names = scrape(metrics, api).names()
    evidence.add("series_names", len(names))
    assert names, "/metrics returned no series"
