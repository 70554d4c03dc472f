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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_deployready._redact import url_host
from pytest_deployready.config import DeployConfig

__all__ = [
    "GitState",
    "git_dirty",
    "git_state",
    "plugin_version",
    "run_metadata",
    "target_hosts",
]

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


@dataclass(frozen=True)
class GitState:
    """The checkout at a rootdir: commit, branch (None when detached) and whether tracked
    files differ from the commit; all None outside a git checkout."""

    commit: str | None = None
    branch: str | None = None
    dirty: bool | None = None


def git_state(rootdir: Path) -> GitState:
    """Commit, branch and dirtiness from one ``git status`` (one process, not three).

    Untracked files are not counted as changes: the run's own outputs (a record written next
    to the suite) would otherwise make every second run "dirty".
    """
    out = _run_git(rootdir, "status", "--porcelain=v2", "--branch", "--untracked-files=no")
    if out is None or out.returncode != 0:
        return GitState()
    commit = branch = None
    dirty = False
    for line in out.stdout.splitlines():
        if line.startswith("# branch.oid "):
            oid = line.removeprefix("# branch.oid ").strip()
            commit = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line.removeprefix("# branch.head ").strip()
            branch = None if head == "(detached)" else head
        elif line and not line.startswith("#"):
            dirty = True
    return GitState(commit, branch, dirty)


def git_dirty(rootdir: Path) -> bool | None:
    """True when tracked files at ``rootdir`` differ from the commit; None outside git."""
    return git_state(rootdir).dirty


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
    rootdir: Path, config: DeployConfig, *, git: GitState | None = None
) -> dict[str, Any]:
    """Everything the record's ``metadata`` holds (``git``: already read by the caller)."""
    state = git if git is not None else git_state(rootdir)
    return {
        "git_commit": state.commit,
        "git_branch": state.branch,
        "git_dirty": state.dirty,
        "run_by": _who(),
        "host": platform.node(),
        "plugin_version": plugin_version(),
        "python": platform.python_version(),
        "config_file": str(config.path) if config.path else None,
        "config_digest": config.digest,
        "targets": target_hosts(config),
    }
