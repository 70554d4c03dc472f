"""Exceptions shared by the plugin and its service fixtures."""

from __future__ import annotations

import contextvars

__all__ = [
    "DeployReadyError",
    "ReadOnlyViolation",
    "TargetNotConfigured",
    "TargetUnreachable",
    "retrying",
]

# Set while eventually() runs: remembered connection failures are retried, not re-raised.
RETRYING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "deployready_retrying", default=False
)


def retrying() -> bool:
    """True while :func:`pytest_deployready.http.eventually` runs a check.

    Every service object that remembers a connection failure (db, redis, api, compose) tries
    again instead of re-raising it, so ``eventually`` waits for a target to come up.
    """
    return RETRYING.get()


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
