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

__all__ = ["GitError", "MigrationError", "Release", "flyway_version", "leading_version"]

_REF = re.compile(r"^[A-Za-z0-9._/@^~{}+-]+$")
#: A pull request's merge: GitHub's and Gitea's subject ("Merge pull request #14 from team/x"),
#: a squash merge's subject ("Fix types (#14)"), GitLab's body line ("See merge request g/app!14").
_PR_SUBJECT = re.compile(r"^Merge pull request #(?P<merge>\d+)\b|\(#(?P<squash>\d+)\)$")
_MR_BODY = re.compile(r"^See merge request \S*!(?P<mr>\d+)$")


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


class MigrationError(DeployReadyError):
    """The database's migration state cannot be placed in the release's migrations."""


def _version_key(text: str) -> tuple[tuple[int, object], ...]:
    """``"0012"`` < ``"0100"``, ``"2.10"`` > ``"2.9"``: numeric parts as numbers, others as text."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[._-]", text)
    )


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
        applied: Iterable[str] = (),
        *,
        head: str | None = None,
        pattern: str = "*",
        version: Callable[[str], str] = leading_version,
    ) -> list[str]:
        """Migration files of the release whose version the database has not applied.

        ``applied`` is what the database says (``db.migrations().applied``); ``version`` reads
        a file's version from its name without the extension (default: the leading token,
        ``0012_optimization`` → ``0012``; :func:`flyway_version` for Flyway).

        A migration table that keeps only the current revision (Alembic's ``alembic_version``)
        is given as ``head``: the files whose version orders after it are pending (numeric
        parts compare as numbers). A ``head`` that is none of the release's migrations — the
        database is ahead of, or elsewhere than, this release — raises :class:`MigrationError`.

        Example::

            pending = release.unapplied_migrations("migrations", db.migrations().applied)
            assert pending == [], f"not applied: {pending}"

            pending = release.unapplied_migrations("migrations", head=db.migrations().latest)
        """
        files = [
            (path, PurePosixPath(path).name.split(".", 1)[0])
            for path in self.files(directory, pattern)
        ]
        if head is not None:
            head_version = version(str(head))
            known = {version(stem) for _, stem in files} | {stem for _, stem in files}
            if str(head) not in known and head_version not in known:
                raise MigrationError(
                    f"the database's migration head {head!r} is not one of the release's "
                    f"migrations in {directory}/ ({len(files)} files): the database is ahead of "
                    "or elsewhere than this release"
                )
            key = _version_key(head_version)
            return [path for path, stem in files if _version_key(version(stem)) > key]
        done = {str(a) for a in applied}
        done |= {version(a) for a in done}  # a table that stores whole names
        pending = []
        for path, stem in files:
            if version(stem) not in done and stem not in done:
                pending.append(path)
        return pending

    def read_text(self, path: str, *, ref: str | None = None) -> str | None:
        """The content of ``path`` (relative to the checkout) as committed in HEAD, or None when
        the release has no such file (or it is a directory). Uncommitted edits do not count:
        they are not the release. ``ref`` reads it as another commit has it (the previous
        release's tag); None when ``ref`` names no commit.

        Example: ``assert "## Rollback" in (release.read_text("OPERATIONS_RUNBOOK.md") or "")``
        """
        clean = str(PurePosixPath(path))
        if not clean or clean.startswith(("-", "/")) or ".." in PurePosixPath(clean).parts:
            raise ValueError(f"release.read_text: {path!r} is not a path inside the checkout")
        commit = self.commit if ref is None else self.resolve(ref)
        if commit is None:
            return None
        out = self._git("cat-file", "-t", f"{commit}:{clean}", check=False)
        if out.returncode != 0 or out.stdout.strip() != "blob":
            return None  # not in the release, or a directory
        return self._git("cat-file", "blob", f"{commit}:{clean}").stdout

    def grep(self, pattern: str, *, ignore_case: bool = False) -> list[tuple[str, int, str]]:
        """Lines of the files committed in HEAD that match an extended regular expression.

        Binary files are skipped. Each match is ``(path, line_number, line)``.

        Example: ``assert release.grep(r"^(<<<<<<<|>>>>>>>) ") == []  # no conflict markers``
        """
        args = ["grep", "-I", "-n", "-E", "--full-name", "--no-color"]
        if ignore_case:
            args.append("-i")
        out = self._git(*args, "-e", pattern, self.commit, "--", check=False)
        if out.returncode not in (0, 1):
            raise GitError(f"release: `git grep` {pattern!r}: {out.stderr.strip()}")
        found = []
        prefix = f"{self.commit}:"
        for line in out.stdout.splitlines():
            path, _, rest = line.removeprefix(prefix).partition(":")
            number, _, text = rest.partition(":")
            if number.isdigit():
                found.append((path, int(number), text))
        return found

    def merged_prs(self) -> dict[int, str]:
        """Pull requests merged into the release's branch: number → commit, in the order they
        were merged (oldest first). Read from the commits of HEAD's first-parent history (the
        branch itself, not the commits of the branches merged into it): GitHub's ``Merge pull
        request #14 from ...``, GitLab's ``See merge request group/app!14`` and squash merges
        ``Title (#14)``.

        Example: ``assert list(release.merged_prs()) == [14, 15, 17, 16, 3, 10]``
        """
        out = self._git(
            "log", "--first-parent", "--reverse", "--format=%H%x00%s%x00%b%x1e", self.commit
        )
        merged: dict[int, str] = {}
        for entry in out.stdout.split("\x1e"):
            commit, _, rest = entry.strip().partition("\x00")
            subject, _, body = rest.partition("\x00")
            number = _pr_number(subject, body)
            if number is not None:
                merged.setdefault(number, commit)
        return merged


def _pr_number(subject: str, body: str) -> int | None:
    """The pull request a commit merged, from its subject or GitLab's body line, or None."""
    found = _PR_SUBJECT.search(subject.strip())
    if found:
        return int(found.group("merge") or found.group("squash"))
    for line in body.splitlines():
        found = _MR_BODY.match(line.strip())
        if found:
            return int(found.group("mr"))
    return None
