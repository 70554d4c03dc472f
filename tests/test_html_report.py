"""End to end: the pytest-html report of a deployment run, and of a run that is not one.

pytest-html 4 renders the results table in the browser from JSON embedded in the
``data-jsonblob`` attribute of ``#data-container``; the summary (where our verdict banner,
phase table, blocking failures, warnings, waivers and sign-off go) and the table header are
static HTML. Both are parsed here with the standard library.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import pytest_deployready
from tests.runner import DeployRunner

pytest_plugins = ["pytester"]

CONFIG = """
signoff = ["Release manager", "DBA on call"]

[report]
title = "Release 4.2 readiness"

[targets]
database_url = "postgresql://reader:${DB_PASSWORD}@127.0.0.1:5999/shop"
api_base_url = "http://127.0.0.1:5998"

[thresholds]
api_p95_ms = "< 200"
cache_hit_ratio = ">= 0.6"

[[waivers]]
check = "test_checks.py::test_health"
justification = "INC-42: probe moved to /livez"
expires = "2099-12-31"
"""

CHECKS = '''
import pytest


@pytest.mark.phase("pre")
@pytest.mark.severity("critical")
@pytest.mark.section("Cache")
def test_cache_hit_ratio(thresholds):
    """Cache hit ratio at least 60 %"""
    thresholds.check("cache_hit_ratio", 0.75)


@pytest.mark.phase("pre")
@pytest.mark.severity("major")
@pytest.mark.section("API")
def test_api_latency(thresholds):
    """API p95 latency within budget"""
    thresholds.check("api_p95_ms", 231.4)


@pytest.mark.phase("post")
@pytest.mark.severity("minor")
@pytest.mark.section("Docs")
def test_runbook_link():
    assert False, "runbook link missing"


@pytest.mark.phase("post")
@pytest.mark.section("API")
def test_health():
    pass
'''

DB_PASSWORD = "pw-Html-2c4e6a8b"
RUN_BY = "release-bot"
BRANCH = "release/4.2"
OUR_HEADERS = ("Title", "Phase", "Severity", "Section", "Measured vs rule")
OUR_IDS = (
    "deployready-verdict",
    "deployready-phases",
    "deployready-blocking",
    "deployready-warnings",
    "deployready-waivers",
    "deployready-signoff",
)


# -- a small DOM from html.parser ----------------------------------------------------------

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Element:
    """An HTML element with its attributes and children (elements and text)."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join("".join(parts).split())

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def by_id(self, element_id: str) -> Element | None:
        return next((e for e in self.iter() if e.attrs.get("id") == element_id), None)

    def rows(self) -> list[list[str]]:
        """The text of each cell (``td`` or ``th``) of each row of a table."""
        return [[c.text() for c in tr.iter() if c.tag in ("td", "th")] for tr in self.iter("tr")]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(element)
        if tag not in _VOID:
            self._stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, 0, -1):
            if self._stack[i].tag == tag:
                del self._stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def parse_html(text: str) -> Element:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root


@dataclass
class Report:
    """A parsed pytest-html report: the static document and the embedded JSON."""

    doc: Element
    blob: dict[str, Any]

    @classmethod
    def read(cls, path: Path) -> Report:
        assert path.is_file(), f"{path} was not written"
        doc = parse_html(path.read_text(encoding="utf-8"))
        container = doc.by_id("data-container")
        assert container is not None, "pytest-html #data-container not found"
        blob: dict[str, Any] = json.loads(container.attrs["data-jsonblob"])
        return cls(doc, blob)

    def headers(self) -> list[str]:
        head = self.doc.by_id("results-table-head")
        assert head is not None, "results table header not found"
        return [th.text() for th in head.iter("th")]

    def row(self, test_name: str) -> dict[str, str]:
        """Header text -> cell text for the (call) row of one test."""
        [nodeid] = [k for k in self.blob["tests"] if k.endswith(f"::{test_name}")]
        runs = self.blob["tests"][nodeid]
        cells = parse_html("".join(runs[-1]["resultsTableRow"]))
        texts = [td.text() for td in cells.iter("td")]
        headers = self.headers()
        assert len(texts) == len(headers), f"{len(texts)} cells for {len(headers)} headers"
        return dict(zip(headers, texts, strict=True))

    def element(self, element_id: str) -> Element:
        found = self.doc.by_id(element_id)
        assert found is not None, f"#{element_id} not in the report"
        return found


