"""The public API is what ``__all__`` says, and every name in it exists (httpx's own test)."""

from __future__ import annotations

import importlib

import pytest

import pytest_deployready

MODULES = [
    "attest",
    "baseline",
    "cli",
    "compose",
    "config",
    "diff",
    "errors",
    "fixtures",
    "hooks",
    "html_record",
    "http",
    "metadata",
    "metrics",
    "phases",
    "postgres",
    "record",
    "redact",
    "redis",
    "report",
    "rules",
    "run",
    "scaffold",
    "thresholds",
    "verdict",
    "waivers",
]


def test_package_exports() -> None:
    assert sorted(pytest_deployready.__all__) == sorted(
        [
            "EXIT_CODES",
            "DeployReadyError",
            "Outcome",
            "ReadOnlyViolation",
            "TargetNotConfigured",
            "TargetUnreachable",
            "Verdict",
            "__version__",
        ]
    )
    for name in pytest_deployready.__all__:
        assert hasattr(pytest_deployready, name), name


@pytest.mark.parametrize("module", MODULES)
def test_every_module_declares_and_has_its_public_names(module: str) -> None:
    mod = importlib.import_module(f"pytest_deployready.{module}")
    exported = getattr(mod, "__all__", None)
    assert exported is not None, f"pytest_deployready.{module} has no __all__"
    missing = [name for name in exported if not hasattr(mod, name)]
    assert missing == []


def test_public_fixtures_are_the_designed_ones() -> None:
    from pytest_deployready import fixtures

    assert sorted(fixtures.__all__) == sorted(
        ["CheckFixtures", "api", "compose", "db", "deploy_config", "metrics", "redis"]
    )
    per_check = [name for name in vars(fixtures.CheckFixtures) if not name.startswith("_")]
    assert sorted(per_check) == ["evidence", "thresholds"]


def test_plugin_provides_the_designed_fixtures(pytester: pytest.Pytester) -> None:
    """What a user sees: ``pytest --fixtures`` lists every fixture of ours, with its example."""
    result = pytester.runpytest("--fixtures")
    ours = [
        line.split(" ", 1)[0]
        for line in result.stdout.lines
        if "pytest_deployready/fixtures.py:" in line
    ]
    assert sorted(ours) == sorted(
        ["api", "compose", "db", "deploy_config", "evidence", "metrics", "redis", "thresholds"]
    )
