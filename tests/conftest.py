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


def pytest_configure(config: pytest.Config) -> None:
    """Our markers are known to this (not opted-in) session too.

    Some tests build marked functions outside pytester (e.g. exec of a scaffolded module);
    without this they passed only when an earlier in-process run had registered the markers.
    """
    from pytest_deployready._vocabulary import MARKERS

    for name in MARKERS:
        config.addinivalue_line("markers", f"{name}: pytest-deployready's marker (for tests)")


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