# -- running -------------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=Tester", "-c", "user.email=tester@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> str:
    """The deployment suite in a git repository; returns the commit."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.setenv("DB_PASSWORD", DB_PASSWORD)
    monkeypatch.setenv("GITHUB_ACTOR", RUN_BY)
    pytester.makefile(".toml", deployready=CONFIG)
    pytester.makepyfile(test_checks=CHECKS)
    _git(pytester.path, "init", "-q", "-b", BRANCH)
    _git(pytester.path, "add", "-A")
    _git(pytester.path, "commit", "-q", "-m", "checks")
    return _git(pytester.path, "rev-parse", "HEAD")


HTML_ARGS = (
    "--html",
    "report.html",
    "--self-contained-html",
    "--deploy-record",
    "rec.json",
    "--deploy-continue",
)


# -- a deployment run ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra", [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]
)
def test_deployment_report(
    pytester: pytest.Pytester, deploy_run: DeployRunner, project: str, extra: tuple[str, ...]
) -> None:
    result = deploy_run.run(*HTML_ARGS, *extra)
    result.assert_outcomes(passed=2, failed=2)
    report = Report.read(pytester.path / "report.html")
    record = json.loads((pytester.path / "rec.json").read_text(encoding="utf-8"))

    # Title from the config.
    assert report.blob["title"] == "Release 4.2 readiness"
    assert report.element("title").text() == "Release 4.2 readiness"

    # Our columns, after Result and Test, before Duration.
    headers = report.headers()
    assert headers[:2] == ["Result", "Test"]
    assert headers[2:7] == list(OUR_HEADERS)
    assert "Duration" in headers[7:]

    latency = report.row("test_api_latency")
    assert (latency["Result"], latency["Phase"], latency["Severity"], latency["Section"]) == (
        "Failed",
        "pre",
        "major",
        "API",
    )
    assert "api_p95_ms" in latency["Measured vs rule"]
    assert "231.4" in latency["Measured vs rule"]
    assert "< 200" in latency["Measured vs rule"]
    assert "\u2717" in latency["Measured vs rule"]  # failed mark

    ratio = report.row("test_cache_hit_ratio")
    assert (ratio["Result"], ratio["Phase"], ratio["Severity"], ratio["Section"]) == (
        "Passed",
        "pre",
        "critical",
        "Cache",
    )
    assert "0.75" in ratio["Measured vs rule"]
    assert ">= 0.6" in ratio["Measured vs rule"]
    assert "\u2713" in ratio["Measured vs rule"]  # passed mark

    runbook = report.row("test_runbook_link")
    assert (runbook["Phase"], runbook["Severity"], runbook["Section"]) == ("post", "minor", "Docs")
    assert runbook["Measured vs rule"] == ""
    health = report.row("test_health")
    assert (health["Phase"], health["Severity"], health["Section"]) == ("post", "major", "API")

    # The verdict banner.
    banner = report.element("deployready-verdict").text()
    assert "NO_GO" in banner
    assert "GO_WITH_WARNINGS" not in banner
    assert record["verdict"] == "NO_GO"

    # Summary by phase: header row, then one row per phase.
    [head, *rows] = report.element("deployready-phases").rows()
    assert head[0] == "phase"
    by_phase = {row[0]: dict(zip(head[1:], map(int, row[1:]), strict=True)) for row in rows}
    assert set(by_phase) == {"pre", "post"}
    assert by_phase["pre"]["passed"] == 1 and by_phase["pre"]["failed"] == 1
    assert by_phase["post"]["passed"] == 1 and by_phase["post"]["failed"] == 1
    assert sum(by_phase["pre"].values()) == 2 and sum(by_phase["post"].values()) == 2

    blocking = report.element("deployready-blocking").text()
    assert "test_checks.py::test_api_latency" in blocking
    assert "api_p95_ms: measured 231.4 ms, required < 200" in blocking
    assert "test_runbook_link" not in blocking
    warnings = report.element("deployready-warnings").text()
    assert "test_checks.py::test_runbook_link" in warnings
    assert "runbook link missing" in warnings
    assert "test_api_latency" not in warnings

    signoff = report.element("deployready-signoff").rows()
    assert [row[0] for row in signoff[1:]] == ["Release manager", "DBA on call"]

    waivers = report.element("deployready-waivers").text()
    assert "test_checks.py::test_health" in waivers
    assert "INC-42: probe moved to /livez" in waivers
    assert "2099-12-31" in waivers

    # The environment table (pytest-metadata), consistent with the record.
    env = report.blob["environment"]
    assert env["Git commit"] == project == record["metadata"]["git_commit"]
    assert env["Git branch"] == BRANCH
    assert env["Run by"] == RUN_BY
    assert env["pytest-deployready"] == pytest_deployready.__version__
    digest = record["config"]["digest"]
    assert digest.startswith("sha256:")
    assert digest in env["Config"]
    assert "127.0.0.1:5999" in env["Targets"]
    assert "127.0.0.1:5998" in env["Targets"]
    everything = json.dumps(env)
    assert "reader" not in everything
    assert DB_PASSWORD not in everything


def test_threshold_override_shows_in_report(
    pytester: pytest.Pytester, deploy_run: DeployRunner, project: str
) -> None:
    """With the latency budget raised only the minor failure is left: GO_WITH_WARNINGS."""
    result = deploy_run.run(*HTML_ARGS, "--deploy-threshold", "api_p95_ms=< 300")
    result.assert_outcomes(passed=3, failed=1)
    assert result.ret == 0
    report = Report.read(pytester.path / "report.html")

    latency = report.row("test_api_latency")
    assert latency["Result"] == "Passed"
    assert "< 300" in latency["Measured vs rule"]
    assert "\u2713" in latency["Measured vs rule"]

    banner = report.element("deployready-verdict").text()
    assert "GO_WITH_WARNINGS" in banner
    assert report.element("deployready-blocking").text() == "none"
    assert "test_runbook_link" in report.element("deployready-warnings").text()


def test_waived_failure_is_shown_as_waived(
    pytester: pytest.Pytester, deploy_run: DeployRunner, project: str
) -> None:
    """A failure covered by a waiver counts as waived in the phase summary, not as blocking."""
    pytester.makepyfile(
        test_checks='import pytest\n\n@pytest.mark.phase("post")\n'
        "def test_health():\n    assert False, 'probe gone'\n"
    )
    result = deploy_run.run(*HTML_ARGS)
    report = Report.read(pytester.path / "report.html")
    [head, *rows] = report.element("deployready-phases").rows()
    post = dict(zip(head[1:], map(int, rows[0][1:]), strict=True))
    assert (rows[0][0], post["waived"], post["failed"]) == ("post", 1, 0)
    assert "test_health" not in report.element("deployready-blocking").text()
    assert "GO" in report.element("deployready-verdict").text()
    assert "NO_GO" not in report.element("deployready-verdict").text()
    assert result.ret == 0


# -- runs that are not deployment runs -----------------------------------------------------

PLAIN_SUITE = """
import pytest


