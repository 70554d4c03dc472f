"""Fixtures of this suite: Compose and Prometheus (skipped plainly when absent), a test user."""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from typing import cast

import pytest

from pytest_deployready import Api, Compose, Metrics

NO_DOCKER = "no Docker engine: compose checks cannot run here"
NO_PROMETHEUS = "no Prometheus: the stack runs without a Prometheus server (DEMO_PROMETHEUS=0)"


@dataclass(frozen=True)
class TestUser:
    """A user registered through the API for the functional checks (demo data)."""

    __test__ = False  # not a test class

    id: int
    email: str
    password: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        """The Authorization header of this user."""
        return {"Authorization": f"Bearer {self.token}"}


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


@pytest.fixture(scope="session")
def test_user(api: Api) -> TestUser:
    """A new user, registered and logged in through the API (creates demo data only).

    Example::

        def test_me(api, test_user):
            assert api.get("/auth/me", headers=test_user.auth).status_code == 200
    """
    email = f"release-check-{uuid.uuid4().hex[:12]}@example.com"
    password = secrets.token_urlsafe(16)
    registered = api.post("/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201, f"registration answered {registered.status_code}"
    login = api.post("/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, f"login answered {login.status_code}"
    token = str(login.json()["access_token"])
    return TestUser(int(registered.json()["id"]), email, password, token)
