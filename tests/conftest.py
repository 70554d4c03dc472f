from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.servers.silent",  # first: tests.servers.http imports it
    "tests.servers.postgres",
    "tests.servers.redis",
    "tests.servers.http",
    "tests.servers.docker",
    "tests.servers.tls",
    "tests.servers.ssh",
    "tests.servers.prometheus",
]


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester with no outside options or deployment environment leaking into the inner run."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.delenv("DEPLOYREADY_ENV", raising=False)
    return pytester
