"""The ``release`` fixture: the git state of the checkout the suite runs in, read-only.

Which commit, branch and tags are under test, whether the tree is clean, whether the version
a service reports is that commit or one of its ancestors, and which migrations the repository
holds that the database has not applied. Every call is a read-only ``git`` command (with
``GIT_OPTIONAL_LOCKS=0``, so not even ``git status`` refreshes the index of the checkout).

Example::

    def test_release_branch(release):
        assert release.branch.startswith("release/"), release.branch
        assert not release.dirty, release.changed_files

    def test_deployed_version(release, api):
        deployed = api.get("/version").json()["commit"]
        assert release.contains(deployed), f"{deployed} is not in {release.describe()}"

    def test_migrations_applied(release, db):
        assert release.unapplied_migrations("migrations", db.migrations().applied) == []
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from pytest_deployready.errors import DeployReadyError, TargetNotConfigured

__all__ = ["GitError", "Release", "flyway_version", "leading_version"]

_REF = re.compile(r"^[A-Za-z0-9._/@^~{}+-]+$")


class GitError(DeployReadyError):
    """A git command failed or took too long; the message says which and why."""


def leading_version(stem: str) -> str:
    """``0012_optimization`` → ``0012``; ``20240101120000_add_index`` → ``20240101120000``.

    The default way :meth:`Release.unapplied_migrations` reads a version from a file name.
    """
    return re.split(r"[_\-.]", stem, maxsplit=1)[0]


def flyway_version(stem: str) -> str:
    """``V2_1__add_orders`` → ``2.1`` (Flyway's versioned migrations, as its history table has)."""
    match = re.match(r"^[Vv](?P<v>[0-9_.]+?)__", stem)
    return match.group("v").replace("_", ".") if match else stem


class Release:
    """The git checkout at ``root`` (the suite's directory; the ``release`` fixture).

    ``timeout_s`` bounds each git command.
    """

    def __init__(self, root: str | Path, *, timeout_s: float = 10.0) -> None:
        self.root = Path(root)
        self.timeout_s = timeout_s

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        __tracebackhide__ = True
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
        try:
            out = subprocess.run(
                ["git", *args],
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                check=False,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise GitError("release: git is not installed (no `git` on PATH)") from None
        except subprocess.TimeoutExpired:
            raise GitError(
                f"release: `git {' '.join(args)}` timed out after {self.timeout_s:g} s"
            ) from None
        if check and out.returncode != 0:
            why = (out.stderr.strip().splitlines() or ["failed"])[-1]
            raise GitError(f"release: `git {' '.join(args)}` in {self.root}: {why}")
        return out

    def checkout_problem(self) -> str | None:
        """Why :attr:`root` is not a git checkout with a commit (``None`` when it is).

        Example: ``Release("/srv/app").checkout_problem()  # 'no such directory'``
        """
        if not self.root.exists():
            return "no such directory"
        if not self.root.is_dir():
            return "not a directory"
        out = self._git("rev-parse", "--verify", "HEAD", check=False)
        if out.returncode != 0:
            return "not a git checkout with a commit"
        return None

    @functools.cached_property
    def commit(self) -> str:
        """The full commit id checked out (HEAD)."""
        __tracebackhide__ = True
        out = self._git("rev-parse", "--verify", "HEAD", check=False)
        if out.returncode != 0:
            raise TargetNotConfigured(
                f"release: {self.root} is not a git checkout with a commit "
                "(run the suite from the release's checkout)"
            )
        return out.stdout.strip()

    @property
    def short_commit(self) -> str:
        return self.commit[:12]

    @functools.cached_property
    def branch(self) -> str | None:
        """The branch checked out, or None on a detached HEAD (as CI systems often check out)."""
        self.commit  # noqa: B018 - a clear error outside a checkout
        out = self._git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return out.stdout.strip() or None if out.returncode == 0 else None

    @functools.cached_property
    def tags(self) -> list[str]:
        """Tags that point at HEAD, sorted (``["v2.4.0"]`` on a tagged release)."""
        out = self._git("tag", "--points-at", self.commit)
        return sorted(line for line in out.stdout.splitlines() if line)

    @property
    def changed_files(self) -> list[str]:
        """Tracked files that differ from HEAD (staged or not), as ``git status`` names them."""
        self.commit  # noqa: B018
        out = self._git("status", "--porcelain", "--untracked-files=no")
        return [line[3:] for line in out.stdout.splitlines() if len(line) > 3]

    @property
    def dirty(self) -> bool:
        """True when tracked files differ from the commit under test."""
        return bool(self.changed_files)

    def describe(self) -> str:
        """``v2.4.0 (3f2c1e0a9b1c) on release/2.4`` — for messages."""
        name = self.tags[0] if self.tags else self.short_commit
        where = f" on {self.branch}" if self.branch else " (detached)"
        extra = f" ({self.short_commit})" if self.tags else ""
        return f"{name}{extra}{where}{' with uncommitted changes' if self.dirty else ''}"

    def resolve(self, ref: str) -> str | None:
        """The commit a ref (id, short id, tag, branch) names, or None when it names none."""
        if not ref or not _REF.match(ref) or ref.startswith("-"):
            return None
        out = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return out.stdout.strip() or None if out.returncode == 0 else None

    def contains(self, ref: str) -> bool:
        """True when ``ref`` is the commit under test or one of its ancestors.

        A deployed version reported by a service (a commit id or a tag) passes when it is part
        of this release's history; an unknown ref is False (fetch the tags if it should exist).

        Example: ``assert release.contains(api.get("/version").json()["commit"])``
        """
        commit = self.resolve(ref)
        if commit is None:
            return False
        if commit == self.commit:
            return True
        out = self._git("merge-base", "--is-ancestor", commit, self.commit, check=False)
        if out.returncode not in (0, 1):
            raise GitError(f"release: cannot compare {ref} with HEAD: {out.stderr.strip()}")
        return out.returncode == 0

    def files(self, directory: str, pattern: str = "*") -> list[str]:
        """Files committed in HEAD under ``directory`` (relative to the checkout) matching
        ``pattern``, sorted by name. Uncommitted files do not count: they are not the release.

        Example: ``release.files("migrations", "*.sql")[-1]  # 'migrations/0012_optimization.sql'``
        """
        out = self._git("ls-tree", "-r", "--name-only", self.commit, "--", directory)
        paths = [PurePosixPath(line) for line in out.stdout.splitlines() if line]
        return sorted(str(p) for p in paths if p.match(pattern))

    def unapplied_migrations(
        self,
        directory: str,
        applied: Iterable[str],
        *,
        pattern: str = "*",
        version: Callable[[str], str] = leading_version,
    ) -> list[str]:
        """Migration files of the release whose version the database has not applied.

        ``applied`` is what the database says (``db.migrations().applied``); ``version`` reads
        a file's version from its name without the extension (default: the leading token,
        ``0012_optimization`` → ``0012``; :func:`flyway_version` for Flyway).

        Example::

            pending = release.unapplied_migrations("migrations", db.migrations().applied)
            assert pending == [], f"not applied: {pending}"
        """
        done = {str(a) for a in applied}
        done |= {version(a) for a in done}  # a table that stores whole names
        pending = []
        for path in self.files(directory, pattern):
            stem = PurePosixPath(path).name.split(".", 1)[0]
            if version(stem) not in done and stem not in done:
                pending.append(path)
        return pending

    def read_text(self, path: str) -> str | None:
        """The content of ``path`` (relative to the checkout) as committed in HEAD, or None when
        the release has no such file (or it is a directory). Uncommitted edits do not count:
        they are not the release.

        Example: ``assert "## Rollback" in (release.read_text("OPERATIONS_RUNBOOK.md") or "")``
        """
        clean = str(PurePosixPath(path))
        if not clean or clean.startswith(("-", "/")) or ".." in PurePosixPath(clean).parts:
            raise ValueError(f"release.read_text: {path!r} is not a path inside the checkout")
        out = self._git("cat-file", "-t", f"{self.commit}:{clean}", check=False)
        if out.returncode != 0 or out.stdout.strip() != "blob":
            return None  # not in the release, or a directory
        return self._git("cat-file", "blob", f"{self.commit}:{clean}").stdout
