"""Check a run's ``--deploy-*`` targets and output paths against its configuration, up front.

Everything here runs in ``pytest_configure``, before any check: a bad value is a
``pytest.UsageError`` (exit 4) naming the option, and nothing is written.

Example::

    outputs = check_outputs(config, cfg)      # OutputSettings(record_path=..., ...)
    names = selected_targets(["blue,green"], cfg)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_deployready._outputs import OutputPathError, OutputPaths
from pytest_deployready._redact import Redactor
from pytest_deployready.config import DeployConfig

__all__ = ["OutputSettings", "check_outputs", "register_target_secrets", "selected_targets"]


@dataclass
class OutputSettings:
    """The run's output paths, checked (``outputs.OutputPaths`` keeps guarding them)."""

    guard: OutputPaths
    record_path: Path | None = None
    html_path: Path | None = None
    summary_path: Path | None = None
    sign_key: Path | None = None


def register_target_secrets(redactor: Redactor, cfg: DeployConfig) -> None:
    """Every configured target's credentials, and its API tokens, are masked in all output."""
    t = cfg.targets
    for url in (
        t.database_url,
        t.redis_url,
        t.prometheus_url,
        t.alertmanager_url,
        t.metrics_url,
        *(h.url for h in t.hosts),  # ssh://user:password@host
    ):
        redactor.add_url(url)
    for api in cfg.targets.api_targets():
        redactor.add_url(api.base_url)
        if api.token_env:
            redactor.add(os.environ.get(api.token_env))


def selected_targets(values: Iterable[str], cfg: DeployConfig) -> list[str]:
    """``--deploy-target NAMES`` (repeatable comma lists): configured API target names."""
    known = [t.name for t in cfg.targets.api_targets()]
    selected: list[str] = []
    for name in (n.strip() for v in values for n in v.split(",")):
        if name not in known:
            raise pytest.UsageError(
                f"--deploy-target: unknown target {name!r}; configured targets: "
                f"{', '.join(known) or 'none (add targets.apis to the config)'}"
            )
        if name not in selected:
            selected.append(name)
    return selected


def check_outputs(config: pytest.Config, cfg: DeployConfig) -> OutputSettings:
    """Every output path, checked before any check runs (``outputs.OutputPaths``)."""
    opt = config.option
    base = config.invocation_params.dir
    out = OutputSettings(OutputPaths(base, config.getini("python_files")))
    guard = out.guard
    try:
        guard.protect("the configuration file", cfg.path)
        for value, what in (
            (opt.deploy_attest, "the attestation file"),
            (opt.deploy_baseline, "the baseline record"),
        ):
            guard.protect(what, Path(base, value) if value else None)
        for option, dest in (("--junitxml", "xmlpath"), ("--html", "htmlpath")):
            if getattr(opt, dest, None):
                guard.foreign_output(option, getattr(opt, dest))
        record = opt.deploy_record or cfg.report.record
        if record:
            out.record_path = guard.output("--deploy-record", record)
        html = opt.deploy_html or cfg.report.html
        if html:
            out.html_path = guard.output("--deploy-html", html)
        summary = opt.deploy_summary or cfg.report.summary
        if summary:
            out.summary_path = guard.output("--deploy-summary", summary)
        if opt.deploy_sign_key:
            out.sign_key = _check_sign_key(Path(base, opt.deploy_sign_key), out.record_path)
            guard.protect("the signing key", out.sign_key)
            from pytest_deployready._signing import envelope_path

            assert out.record_path is not None
            guard.output("the record's signature", str(envelope_path(out.record_path)))
    except OutputPathError as exc:
        raise pytest.UsageError(str(exc)) from None
    return out


def _check_sign_key(key: Path, record_path: Path | None) -> Path:
    """--deploy-sign-key: a usable Ed25519 key, and a JSON record to sign."""
    if record_path is None:
        raise pytest.UsageError("--deploy-sign-key signs the JSON record: give --deploy-record too")
    try:
        from pytest_deployready._signing import SignatureError, check_key
    except ImportError:  # pragma: no cover - cryptography is the sign extra
        raise pytest.UsageError(
            "--deploy-sign-key needs the cryptography package: "
            "pip install 'pytest-deployready[sign]'"
        ) from None
    try:
        check_key(key)
    except SignatureError as exc:
        raise pytest.UsageError(f"--deploy-sign-key: {exc}") from None
    except ImportError:
        raise pytest.UsageError(
            "--deploy-sign-key needs the cryptography package: "
            "pip install 'pytest-deployready[sign]'"
        ) from None
    return key
