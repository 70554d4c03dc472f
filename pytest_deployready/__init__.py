"""pytest-deployready: deployment checklists as executable checks with a verdict and a record."""

from __future__ import annotations

from pytest_deployready.errors import (
    DeployReadyError,
    ReadOnlyViolation,
    TargetNotConfigured,
    TargetUnreachable,
)
from pytest_deployready.verdict import EXIT_CODES, Outcome, Verdict

__version__ = "0.1.0"

__all__ = [
    "EXIT_CODES",
    "DeployReadyError",
    "Outcome",
    "ReadOnlyViolation",
    "TargetNotConfigured",
    "TargetUnreachable",
    "Verdict",
    "__version__",
]
