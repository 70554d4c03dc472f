"""Exceptions shared by the plugin and its service fixtures.

The tree::

    DeployReadyError
    ├── TargetNotConfigured        a fixture's target key is not set
    ├── TargetUnreachable          the target gave no usable answer (checks error, one line)
    │   ├── TargetTimeout          ... within its overall deadline ("timed out after N s")
    │   └── AuthenticationFailed   ... because it refused the credentials
    └── ReadOnlyViolation          a check tried to change a target
"""

from __future__ import annotations

import contextvars

__all__ = [
    "AuthenticationFailed",
    "DeployReadyError",
    "ReadOnlyViolation",
    "TargetNotConfigured",
    "TargetTimeout",
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
    """A target gave no usable answer; the message says what, where and why, without credentials.

    The base of every "the target failed" error: the check errors (it does not fail), the
    failure is remembered so later checks fail fast, and ``eventually`` retries it.

    Example: ``cannot reach PostgreSQL at db.internal:5432: connection refused``.
    """


class TargetTimeout(TargetUnreachable):
    """A network operation did not finish within its overall deadline (see ``deadlines``).

    Example: ``API at 127.0.0.1:8000: GET /health timed out after 10 s``.
    """


class AuthenticationFailed(TargetUnreachable):
    """The target was reached and refused the credentials (wrong password, no password).

    Example: ``PostgreSQL at db.internal:5432: authentication failed for user "app"``.
    """


class ReadOnlyViolation(DeployReadyError):
    """A check tried to change a target through a read-only fixture."""
