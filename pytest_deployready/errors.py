"""Exceptions shared by the plugin and its service fixtures.

Every error the package raises derives from :class:`DeployReadyError`; pytest's own types are
used only at the plugin boundary (``_plugin.py`` turns a :class:`UsageProblem` into
``pytest.UsageError``, exit 4). The tree::

    DeployReadyError
    ├── UsageProblem               bad input from the user: one line, exit 4 at the boundary
    │   ├── ConfigError            (config)      the configuration file, an override
    │   ├── BaselineError          (baseline)    a record that cannot serve as a baseline
    │   └── AttestationError       (attest)      an attestation file
    ├── RuleError                  (rules)       a threshold rule that cannot be parsed
    ├── BaselineMissing            (rules)       a baseline rule without a baseline value
    ├── ThresholdFailed            (thresholds)  a measured value fails its rule (an assertion)
    ├── UnknownThreshold           (thresholds)  thresholds.check of a name not configured
    ├── TargetNotConfigured        a fixture's target key is not set
    ├── TargetUnreachable          the target gave no usable answer (checks error, one line)
    │   ├── TargetTimeout          ... within its overall deadline ("timed out after N s")
    │   ├── AuthenticationFailed   ... because it refused the credentials
    │   └── TlsHandshakeFailed     (tls)         ... answered, but no TLS session
    ├── ReadOnlyViolation          a check tried to change a target
    └── the services' own: StatementTimeout, TableNotFound (postgres), ComposeError (compose),
        MetricsError (metrics), GitError (release), SignatureError (signing)
"""

from __future__ import annotations

__all__ = [
    "AuthenticationFailed",
    "DeployReadyError",
    "ReadOnlyViolation",
    "TargetNotConfigured",
    "TargetTimeout",
    "TargetUnreachable",
    "UsageProblem",
]


class DeployReadyError(Exception):
    """Base class of every error raised by pytest-deployready."""


class UsageProblem(DeployReadyError):
    """Bad input from the user (configuration, baseline or attestation file): one line.

    The plugin boundary raises it again as ``pytest.UsageError`` (exit 4); the ``deployready``
    command prints it and exits 4.
    """


class TargetNotConfigured(DeployReadyError):
    """A fixture's target is missing from the configuration.

    The message names the config key (and the environment variable) to set, e.g.
    ``no PostgreSQL target: set targets.database_url in [tool.deployready] (or DATABASE_URL)``.
    """


class TargetUnreachable(DeployReadyError):
    """A target gave no usable answer; the message says what, where and why, without credentials.

    The base of every "the target failed" error: the check errors (it does not fail), the
    failure is remembered so later checks fail fast (``_target.FailureMemory``), and
    ``eventually`` retries it.

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
