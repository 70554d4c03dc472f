"""Fixtures of this suite: the Compose stack and Prometheus (each skipped plainly when absent)."""

from __future__ import annotations

import os
from typing import cast

import pytest

from pytest_deployready import Compose, Metrics

NO_DOCKER = "no Docker engine: compose checks cannot run here"
NO_PROMETHEUS = "no Prometheus: the stack runs without a Prometheus server (DEMO_PROMETHEUS=0)"


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Compose:
    """The ``compose`` fixture, or a plain skip when the runner has no Docker engine.

    Example::

        def test_all_running(stack):
            assert stack.missing() == []
    """
    if os.environ.get("DEMO_COMPOSE") == "0":
        pytest.skip(NO_DOCKER)
    return cast(Compose, request.getfixturevalue("compose"))


@pytest.fixture
def prometheus(request: pytest.FixtureRequest) -> Metrics:
    """The ``metrics`` fixture for checks that query the Prometheus server, or a plain skip
    when the stack runs without one (``DEMO_PROMETHEUS=0``).

    Example::

        def test_api_scraped(prometheus):
            assert prometheus.required_value('up{job="api"}') == 1
    """
    if os.environ.get("DEMO_PROMETHEUS") == "0":
        pytest.skip(NO_PROMETHEUS)
    return cast(Metrics, request.getfixturevalue("metrics"))
