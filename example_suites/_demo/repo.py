"""The demo application's git repository: a real checkout with the release's history.

:func:`build_app_repo` writes the files of ``app_repo/`` (docs, configuration, scripts, the
smaller source modules), the demo app's own source as ``src/app.py`` and its migrations, and
commits them with real ``git`` commands: the release before (tagged ``v1.0-pre-phase2``,
``previous-stable-tag``, ``v0.2.0``), six merged pull requests, then the release under test
(tagged ``v0.3.0``, ``v2.0-phase2``). Nothing depends on the user's git configuration.

Example::

    repo = build_app_repo(workdir / "app-repo", prometheus_yml="global: ...")
    repo.head, repo.previous  # commit ids
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HEAD_TAGS",
    "MERGE_ORDER",
    "PREVIOUS_TAGS",
    "AppRepo",
    "RepoError",
    "build_app_repo",
    "make_dirty",
]

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "app_repo"
RELEASE_TAG = "v0.3.0"
HEAD_TAGS = (RELEASE_TAG, "v2.0-phase2")
PREVIOUS_TAGS = ("v1.0-pre-phase2", "previous-stable-tag", "v0.2.0")
GIT_TIMEOUT_S = 30.0
DIRTY_LINE = "# hotfix: edited on the server after the release was committed\n"

#: The pull requests merged into the release, in merge order: (number, branch, files added).
MERGE_ORDER: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (14, "redis-cache-layer", ("src/infrastructure/redis_cache.py", "docs/cache-configuration.md")),
    (15, "cache-middleware", ("src/middleware/cache_middleware.py",)),
    (
        17,
        "performance-monitoring",
        (
            "src/middleware/performance_middleware.py",
            "config/prometheus/prometheus.yml",
            "config/prometheus/alert_rules.yml",
            "config/alertmanager/alertmanager.yml",
            "docs/performance-monitoring.md",
        ),
    ),
    (16, "fastapi-redis-integration", ("src/integrations/fastapi_redis_integration.py",)),
    (
        3,
        "po-query-optimization",
        (
            "migrations/0012_optimization.sql",
            "src/db/migrations/performance_optimization.py",
            "tests/test_performance_optimization.py",
            "docs/database-optimization.md",
        ),
    ),
    (10, "rollback-plan", ("docs/rollback-plan.md", "OPERATIONS_RUNBOOK.md")),
)
#: Files of the release itself (the last commit), not of the release before or a pull request.
RELEASE_FILES = ("STATUS.md",)


class RepoError(RuntimeError):
    """A git command failed while building the repository (one line)."""


@dataclass(frozen=True)
class AppRepo:
    """The built repository: where it is, the release's commit and the release before's."""

    path: Path
    head: str
    previous: str
    tag: str = RELEASE_TAG


def _files(prometheus_yml: str) -> dict[str, bytes]:
    """Every file of the release under test: ``{relative path: content}``."""
    files = {
        str(p.relative_to(TEMPLATE_DIR)): p.read_bytes()
        for p in sorted(TEMPLATE_DIR.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    files["src/app.py"] = (PACKAGE_DIR / "app.py").read_bytes()
    for migration in sorted((PACKAGE_DIR / "migrations").glob("*.sql")):
        files[f"migrations/{migration.name}"] = migration.read_bytes()
    files["config/prometheus/prometheus.yml"] = prometheus_yml.encode()
    return files


class _Git:
    """``git`` in ``root`` with a fixed identity and no user or system configuration."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = int(time.time()) - 14 * 86400  # history over the last two weeks
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "HOME": str(root.parent),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "Release Bot",
            "GIT_AUTHOR_EMAIL": "release-bot@deployready.demo",
            "GIT_COMMITTER_NAME": "Release Bot",
            "GIT_COMMITTER_EMAIL": "release-bot@deployready.demo",
        }

    def __call__(self, *args: str) -> str:
        stamp = f"@{self.clock} +0000"
        env = {**self.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        try:
            out = subprocess.run(
                ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT_S,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise RepoError(f"git {args[0]}: {exc}") from exc
        if out.returncode != 0:
            why = (out.stderr.strip().splitlines() or ["failed"])[-1]
            raise RepoError(f"git {' '.join(args[:2])} in {self.root}: {why}")
        return out.stdout.strip()

    def commit(self, message: str, hours_later: float = 24) -> str:
        self.clock += int(hours_later * 3600)
        self("commit", "-q", "-m", message)
        return self("rev-parse", "HEAD")


def _write(root: Path, files: dict[str, bytes], names: list[str] | tuple[str, ...]) -> None:
    for name in names:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[name])
        if name.endswith(".sh"):
            target.chmod(0o755)


def build_app_repo(path: Path, *, prometheus_yml: str) -> AppRepo:
    """Create the repository at ``path`` (must not exist); raises :class:`RepoError`.

    ``prometheus_yml`` is this run's ``config/prometheus/prometheus.yml`` (the real ports).
    """
    if shutil.which("git") is None:
        raise RepoError("git is not installed (apt-get install git)")
    files = _files(prometheus_yml)
    later = {name for _, _, names in MERGE_ORDER for name in names} | set(RELEASE_FILES)
    before = sorted(name for name in files if name not in later)
    path.mkdir(parents=True)
    git = _Git(path)
    git("init", "-q", "-b", "main")
    _write(path, files, before)
    runbook = "OPERATIONS_RUNBOOK.md"  # the release before's runbook had no rollback section
    (path / runbook).write_bytes(files[runbook].split(b"\n## Rollback")[0] + b"\n")
    git("add", "-A")
    previous = git.commit("release before: marketplace API v0.2.0", hours_later=0)
    for tag in PREVIOUS_TAGS:
        git("tag", tag)
    for number, branch, names in MERGE_ORDER:
        git("checkout", "-q", "-b", f"team/{branch}")
        _write(path, files, names)
        git("add", "-A")
        git.commit(f"{branch.replace('-', ' ').capitalize()} (#{number})")
        git("checkout", "-q", "main")
        git.clock += 3600
        git(
            "merge", "-q", "--no-ff", f"team/{branch}",
            "-m", f"Merge pull request #{number} from team/{branch}",
        )  # fmt: skip
        git("branch", "-q", "-d", f"team/{branch}")
    _write(path, files, RELEASE_FILES)
    git("add", "-A")
    head = git.commit(f"Release {RELEASE_TAG}: cache layer and query optimisation", hours_later=2)
    for tag in HEAD_TAGS:
        git("tag", tag)
    if git("status", "--porcelain"):
        raise RepoError(f"the new repository {path} is not clean after the last commit")
    return AppRepo(path=path, head=head, previous=previous)


def make_dirty(repo: AppRepo) -> None:
    """The ``--broken`` fault: ``src/app.py`` changed after the release was committed."""
    with (repo.path / "src" / "app.py").open("a") as f:
        f.write(DIRTY_LINE)
