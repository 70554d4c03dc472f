"""Shared fixtures of the production-readiness suite."""

from __future__ import annotations

import os

import pytest

from pytest_deployready import Api, Compose, Database, Exposition, Metrics


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Compose:
    """The Compose stack; a plain skip when the runner has no Docker engine.

    Example::

        def test_healthy(stack):
            assert stack.unhealthy() == []
    """
    if os.environ.get("DEMO_COMPOSE") == "0":
        pytest.skip("no Docker engine: compose checks cannot run here")
    compose: Compose = request.getfixturevalue("compose")
    return compose


@pytest.fixture(scope="session")
def buyer_id(db: Database) -> int:
    """A buyer company whose purchase orders the API serves (and caches) as its hot path.

    Example::

        def test_lookup(api, buyer_id):
            assert api.get(f"/api/purchase-orders?buyer_company_id={buyer_id}").is_success
    """
    found = db.scalar("SELECT min(id) FROM companies")
    assert found is not None, "no companies in the database: the hot path has no data"
    return int(found)


@pytest.fixture
def exposition(api: Api, metrics: Metrics) -> Exposition:
    """A fresh scrape of the API's ``/metrics``.

    Example::

        def test_jobs(exposition):
            assert exposition.counter("background_jobs_processed") > 0
    """
    return metrics.scrape(api, "/metrics")


@pytest.fixture
def traffic(exposition: Exposition) -> dict[str, float]:
    """Requests and 5xx answers counted by the API since it started, and their ratio.

    Example::

        def test_success(traffic, thresholds):
            thresholds.check("success_rate", 1 - traffic["error_rate"])
    """
    series = exposition.series("http_requests")
    assert series, f"http_requests_total has no series yet in {exposition.source}"
    total = sum(s.value for s in series)
    errors = sum(s.value for s in series if s.labels.get("status", "").startswith("5"))
    return {"requests": total, "server_errors": errors, "error_rate": errors / total}
