"""Documentation updates"""

from __future__ import annotations

import pytest

from pytest_deployready import Evidence, Release

pytestmark = [pytest.mark.phase("post"), pytest.mark.severity("minor")]

#: The endpoint this rollout changes (indexes, optimised queries, cache).
PO_ENDPOINT = "/api/purchase-orders"


def _document(release: Release, path: str, evidence: Evidence) -> str:
    """The Markdown document ``path`` as committed in the release: non-empty, with a heading.

    Whether it is good documentation stays a reader's judgement; that it was written and
    shipped with this release is checked here.
    """
    text = release.read_text(path)
    evidence.add("release", release.describe())
    assert text and text.strip(), f"{release.describe()} has no {path} (or it is empty)"
    headings = [line for line in text.splitlines() if line.startswith("#")]
    evidence.add("headings", headings[:20])
    assert headings, f"{path} has no Markdown heading: not a document yet"
    return text


def test_api_documentation(release: Release, evidence: Evidence) -> None:
    """API documentation with new endpoints"""
    text = _document(release, "docs/api.md", evidence)
    assert PO_ENDPOINT in text, f"docs/api.md does not document {PO_ENDPOINT}"


def test_performance_monitoring_guide(release: Release, evidence: Evidence) -> None:
    """Performance monitoring guide"""
    _document(release, "docs/performance-monitoring.md", evidence)


def test_troubleshooting_guide(release: Release, evidence: Evidence) -> None:
    """Troubleshooting guide"""
    _document(release, "docs/troubleshooting.md", evidence)


def test_cache_configuration_guide(release: Release, evidence: Evidence) -> None:
    """Cache configuration guide"""
    _document(release, "docs/cache-configuration.md", evidence)


def test_database_optimization_guide(release: Release, evidence: Evidence) -> None:
    """Database optimization guide"""
    _document(release, "docs/database-optimization.md", evidence)
