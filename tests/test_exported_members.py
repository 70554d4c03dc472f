"""The public API is what ``__all__`` says, and every name in it exists (httpx's own test)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import pytest_deployready

#: Every module of the package, public or internal (``_name``), declares its names; but the
#: plugin module, whose names are pytest's hooks.
MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(pytest_deployready.__path__)
    if info.name != "_plugin"
)


def test_package_exports() -> None:
    assert sorted(pytest_deployready.__all__) == sorted(
        [
            "EXIT_CODES",
            "DeployReadyError",
            "Outcome",
            "ReadOnlyViolation",
            "TargetNotConfigured",
            "TargetTimeout",
            "TargetUnreachable",
            "AuthenticationFailed",
            "Verdict",
            "__version__",
            # the fixtures' types, and what their helpers return
            "Api",
            "Compose",
            "ContainerState",
            "CorsResult",
            "Database",
            "DeployConfig",
            "Evidence",
            "ExecResult",
            "Exposition",
            "HealthResult",
            "Index",
            "Measurement",
            "Memory",
            "Metrics",
            "Migrations",
            "Persistence",
            "Plan",
            "RedisTarget",
            "SampleResult",
            "SecurityHeaders",
            "Series",
            "ServiceState",
            "Thresholds",
            "Tls",
            "Certificate",
            "Release",
            "Host",
            "Alert",
            "Archiver",
            "elapsed_ms",
            "eventually",
        ]
    )
    for name in pytest_deployready.__all__:
        assert hasattr(pytest_deployready, name), name


def test_root_names_are_the_defining_modules_objects() -> None:
    """A lazily exported name is the very object its module defines (not a copy)."""
    for name, module in pytest_deployready._LAZY.items():
        mod = importlib.import_module(f"pytest_deployready.{module}")
        assert getattr(pytest_deployready, name) is getattr(mod, name)
        assert name in mod.__all__, f"{name} is not public in pytest_deployready.{module}"
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = pytest_deployready.Nope


def test_importing_the_package_loads_no_service_client() -> None:
    """pytest imports the plugin in every run: the fixture types load only when used."""
    code = (
        "import sys, pytest_deployready, pytest_deployready._plugin\n"
        "heavy = ['psycopg', 'redis', 'httpx', 'docker', 'prometheus_client', 'yaml']\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("module", MODULES)
def test_every_module_declares_and_has_its_public_names(module: str) -> None:
    mod = importlib.import_module(f"pytest_deployready.{module}")
    exported = getattr(mod, "__all__", None)
    assert exported is not None, f"pytest_deployready.{module} has no __all__"
    missing = [name for name in exported if not hasattr(mod, name)]
    assert missing == []


def test_public_fixtures_are_the_designed_ones() -> None:
    from pytest_deployready import _fixtures as fixtures

    assert sorted(fixtures.__all__) == sorted(
        [
            "CheckFixtures",
            "HostFixture",
            "api",
            "compose",
            "db",
            "deploy_config",
            "metrics",
            "redis",
            "release",
            "tls",
        ]
    )
    per_check = [name for name in vars(fixtures.CheckFixtures) if not name.startswith("_")]
    assert sorted(per_check) == ["evidence", "thresholds"]


def test_plugin_provides_the_designed_fixtures(pytester: pytest.Pytester) -> None:
    """What a user sees: ``pytest --fixtures`` lists every fixture of ours, with its example."""
    result = pytester.runpytest("--fixtures")
    ours = [
        line.split(" ", 1)[0]
        for line in result.stdout.lines
        if "pytest_deployready/_fixtures.py:" in line
    ]
    assert sorted(ours) == sorted(
        [
            "api",
            "compose",
            "db",
            "deploy_config",
            "evidence",
            "metrics",
            "redis",
            "release",
            "thresholds",
            "tls",
        ]
    )
    # `host` only in a suite that opted in: elsewhere pytest-testinfra's `host` stays.
    pytester.makefile(".toml", deployready="[thresholds]\n")
    opted_in = pytester.runpytest("--fixtures")
    assert any(
        line.startswith("host ") and "pytest_deployready/_fixtures.py:" in line
        for line in opted_in.stdout.lines
    )


def test_the_page_style_sheet_uses_the_vocabularys_outcome_colours() -> None:
    """record.css repeats the outcome colours (CSS cannot import): held to vocabulary.py."""
    import re
    from importlib.resources import files

    from pytest_deployready._vocabulary import OUTCOME_COLOURS

    css = (files("pytest_deployready") / "resources" / "record.css").read_text(encoding="utf-8")
    for outcome, colour in OUTCOME_COLOURS.items():
        rule = re.search(rf"\.k-{outcome}\{{background:(#[0-9a-f]{{6}})\}}", css)
        assert rule is not None and rule.group(1) == colour, outcome


def test_one_definition_of_each_word() -> None:
    """The modules that show or decide with the vocabulary use vocabulary.py's objects."""
    from pytest_deployready import _verdict as verdict
    from pytest_deployready import _vocabulary as vocabulary
    from pytest_deployready import config

    assert verdict.Outcome is vocabulary.Outcome and verdict.Verdict is vocabulary.Verdict
    assert verdict.EXIT_CODES is vocabulary.EXIT_CODES
    assert config.SEVERITIES is vocabulary.SEVERITIES
    assert config.DEFAULT_PHASES is vocabulary.DEFAULT_PHASES


def test_every_public_error_is_a_deployready_error() -> None:
    """One error tree (errors.py): nothing the package raises is outside DeployReadyError."""
    import pkgutil

    from pytest_deployready.errors import DeployReadyError

    outside = []
    for info in pkgutil.walk_packages(pytest_deployready.__path__, "pytest_deployready."):
        mod = importlib.import_module(info.name)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            error = isinstance(obj, type) and issubclass(obj, BaseException)
            if error and not issubclass(obj, DeployReadyError):
                outside.append(f"{info.name}.{name}")
    assert outside == []
