"""The configuration's objects: targets, timeouts, thresholds, report settings, waivers.

Built and validated by :mod:`pytest_deployready.config` (which re-exports them); frozen, and
their ``repr`` masks secrets (a URL's password can end up in a traceback with ``--showlocals``).

Example::

    cfg = load_config(rootdir)  # a DeployConfig
    cfg.targets.database_url, cfg.timeouts.http_s, cfg.thresholds["api_p95_ms"].rule.text
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_deployready._redact import Redactor
from pytest_deployready._rules import Rule
from pytest_deployready._vocabulary import DEFAULT_PHASES

__all__ = [
    "CLI_THRESHOLD_SOURCE",
    "ApiTarget",
    "DeployConfig",
    "HostTarget",
    "ReportSettings",
    "Targets",
    "ThresholdSpec",
    "Timeouts",
    "Waiver",
]

CLI_THRESHOLD_SOURCE = "--deploy-threshold"
_TARGET_STR_KEYS = (
    "database_url",
    "redis_url",
    "api_base_url",
    "api_token_env",
    "compose_file",
    "compose_project",
    "prometheus_url",
    "alertmanager_url",
    "metrics_url",
    "tls_ca_file",
    "release_repo",
)
_LATER_TARGET_KEYS = frozenset({"alertmanager_url", "metrics_url", "tls_ca_file", "release_repo"})
_OVERRIDE_SOURCE = re.compile(r"\[(?:tool\.deployready\.)?env\.[^\]]*\]$")


@dataclass(frozen=True)
class ApiTarget:
    """One HTTP API instance: ``ApiTarget("eu", "https://eu.example.com", "EU_API_TOKEN")``."""

    name: str
    base_url: str
    token_env: str | None = None

    def __repr__(self) -> str:
        return _masked_repr(self)


@dataclass(frozen=True)
class HostTarget:
    """One machine for the ``host`` fixture: ``HostTarget("web1", "ssh://deploy@web1:22")``.

    ``url`` is a pytest-testinfra host spec (``local://``, ``ssh://user@host:port``,
    ``docker://container``); ``allow_commands`` lets checks run arbitrary commands there;
    ``known_hosts`` pins the SSH host keys (a known_hosts file, checked strictly).
    """

    name: str
    url: str
    identity_file: str | None = None
    allow_commands: bool = False
    sudo: bool = False
    known_hosts: str | None = None

    def __repr__(self) -> str:
        return _masked_repr(self)


@dataclass(frozen=True)
class Targets:
    """Where the checks connect to; ``None`` means not configured.

    Example::

        Targets(api_base_url="http://127.0.0.1:8000").api_targets()[0].name  # 'api'
    """

    database_url: str | None = None
    redis_url: str | None = None
    api_base_url: str | None = None
    api_token_env: str | None = None
    compose_file: str | None = None
    compose_project: str | None = None
    prometheus_url: str | None = None
    alertmanager_url: str | None = None
    metrics_url: str | None = None
    tls_ca_file: str | None = None
    #: The git checkout the ``release`` fixture reads (default: the config file's checkout).
    release_repo: str | None = None
    apis: tuple[ApiTarget, ...] = ()
    hosts: tuple[HostTarget, ...] = ()

    def __repr__(self) -> str:
        return _masked_repr(self)

    def api_targets(self) -> tuple[ApiTarget, ...]:
        """``apis`` if given, else one target named ``api`` from ``api_base_url``, else ``()``.

        Example::

            [t.base_url for t in cfg.targets.api_targets()]
        """
        if self.apis:
            return self.apis
        if self.api_base_url:
            return (ApiTarget("api", self.api_base_url, self.api_token_env),)
        return ()


@dataclass(frozen=True)
class Timeouts:
    """Timeouts in seconds, all positive: ``Timeouts(connect_s=2.0).http_s  # 10.0``."""

    connect_s: float = 5.0
    statement_s: float = 30.0
    http_s: float = 10.0
    command_s: float = 30.0


@dataclass(frozen=True)
class ThresholdSpec:
    """A named rule and where it was set.

    Example::

        ThresholdSpec("api_p95_ms", parse_rule("< 200"), "deployready.toml [env.production]")
    """

    name: str
    rule: Rule
    source: str


@dataclass(frozen=True)
class ReportSettings:
    """The record's title and output paths: ``ReportSettings(record="out/record.json")``."""

    title: str = "Deployment record"
    record: str | None = None
    html: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class Waiver:
    """A waived check: a failure of ``check`` becomes ``waived`` until ``expires`` (inclusive).

    Example::

        Waiver("tests/test_db.py::test_indexes", "INC-42: index built tonight",
               datetime.date(2030, 1, 31))
    """

    check: str
    justification: str
    expires: datetime.date | None = None
    run: bool = True


@dataclass(frozen=True)
class DeployConfig:
    """The effective configuration of a run, with where each value came from.

    Example::

        cfg = load_config(rootdir, env_name="production")
        cfg.timeouts.connect_s  # 5.0
        cfg.overridden()  # {'targets.database_url': 'deployready.toml [env.production]'}
    """

    path: Path | None
    environment: str | None
    phases: tuple[str, ...] = DEFAULT_PHASES
    default_severity: str = "major"
    signoff: tuple[str, ...] = ()
    targets: Targets = field(default_factory=Targets)
    thresholds: Mapping[str, ThresholdSpec] = field(default_factory=dict)
    timeouts: Timeouts = field(default_factory=Timeouts)
    report: ReportSettings = field(default_factory=ReportSettings)
    waivers: tuple[Waiver, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", _digest(self))

    def overridden(self) -> dict[str, str]:
        """The ``sources`` entries set by an environment overlay or on the command line.

        Example::

            cfg.overridden()  # {'thresholds.api_p95_ms': '--deploy-threshold'}
        """
        return {
            key: source
            for key, source in self.sources.items()
            if source == CLI_THRESHOLD_SOURCE or _OVERRIDE_SOURCE.search(source)
        }


def _masked_repr(obj: Any) -> str:
    # URLs may carry passwords; a repr can end up in a traceback (--showlocals).
    fields = ", ".join(f"{f.name}={getattr(obj, f.name)!r}" for f in dataclasses.fields(obj))
    return Redactor().redact(f"{type(obj).__name__}({fields})")


# -- digest ------------------------------------------------------------------------------------


def _digest(cfg: DeployConfig) -> str:
    """``sha256:`` of the canonical JSON of the effective values (URL passwords masked)."""
    t = cfg.targets
    values: dict[str, Any] = {
        "phases": list(cfg.phases),
        "default_severity": cfg.default_severity,
        "signoff": list(cfg.signoff),
        "targets": {
            **{
                key: getattr(t, key)
                for key in _TARGET_STR_KEYS
                # keys added later count only when set: older configurations keep their digest
                if key not in _LATER_TARGET_KEYS or getattr(t, key) is not None
            },
            "apis": [dataclasses.asdict(api) for api in t.apis],
            # only when set: configurations without hosts keep the digest they had
            **({"hosts": [dataclasses.asdict(h) for h in t.hosts]} if t.hosts else {}),
        },
        "thresholds": {
            name: spec.rule.canonical  # "<1" == "< 1.0"; baseline rules keep their modifier
            for name, spec in cfg.thresholds.items()
        },
        "timeouts": dataclasses.asdict(cfg.timeouts),
        "report": {  # summary only when set: older configurations keep their digest
            k: v for k, v in dataclasses.asdict(cfg.report).items() if k != "summary" or v
        },
        "waivers": [
            {
                "check": w.check,
                "justification": w.justification,
                "expires": w.expires.isoformat() if w.expires else None,
                "run": w.run,
            }
            for w in cfg.waivers
        ],
    }
    canonical = json.dumps(
        Redactor().redact_data(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
