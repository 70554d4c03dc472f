"""Exceptions shared by the plugin and its service fixtures."""

from __future__ import annotations

__all__ = [
    "DeployReadyError",
    "ReadOnlyViolation",
    "TargetNotConfigured",
    "TargetUnreachable",
]


class DeployReadyError(Exception):
    """Base class of every error raised by pytest-deployready."""


class TargetNotConfigured(DeployReadyError):
    """A fixture's target is missing from the configuration.

    The message names the config key (and the environment variable) to set, e.g.
    ``no PostgreSQL target: set targets.database_url in [tool.deployready] (or DATABASE_URL)``.
    """


class TargetUnreachable(DeployReadyError):
    """A target could not be reached; the message says what, where and why, without credentials.

    Example: ``cannot reach PostgreSQL at db.internal:5432: connection refused``.
    """


class ReadOnlyViolation(DeployReadyError):
    """A check tried to change a target through a read-only fixture."""