def test_passes():
    pass


def test_fails():
    assert 1 == 2


@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n
"""


def _strip_volatile(blob: dict[str, Any]) -> dict[str, Any]:
    """The report data without durations and the plugin list."""
    text = json.dumps(blob, sort_keys=True)
    text = re.sub(r'\\"col-duration\\">[^<]*<', r'\\"col-duration\\"><', text)
    text = re.sub(r'"duration": "[^"]*"', '"duration": ""', text)
    data: dict[str, Any] = json.loads(text)
    data["environment"].pop("Plugins", None)
    return data


def test_unrelated_suite_report_is_unchanged(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No config, markers, fixtures or options of ours: pytest-html's report as without us."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makepyfile(test_plain=PLAIN_SUITE)
    reports = []
    for disable in ((), ("-p", "no:deployready")):
        result = deploy_run.run("--html", "report.html", "--self-contained-html", *disable)
        result.assert_outcomes(passed=3, failed=1)
        reports.append(Report.read(pytester.path / "report.html"))
    ours, reference = reports

    assert ours.headers() == reference.headers()
    assert not set(OUR_HEADERS) & set(ours.headers())
    for element_id in OUR_IDS:
        assert ours.doc.by_id(element_id) is None, f"#{element_id} in an unrelated report"
    for key in ("Git commit", "Run by", "pytest-deployready", "Config", "Targets"):
        assert key not in ours.blob["environment"]
    assert ours.blob["title"] == reference.blob["title"] == "report.html"
    assert _strip_volatile(ours.blob) == _strip_volatile(reference.blob)
    summary = ours.doc.iter("div")
    prefix = next(d for d in summary if "prefix" in d.attrs.get("class", "").split())
    assert prefix.text() == ""


def test_marker_only_suite_gets_the_deployment_report(
    pytester: pytest.Pytester, deploy_run: DeployRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Markers alone make a deployment run (DESIGN: markers activate the plugin), so the
    HTML report has our columns and the verdict, as the terminal does."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makepyfile(
        test_marked='import pytest\n\n@pytest.mark.phase("pre")\ndef test_ready():\n    pass\n'
    )
    result = deploy_run.run("--html", "report.html", "--self-contained-html")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["deployready verdict: GO*"])
    report = Report.read(pytester.path / "report.html")
    assert report.headers()[2:7] == list(OUR_HEADERS)
    assert report.row("test_ready")["Phase"] == "pre"
    assert "GO" in report.element("deployready-verdict").text()


def test_report_escapes_html_in_check_data(
    pytester: pytest.Pytester, deploy_run: DeployRunner, project: str
) -> None:
    """Section names and failure messages are text, never markup."""
    pytester.makepyfile(
        test_checks='import pytest\n\n@pytest.mark.phase("pre")\n'
        '@pytest.mark.section("<b>DB</b> & co")\n'
        "def test_markup():\n    assert False, '<script>alert(1)</script>'\n"
    )
    deploy_run.run(*HTML_ARGS)
    report = Report.read(pytester.path / "report.html")
    assert report.row("test_markup")["Section"] == "<b>DB</b> & co"
    blocking = report.element("deployready-blocking")
    assert "<script>alert(1)</script>" in blocking.text()
    assert not list(blocking.iter("script"))
    static = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in static.split('id="data-container"')[0]
