"""Fixtures of this suite: the Compose stack (skipped plainly without a Docker engine)."""

from __future__ import annotations

import os
from typing import cast

import pytest

from pytest_deployready import Compose

NO_DOCKER = "no Docker engine: compose checks cannot run here"


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
