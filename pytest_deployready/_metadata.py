"""Facts about the run for the record's ``metadata`` and the HTML environment table.

Git commit and branch, who ran it, the plugin version, the config digest and the target
hosts — hosts only, never credentials. Example::

    run_metadata(rootdir, config)["git_commit"]  # '3f2c1e0...'
"""

from __future__ import annotations

import getpass
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from pytest_deployready._redact import url_host
from pytest_deployready.config import DeployConfig

__all__ = ["git_commit", "git_dirty", "plugin_version", "run_metadata", "target_hosts"]

# CI systems name the person or bot that started the pipeline in these variables.
_ACTOR_VARIABLES = (
    "GITHUB_ACTOR",
    "GITLAB_USER_LOGIN",
    "BUILD_REQUESTEDFOR",
    "BUILDKITE_BUILD_CREATOR",
)


def plugin_version() -> str:
    from pytest_deployready import __version__

    return __version__


def _run_git(rootdir: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    """``git ARGS`` at ``rootdir``, read-only (no index refresh); None when git cannot run."""
    try:
        return subprocess.run(
            ["git", *args],
            cwd=rootdir,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _git(rootdir: Path, *args: str) -> str | None:
    out = _run_git(rootdir, *args)
    if out is None:
        return None
    value = out.stdout.strip()
    return value if out.returncode == 0 and value else None


def git_commit(rootdir: Path) -> str | None:
    """The commit checked out at ``rootdir``, or None outside a git checkout."""
    return _git(rootdir, "rev-parse", "HEAD")


def git_dirty(rootdir: Path) -> bool | None:
    """True when tracked files at ``rootdir`` differ from the commit; None outside git.

    Untracked files are not counted: the run's own outputs (a record written next to the
    suite) would otherwise make every second run "dirty".
    """
    out = _run_git(rootdir, "status", "--porcelain", "--untracked-files=no")
    if out is None or out.returncode != 0:
        return None
    return bool(out.stdout.strip())


def _who() -> str:
    for name in _ACTOR_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def target_hosts(config: DeployConfig) -> dict[str, str]:
    """``{"database": "db:5432", "api": "api.example:443", ...}`` — no user, no password."""
    t = config.targets
    hosts: dict[str, str] = {}
    if t.database_url:
        hosts["database"] = url_host(t.database_url, 5432)
    if t.redis_url:
        hosts["redis"] = url_host(t.redis_url, 6379)
    apis = t.api_targets()
    for api in apis:
        hosts[f"api:{api.name}" if len(apis) > 1 else "api"] = url_host(api.base_url)
    if t.prometheus_url:
        hosts["prometheus"] = url_host(t.prometheus_url)
    if t.alertmanager_url:
        hosts["alertmanager"] = url_host(t.alertmanager_url)
    if t.compose_file:
        hosts["compose"] = t.compose_project or Path(t.compose_file).name
    return hosts


def run_metadata(
    rootdir: Path, config: DeployConfig, *, commit: str | None = None
) -> dict[str, Any]:
    """Everything the record's ``metadata`` holds (``commit``: already read by the caller)."""
    branch = _git(rootdir, "rev-parse", "--abbrev-ref", "HEAD")
    return {
        "git_commit": commit if commit is not None else git_commit(rootdir),
        "git_branch": None if branch == "HEAD" else branch,
        "git_dirty": git_dirty(rootdir),
        "run_by": _who(),
        "host": platform.node(),
        "plugin_version": plugin_version(),
        "python": platform.python_version(),
        "config_file": str(config.path) if config.path else None,
        "config_digest": config.digest,
        "targets": target_hosts(config),
    }
