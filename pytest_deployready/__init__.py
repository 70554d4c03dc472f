"""pytest-deployready: deployment checklists as executable checks with a verdict and a record.

The one list of public names. The fixtures' types are imported from here for annotations::

    from pytest_deployready import Api, Database, Evidence, Thresholds

    def test_orders_index(db: Database, evidence: Evidence) -> None:
        ...

They are loaded lazily, on first use: importing the package (which pytest does for every run,
through the plugin's entry point) loads no service client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_deployready._verdict import EXIT_CODES, Outcome, Verdict
from pytest_deployready.errors import (
    AuthenticationFailed,
    DeployReadyError,
    ReadOnlyViolation,
    TargetNotConfigured,
    TargetTimeout,
    TargetUnreachable,
)

if TYPE_CHECKING:  # the same names as _LAZY below, for type checkers and readers
    from pytest_deployready.compose import Compose, ContainerState, ExecResult, ServiceState
    from pytest_deployready.config import DeployConfig
    from pytest_deployready.host import Host
    from pytest_deployready.http import Api, CorsResult, HealthResult, SecurityHeaders, elapsed_ms
    from pytest_deployready.metrics import Alert, Exposition, Metrics, Series
    from pytest_deployready.postgres import Database
    from pytest_deployready.postgres_results import Archiver, Index, Migrations, Plan
    from pytest_deployready.redis import Memory, Persistence, RedisTarget
    from pytest_deployready.release import Release
    from pytest_deployready.retry import eventually
    from pytest_deployready.sampling import SampleResult
    from pytest_deployready.thresholds import Evidence, Measurement, Thresholds
    from pytest_deployready.tls import Certificate, Tls

__version__ = "0.1.0"

#: public name -> the module that defines it, imported when the name is first used
_LAZY = {
    "Compose": "compose",
    "ContainerState": "compose",
    "ExecResult": "compose",
    "ServiceState": "compose",
    "DeployConfig": "config",
    "Host": "host",
    "Api": "http",
    "CorsResult": "http",
    "HealthResult": "http",
    "SecurityHeaders": "http",
    "elapsed_ms": "http",
    "Alert": "metrics",
    "Exposition": "metrics",
    "Metrics": "metrics",
    "Series": "metrics",
    "Archiver": "postgres_results",
    "Database": "postgres",
    "Index": "postgres_results",
    "Migrations": "postgres_results",
    "Plan": "postgres_results",
    "Memory": "redis",
    "Persistence": "redis",
    "RedisTarget": "redis",
    "Release": "release",
    "eventually": "retry",
    "SampleResult": "sampling",
    "Evidence": "thresholds",
    "Measurement": "thresholds",
    "Thresholds": "thresholds",
    "Certificate": "tls",
    "Tls": "tls",
}

__all__ = [
    "EXIT_CODES",
    "Alert",
    "Api",
    "Archiver",
    "AuthenticationFailed",
    "Certificate",
    "Compose",
    "ContainerState",
    "CorsResult",
    "Database",
    "DeployConfig",
    "DeployReadyError",
    "Evidence",
    "ExecResult",
    "Exposition",
    "HealthResult",
    "Host",
    "Index",
    "Measurement",
    "Memory",
    "Metrics",
    "Migrations",
    "Outcome",
    "Persistence",
    "Plan",
    "ReadOnlyViolation",
    "RedisTarget",
    "Release",
    "SampleResult",
    "SecurityHeaders",
    "Series",
    "ServiceState",
    "TargetNotConfigured",
    "TargetTimeout",
    "TargetUnreachable",
    "Thresholds",
    "Tls",
    "Verdict",
    "__version__",
    "elapsed_ms",
    "eventually",
]


def __getattr__(name: str) -> Any:
    """Import a fixture type's module when the name is first used (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_deployready' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"pytest_deployready.{module}"), name)
    globals()[name] = value  # once: later uses are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
