"""The ``release`` fixture on real git repositories made by the test."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from pytest_deployready.errors import TargetNotConfigured
from pytest_deployready.release import (
    GitError,
    MigrationError,
    Release,
    flyway_version,
    leading_version,
)

pytest_plugins = ["pytester"]

IDENTITY = ("-c", "user.name=Release Bot", "-c", "user.email=bot@example.invalid")


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *IDENTITY, *args], cwd=repo, check=True, capture_output=True, text=True, timeout=30
    )
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: c1 (migrations 0001, 0002) → c2 tagged v1.1.0 (0003); feature: c3 off c1."""
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "migrations").mkdir()
    for name in ("0001_initial.sql", "0002_orders.sql"):
        (tmp_path / "migrations" / name).write_text("-- sql\n")
    (tmp_path / "app.py").write_text("VERSION = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "c1")
    git(tmp_path, "branch", "feature")
    (tmp_path / "migrations" / "0003_index.sql").write_text("-- sql\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "c2")
    git(tmp_path, "tag", "v1.1.0")
    git(tmp_path, "checkout", "-q", "feature")
    (tmp_path / "other.txt").write_text("x\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "c3")
    git(tmp_path, "checkout", "-q", "main")
    return tmp_path


def test_commit_branch_tags_and_a_clean_tree(repo: Path) -> None:
    release = Release(repo)
    assert release.commit == git(repo, "rev-parse", "HEAD") and len(release.short_commit) == 12
    assert release.branch == "main" and release.tags == ["v1.1.0"]
    assert not release.dirty and release.changed_files == []
    assert release.describe() == f"v1.1.0 ({release.short_commit}) on main"


def test_uncommitted_changes_make_it_dirty_untracked_files_do_not(repo: Path) -> None:
    (repo / "record.json").write_text("{}")  # an output of the run: untracked
    assert not Release(repo).dirty
    (repo / "app.py").write_text("VERSION = 2\n")
    release = Release(repo)
    assert release.dirty and release.changed_files == ["app.py"]
    assert release.describe().endswith("with uncommitted changes")


def test_status_does_not_write_to_the_checkout(repo: Path) -> None:
    """Read-only: even git status's index refresh is off (GIT_OPTIONAL_LOCKS=0)."""
    (repo / "app.py").write_text("VERSION = 1\n")  # same content, new mtime: index is stale
    index = repo / ".git" / "index"
    before = hashlib.sha256(index.read_bytes()).hexdigest(), index.stat().st_mtime_ns
    assert not Release(repo).dirty
    assert (hashlib.sha256(index.read_bytes()).hexdigest(), index.stat().st_mtime_ns) == before


def test_contains_the_release_and_its_ancestors_only(repo: Path) -> None:
    release = Release(repo)
    c1 = git(repo, "rev-parse", "HEAD~1")
    c3 = git(repo, "rev-parse", "feature")
    assert release.contains(release.commit) and release.contains("v1.1.0")
    assert release.contains(c1) and release.contains(c1[:10])  # an older deployed version
    assert not release.contains(c3)  # another branch's commit is not this release
    assert not release.contains("0" * 40) and not release.contains("no-such-tag")
    assert not release.contains("--output=/tmp/x") and not release.contains("")


def test_detached_head_has_no_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    release = Release(repo)
    assert release.branch is None and release.tags == []
    assert release.describe().endswith("(detached)")


def test_migrations_of_the_release_against_the_applied_ones(repo: Path) -> None:
    release = Release(repo)
    assert release.files("migrations", "*.sql") == [
        "migrations/0001_initial.sql",
        "migrations/0002_orders.sql",
        "migrations/0003_index.sql",
    ]
    (repo / "migrations" / "0004_wip.sql").write_text("-- not committed\n")
    assert release.unapplied_migrations("migrations", ["0001", "0002"]) == [
        "migrations/0003_index.sql"
    ]
    applied = ["0001_initial", "0002_orders", "0003_index"]  # a table of whole names
    assert release.unapplied_migrations("migrations", applied) == []


def test_migrations_against_a_head_only_table(repo: Path) -> None:
    """Alembic's ``alembic_version`` keeps only the current revision: ``head=``."""
    release = Release(repo)
    assert release.unapplied_migrations("migrations", head="0003_index") == []
    assert release.unapplied_migrations("migrations", head="0001") == [
        "migrations/0002_orders.sql",
        "migrations/0003_index.sql",
    ]
    with pytest.raises(MigrationError, match="head '0009_later' is not one of the release"):
        release.unapplied_migrations("migrations", head="0009_later")


def test_version_readers() -> None:
    assert leading_version("0012_optimization") == "0012"
    assert leading_version("20240101120000_add_index") == "20240101120000"
    assert flyway_version("V2_1__add_orders") == "2.1" and flyway_version("V3__x") == "3"


def test_outside_a_checkout_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(TargetNotConfigured, match="is not a git checkout with a commit"):
        _ = Release(tmp_path).commit
    with pytest.raises(TargetNotConfigured, match="not a git checkout"):
        Release(tmp_path).files("migrations")
    with pytest.raises(GitError, match=r"release: `git ls-tree .* nope"):
        git(tmp_path, "init", "-q")
        (tmp_path / "a").write_text("a")
        git(tmp_path, "add", "a")
        git(tmp_path, "commit", "-qm", "a")
        Release(tmp_path, timeout_s=5)._git("ls-tree", "nope")


def test_the_fixture_in_a_suite(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready="[thresholds]\n")
    pytester.makepyfile(
        test_release="""
import pytest


@pytest.mark.phase("pre")
def test_clean(release, evidence):
    evidence.add("release", release.describe())
    assert not release.dirty, release.changed_files


@pytest.mark.phase("pre")
def test_tagged(release):
    assert release.tags, f"{release.describe()} has no tag"
"""
    )
    git(pytester.path, "init", "-q", "-b", "release/2.4")
    git(pytester.path, "add", ".")
    git(pytester.path, "commit", "-qm", "release")
    (pytester.path / "test_release.py").write_text(
        (pytester.path / "test_release.py").read_text() + "\n# edited\n"
    )
    result = pytester.runpytest("--deploy-record=record.json")
    assert result.ret == 1
    record = json.loads((pytester.path / "record.json").read_text())
    outcomes = {c["id"].split("::")[1]: c for c in record["checks"]}
    assert outcomes["test_clean"]["outcome"] == "failed"
    assert "test_release.py" in outcomes["test_clean"]["message"]
    assert outcomes["test_tagged"]["outcome"] == "failed"
    assert (
        "on release/2.4 with uncommitted changes has no tag" in outcomes["test_tagged"]["message"]
    )


RELEASE_REPO_SUITE = """
import pytest


@pytest.mark.phase("pre")
def test_release(release, evidence):
    evidence.add("release", release.describe())
    assert release.tags == ["v1.1.0"], release.describe()
"""


def test_release_repo_points_the_fixture_at_another_checkout(
    pytester: pytest.Pytester, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite's own directory is no checkout; ``targets.release_repo`` names the app's."""
    monkeypatch.setenv("APP_REPO", str(repo))
    pytester.makefile(".toml", deployready='[targets]\nrelease_repo = "${APP_REPO}"\n')
    pytester.makepyfile(test_release=RELEASE_REPO_SUITE)
    result = pytester.runpytest("--deploy-record=record.json")
    assert result.ret == 0, result.stdout.str()
    check = json.loads((pytester.path / "record.json").read_text())["checks"][0]
    assert check["outcome"] == "passed"
    assert "v1.1.0" in json.dumps(check["evidence"])


def test_release_repo_relative_to_the_config_file(pytester: pytest.Pytester, repo: Path) -> None:
    suite = pytester.mkdir("suite")
    (suite / "deployready.toml").write_text(
        f'[targets]\nrelease_repo = "../{repo.name}"\n', encoding="utf-8"
    )
    (suite / "test_release.py").write_text(RELEASE_REPO_SUITE)
    link = pytester.path / repo.name
    link.symlink_to(repo)
    result = pytester.runpytest(str(suite), f"--rootdir={suite}")
    assert result.ret == 0, result.stdout.str()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda tmp: tmp / "no-such-repo", "no such directory"),
        (lambda tmp: (tmp / "plain").mkdir() or tmp / "plain", "not a git checkout with a commit"),
        (
            lambda tmp: (tmp / "file.txt").write_text("x") and tmp / "file.txt",
            "not a directory",
        ),
    ],
    ids=["missing", "not-a-checkout", "a-file"],
)
def test_release_repo_that_is_no_checkout_is_one_line_naming_it(
    pytester: pytest.Pytester, tmp_path: Path, make: object, problem: str
) -> None:
    target = make(tmp_path)  # type: ignore[operator]
    pytester.makefile(".toml", deployready=f'[targets]\nrelease_repo = "{target}"\n')
    pytester.makepyfile(test_release=RELEASE_REPO_SUITE)
    result = pytester.runpytest("--deploy-record=record.json")
    assert result.ret == 1, result.stdout.str()
    check = json.loads((pytester.path / "record.json").read_text())["checks"][0]
    assert check["outcome"] == "error"
    assert check["message"] == f"release: targets.release_repo = {target}: {problem}"
    out = result.stdout.str()
    assert "Traceback" not in out and "pytest_deployready/" not in out


@pytest.fixture
def merges(repo: Path) -> Path:
    """main gains: merge of PR #14 (branch team/types), squash "(#15)", GitLab merge of !17."""
    for number, how in ((14, "merge"), (15, "squash"), (17, "gitlab")):
        git(repo, "checkout", "-q", "-b", f"team/pr{number}", "main")
        (repo / f"pr{number}.txt").write_text(f"{number}\n")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", f"work of #{number} (#999)" if how == "merge" else "wip")
        git(repo, "checkout", "-q", "main")
        if how == "squash":
            git(repo, "merge", "-q", "--squash", f"team/pr{number}")
            git(repo, "commit", "-qm", f"Docs complete (#{number})")
        else:
            message = (
                f"Merge pull request #{number} from team/pr{number}"
                if how == "merge"
                else f"Merge branch 'pr{number}' into 'main'\n\nSee merge request team/app!{number}"
            )
            git(repo, "merge", "-q", "--no-ff", "-m", message, f"team/pr{number}")
    return repo


def test_merged_prs_in_merge_order_from_each_kind_of_merge(merges: Path) -> None:
    release = Release(merges)
    merged = release.merged_prs()
    assert list(merged) == [14, 15, 17]  # "(#999)" in a branch commit's subject: not a merge
    assert merged[14] == git(merges, "rev-parse", "HEAD~2")
    assert all(release.contains(commit) for commit in merged.values())
    git(merges, "checkout", "-q", "--detach", "HEAD~1")  # the release before !17
    assert list(Release(merges).merged_prs()) == [14, 15]


def test_read_text_and_grep_see_the_committed_release_only(merges: Path) -> None:
    (merges / "binary.bin").write_bytes(b"\x00\x01password=hunter2\xff")
    (merges / "conf.ini").write_text("[db]\npassword = changeme\n")
    git(merges, "add", ".")
    git(merges, "commit", "-qm", "config")
    (merges / "conf.ini").write_text("[db]\npassword = uncommitted\n")  # not the release
    (merges / "new.txt").write_text("password = untracked\n")
    release = Release(merges)
    assert release.read_text("conf.ini") == "[db]\npassword = changeme\n"
    assert release.read_text("pr14.txt") == "14\n"
    assert release.read_text("pr14.txt", ref="v1.1.0") is None  # not in the release before
    assert release.read_text("conf.ini", ref="HEAD~1") is None
    assert release.read_text("app.py", ref="v1.1.0") == "VERSION = 1\n"
    assert release.read_text("app.py", ref="no-such-tag") is None
    assert release.read_text("new.txt") is None and release.read_text("nope/x") is None
    for bad in ("../etc/passwd", "--help", "/etc/passwd"):
        with pytest.raises(ValueError, match="not a path inside the checkout"):
            release.read_text(bad)
    assert release.grep(r"^password\s*=") == [("conf.ini", 2, "password = changeme")]
    assert release.grep(r"^PASSWORD", ignore_case=True) == [("conf.ini", 2, "password = changeme")]
    assert release.grep(r"^(<<<<<<<|>>>>>>>) ") == []
    assert release.grep("hunter2") == []  # binary files are skipped


def test_read_text_gives_the_committed_content_only(repo: Path) -> None:
    """A file as committed in HEAD; uncommitted edits, directories and missing files are not."""
    (repo / "app.py").write_text("VERSION = 2  # not committed\n")
    (repo / "draft.md").write_text("untracked\n")
    release = Release(repo)
    assert release.read_text("app.py") == "VERSION = 1\n"
    assert release.read_text("migrations/0003_index.sql") == "-- sql\n"
    assert release.read_text("draft.md") is None
    assert release.read_text("migrations") is None
    assert release.read_text("other.txt") is None  # on another branch only
    for bad in ("../etc/passwd", "/etc/passwd", "--output=x"):
        with pytest.raises(ValueError, match="not a path inside the checkout"):
            release.read_text(bad)
