"""8. Documentation"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from pytest_deployready import Api, Evidence, Release

pytestmark = [pytest.mark.phase("pre"), pytest.mark.severity("minor")]

#: The release before this one (the seed's ``<PREVIOUS_TAG>``).
PREVIOUS_TAG = "v0.2.0"
RUNBOOK = "OPERATIONS_RUNBOOK.md"
API_DOCS = "docs/api.md"
ENV_EXAMPLE = ".env.example"
#: `GET /path` in a document; a `file.ext` or a `directory/` of the repository in backquotes.
ENDPOINT = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)")
FILE = re.compile(r"`([\w./-]*\.(?:md|txt|py|sh|yml|yaml|toml|sql|example))`")
DIRECTORY = re.compile(r"`([\w-]+(?:/[\w-]+)*/)`")
MIGRATION_RANGE = re.compile(r"\b(\d{4})\.\.(\d{4})\b")
#: How Python code reads an environment variable: ``environ["X"]``, ``.get("X")``,
#: ``getenv("X")``, ``settings["X"]``.
ENV_READ = re.compile(
    r"""(?:\.get|getenv)\s*\(\s*["']([A-Z][A-Z0-9_]{2,})["']"""
    r"""|(?<=[\w)\]])\[\s*["']([A-Z][A-Z0-9_]{2,})["']\s*\]"""
)
#: The demo's own switches (fault injection, its log file, the commit it reports): set by the
#: demo stack, not configuration an operator writes into .env.
DEMO_ONLY = "DEMO_"


def _exists(release: Release, path: str) -> bool:
    path = path.rstrip("/")
    return release.read_text(path) is not None or bool(release.files(path))


def _answers(api: Api, method: str, path: str) -> int:
    """The status of one request without a body (a POST with ``{}`` only gets validated)."""
    if method == "GET":
        return api.get(path).status_code
    return api.request(method, path, json={}).status_code


def test_pr_15_merged(merged_prs: dict[int, str], evidence: Evidence) -> None:
    """**PR #15** merged (STATUS.md complete)"""
    assert 15 in merged_prs, f"PR #15 is not merged into the release (merged: {list(merged_prs)})"
    evidence.add("merge_commit", merged_prs[15][:12])


def test_readme_up_to_date(release: Release, api: Api, evidence: Evidence) -> None:
    """README.md up to date"""
    # What the README points at exists in this release and on the deployed API, and the
    # migration range it states ends at the release's newest migration.
    text = release.read_text("README.md")
    assert text, "README.md is not committed in the release (or is empty)"
    paths = sorted(set(FILE.findall(text)) | set(DIRECTORY.findall(text)))
    stale_paths = [p for p in paths if not _exists(release, p)]
    endpoints = sorted(set(ENDPOINT.findall(text)))
    missing = [f"{m} {p}" for m, p in endpoints if _answers(api, m, p) in (404, 405)]
    evidence.add("paths", paths)
    evidence.add("endpoints", [f"{m} {p}" for m, p in endpoints])
    assert stale_paths == [], f"README.md names files the release does not have: {stale_paths}"
    assert missing == [], f"README.md names endpoints the API does not serve: {missing}"
    newest = PurePosixPath(release.files("migrations", "*.sql")[-1]).name[:4]
    stated = [end for _, end in MIGRATION_RANGE.findall(text)]
    evidence.add("migration_range_stated", stated)
    assert all(end == newest for end in stated), (
        f"README.md states migrations up to {stated}, the release's newest is {newest}"
    )


def test_api_documentation_generated(release: Release, api: Api, evidence: Evidence) -> None:
    """API documentation generated"""
    # docs/api.md is committed and every endpoint it documents is served by the deployed API.
    text = release.read_text(API_DOCS)
    assert text, f"{API_DOCS} is not committed in the release (or is empty)"
    endpoints = sorted(set(ENDPOINT.findall(text)))
    assert endpoints, f"{API_DOCS} documents no endpoint (`GET /path`)"
    answers = {f"{m} {p}": _answers(api, m, p) for m, p in endpoints}
    evidence.add("documented", answers)
    missing = [e for e, status in answers.items() if status in (404, 405)]
    assert missing == [], f"{API_DOCS} documents endpoints the API does not serve: {missing}"


def test_deployment_runbook_updated(release: Release, evidence: Evidence) -> None:
    """Deployment runbook updated (OPERATIONS_RUNBOOK.md)"""
    text = release.read_text(RUNBOOK)
    assert text, f"{RUNBOOK} is not committed in the release (or is empty)"
    before = release.read_text(RUNBOOK, ref=PREVIOUS_TAG)
    evidence.add("changed_since", PREVIOUS_TAG)
    assert text != before, f"{RUNBOOK} is unchanged since {PREVIOUS_TAG}"
    headings = [ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")]
    evidence.add("sections", headings)
    assert any("rollback" in h.lower() for h in headings), f"{RUNBOOK} has no Rollback section"
    paths = sorted(set(FILE.findall(text)))
    stale = [p for p in paths if not _exists(release, p)]
    assert stale == [], f"{RUNBOOK} names files the release does not have: {stale}"


def test_environment_variables_documented(release: Release, evidence: Evidence) -> None:
    """Environment variables documented"""
    # Every variable the release's code reads is listed in .env.example.
    example = release.read_text(ENV_EXAMPLE)
    assert example is not None, f"{ENV_EXAMPLE} is not committed in the release"
    documented = {
        line.split("=", 1)[0].strip()
        for line in example.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    read: dict[str, str] = {}
    for path, number, line in release.grep(r"""["'][A-Z][A-Z0-9_]{2,}["']"""):
        if path.startswith("src/") and path.endswith(".py"):
            for match in ENV_READ.finditer(line):
                read.setdefault(match[1] or match[2], f"{path}:{number}")
    evidence.add("documented", sorted(documented))
    evidence.add("read_by_the_code", sorted(read))
    undocumented = {
        n: w for n, w in read.items() if n not in documented and not n.startswith(DEMO_ONLY)
    }
    assert read, "found no environment variable read in src/: is the code in the release?"
    assert undocumented == {}, f"variables the code reads but {ENV_EXAMPLE} omits: {undocumented}"
