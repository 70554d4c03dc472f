"""The --deploy-html page rendered by a real browser (headless Chromium), on screen and on paper.

String matching shows what the page contains; these show what a person gets: the DOM after the
page's own script ran, and the PDF a ticket gets, whose first page must carry the verdict and
the at-a-glance table.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"]

CONFIG = """
signoff = ["Release manager"]

[report]
title = "Release 4.2 readiness"

[thresholds]
api_p95_ms = "< 200"
"""

CHECKS = '''
import pytest


@pytest.mark.phase("pre")
@pytest.mark.parametrize("n", range(150))
def test_item(n):
    """Checklist item"""
    assert n != 7, "item 7 is broken"


@pytest.mark.phase("post")
@pytest.mark.rollback_trigger("p95 > 200 ms")
def test_latency(thresholds):
    """API p95 under budget"""
    thresholds.check("api_p95_ms", 396.2418710499037)
'''


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium not found: make bootstrap installs Debian's chromium")
    directory = tmp_path_factory.mktemp("rendered")
    (directory / "deployready.toml").write_text(CONFIG)
    (directory / "test_checks.py").write_text(CHECKS)
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--deploy-continue",
         "--deploy-html=record.html"],
        cwd=directory, capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    html = directory / "record.html"
    assert html.is_file()
    return html


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_page_renders_and_its_script_runs(page: Path) -> None:
    dom = _chromium("--dump-dom", page.as_uri()).stdout
    assert 'data-verdict="ROLLBACK"' in dom
    assert "all 151 checks shown" in dom  # the filter bar's counter, as the page drew it
    assert "Rollback triggers fired" in dom and "396.2 ms" in dom


def test_page_one_of_the_pdf_has_the_verdict_and_the_glance(page: Path, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext not found: make bootstrap installs Debian's poppler-utils")
    pdf = tmp_path / "record.pdf"
    _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.is_file() and pdf.stat().st_size > 1000
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "Verdict: ROLLBACK" in first
    assert "Rollback triggers" in first and "API p95 under budget" in first  # may wrap
    assert "roles still to sign: Release manager" in first
    everything = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60,
        check=True,
    ).stdout  # fmt: skip
    assert "Checks (151)" in everything
    assert "filter by title" not in everything  # the filter bar is not printed
