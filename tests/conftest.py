from __future__ import annotations

import pytest

from tests.runner import DeployRunner

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


@pytest.fixture
def deploy_run(pytester: pytest.Pytester) -> DeployRunner:
    """Run pytest on the pytester project and read the record it wrote.

    Example::

        result, record = deploy_run("--deploy-phase=all", subprocess=False, suite=SOURCE)
        plain = deploy_run.run("-p", "no:deployready")  # exactly these arguments, no record
    """
    return DeployRunner(pytester)
