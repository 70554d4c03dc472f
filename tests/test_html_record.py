"""The self-contained HTML deployment record (``render_record_html``), from record dicts."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

from pytest_deployready._html_record import MAX_LISTED, render_record_html

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'


def _check(
    i: int,
    outcome: str,
    *,
    phase: str | None = "pre",
    section: str = "Database",
    severity: str = "major",
    blocking: bool = False,
    message: str = "",
    rollback_trigger: bool = False,
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": f"checks/test_x.py::test_{i}",
        "title": f"Check number {i}",
        "section": section,
        "phase": phase,
        "phases": [phase] if phase else [],
        "severity": severity,
        "outcome": outcome,
        "blocking": blocking,
        "rollback_trigger": rollback_trigger,
        "manual": None,
        "target": None,
        "waiver": None,
        "attestation": None,
        "attestation_rejected": [],
        "duration_s": 0.25,
        "message": message,
        "thresholds": [{"name": "api_p95_ms", "rule": "< 200", "measured": 231.4, "passed": False}]
        if outcome == "failed"
        else [],
        "evidence": evidence if evidence is not None else {"rows": i, "plan": ["Index Scan"]},
    }


def _record(checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": "deployready.record/1",
        "title": "Shop release",
        "verdict": "NO_GO",
        "verdict_reasons": ["2 blocking check(s) failed or pending"],
        "exit_code": 1,
        "complete": True,
        "environment": "staging",
        "started_at": "2026-11-23T10:00:00+00:00",
        "finished_at": "2026-11-23T10:01:00+00:00",
        "phases": {"order": ["pre", "deploy", "post", "rollback"], "selected": ["pre", "post"]},
        "summary": {"total": len(checks), "blocking": 2, "deselected": 3},
        "metadata": {
            "git_commit": "abc123",
            "git_branch": "release/1.4",
            "run_by": "alice",
            "host": "runner-1",
            "plugin_version": "0.1.0",
            "python": "3.11.7",
            "config_file": "deployready.toml",
            "config_digest": "sha256:feed",
            "targets": {"database": "db.internal:5432", "redis": "user:pw@cache.internal:6379"},
        },
        "config": {"path": "deployready.toml", "digest": "sha256:feed"},
        "checks": checks,
        "attestations": [
            {"check": "signoff", "role": "DBA", "by": "bob", "at": "2026-11-23", "note": "ok"}
        ],
        "waivers": [
            {
                "check": "checks/test_x.py::test_9",
                "justification": "INC-1",
                "expires": "2030-01-01",
                "status": "unused",
                "matched": [],
            }
        ],
        "signoff": [
            {"role": "Release manager", "signed": False, "by": None, "at": None, "note": ""},
            {"role": "DBA", "signed": True, "by": "bob", "at": "2026-11-23", "note": "ok"},
        ],
    }


def _sample() -> dict[str, Any]:
    return _record(
        [
            _check(1, "passed", phase="post", section="API"),
            _check(2, "failed", blocking=True, message="api_p95_ms: measured 231.4"),
            _check(3, "pending", severity="critical", blocking=True, message="manual: pending"),
            _check(4, "failed", severity="minor", message="minor thing"),
            _check(5, "error", phase="post", rollback_trigger=True, blocking=True, message="boom"),
            _check(6, "skipped", phase=None, section="", message="not here"),
            _check(7, "passed", section="Redis"),
        ]
    )


class _TagCounter(HTMLParser):
    """Counts start and end tags, to check the page's structure is balanced."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: dict[str, int] = {}
        self.ends: dict[str, int] = {}
        self.ids: list[str] = []
        self.attrs_seen: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts[tag] = self.starts.get(tag, 0) + 1
        self.attrs_seen.extend(attrs)
        self.ids.extend(v for k, v in attrs if k == "id" and v is not None)

    def handle_endtag(self, tag: str) -> None:
        self.ends[tag] = self.ends.get(tag, 0) + 1


def _parse(page: str) -> _TagCounter:
    parser = _TagCounter()
    parser.feed(page)
    parser.close()
    return parser


def test_page_is_balanced_and_has_every_part() -> None:
    page = render_record_html(_sample())
    tags = _parse(page)
    for tag in ("details", "section", "div", "ul", "table", "summary", "script", "style"):
        assert tags.starts.get(tag, 0) == tags.ends.get(tag, 0), tag
    for element in (
        "verdict",
        "reasons",
        "blocking",
        "warnings",
        "summary",
        "signoff",
        "waivers",
        "attestations",
        "environment",
        "filter",
        "checks",
    ):
        assert element in tags.ids, element
    assert len(tags.ids) == len(set(tags.ids)), "ids are unique"
    assert tags.starts["details"] == 7
    assert page.startswith("<!DOCTYPE html>")
    assert 'data-verdict="NO_GO"' in page
    assert "<title>Shop release — NO_GO</title>" in page


def test_sections_come_in_the_order_a_reader_needs() -> None:
    page = render_record_html(_sample())
    order = [
        'id="verdict"',
        'id="reasons"',
        'id="blocking"',
        'id="summary"',
        'id="signoff"',
        'id="waivers"',
        'id="environment"',
        'id="filter"',
        'id="checks"',
    ]
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_blocking_items_list_rollback_triggers_then_failures_then_pending() -> None:
    page = render_record_html(_sample())
    blocking = page[page.index('id="blocking"') : page.index('id="warnings"')]
    assert [int(n) for n in re.findall(r'href="#c(\d+)"', blocking)] == [4, 1, 2]
    assert "rollback trigger" in blocking
    warnings = page[page.index('id="warnings"') : page.index('id="summary"')]
    assert "Check number 4" in warnings and "minor thing" in warnings


def test_checks_are_grouped_by_phase_in_configured_order_then_section() -> None:
    page = render_record_html(_sample())
    checks = page[page.index('id="checks"') :]
    phases = re.findall(r'<section class="p" data-phase="([^"]*)"', checks)
    assert phases == ["pre", "post", ""]  # configured order, unphased last
    pre = checks[: checks.index('data-phase="post"')]
    assert re.findall(r'class="g" data-section="([^"]*)"', pre) == ["Database", "Redis"]
    assert "(no section)" in checks and "No phase" in checks


def test_problems_are_expanded_and_passes_collapsed() -> None:
    page = render_record_html(_sample())
    rows = re.findall(r'<details class="c o-(\w+)" id="c\d+" data-o="\w+"( open)?>', page)
    assert len(rows) == 7
    for outcome, opened in rows:
        assert bool(opened) == (outcome in ("failed", "error", "pending")), outcome


def test_a_check_shows_message_thresholds_and_compact_evidence() -> None:
    page = render_record_html(_sample())
    row = page[page.index('id="c1"') : page.index('id="c2"')]
    assert "api_p95_ms: measured 231.4" in row
    assert '<td class="n">231.4 ms</td><td>&lt; 200</td>' in row
    assert "&#10007;" in row
    assert "{&quot;rows&quot;:2,&quot;plan&quot;:[&quot;Index Scan&quot;]}" in row


def test_summary_counts_by_phase_and_outcome() -> None:
    page = render_record_html(_sample())
    table = page[page.index('id="summary"') : page.index("</table>", page.index('id="summary"'))]
    # pre: failed 2, error 0, blocked 0, pending 1, waived 0, skipped 0, passed 1, total 4
    pre = re.search(r"<tr><td>pre</td>(.*?)</tr>", table)
    assert pre is not None
    assert re.findall(r">(\d+)<", pre.group(1)) == ["2", "0", "0", "1", "0", "0", "1", "4"]
    assert "deselected: 3" in page


def test_signoff_waivers_and_environment_without_credentials() -> None:
    page = render_record_html(_sample())
    signoff = page[page.index('id="signoff"') : page.index('id="waivers"')]
    assert "UNSIGNED" in signoff and "signed by bob" in signoff
    assert "INC-1" in page and "unused" in page
    env = page[page.index('id="environment"') :]
    assert "db.internal:5432" in env and "cache.internal:6379" in env
    assert "user:pw" not in _visible(page)  # the embedded record is the record as given
    assert "release/1.4" in env and "alice" in env


def test_hostile_strings_are_escaped_everywhere() -> None:
    record = _sample()
    record["title"] = HOSTILE
    record["verdict_reasons"] = [HOSTILE]
    record["environment"] = HOSTILE
    record["signoff"][1]["note"] = HOSTILE
    record["waivers"][0]["justification"] = HOSTILE
    record["metadata"]["run_by"] = HOSTILE
    for c in record["checks"]:
        c["id"] = c["id"] + HOSTILE
        c["title"] = HOSTILE
        c["section"] = HOSTILE
        c["message"] = HOSTILE
        c["evidence"] = {HOSTILE: [HOSTILE, {"k": HOSTILE}]}
    record["checks"][0]["phase"] = HOSTILE
    record["phases"]["order"].append(HOSTILE)
    page = render_record_html(record)
    assert page.count("<script") == 2  # our own filter script and the embedded record
    assert "<img" not in page
    # In the embedded record the text stays JSON with no "<" at all: inert (parsed below).
    assert "onerror=alert" not in _visible(page).replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    tags = _parse(page)
    assert tags.starts.get("img", 0) == 0
    for name, _ in tags.attrs_seen:
        assert not name.startswith("on"), name  # no event-handler attribute got through
    for tag in ("details", "section", "div", "script"):
        assert tags.starts.get(tag, 0) == tags.ends.get(tag, 0), tag


def test_no_external_resources_and_a_strict_policy() -> None:
    page = render_record_html(_sample())
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert " src=" not in page
    assert not re.search(r'href="(?!#)', page)
    assert "url(" not in page and "@import" not in page


def test_a_minimal_record_renders() -> None:
    page = render_record_html({"schema": "deployready.record/1", "verdict": "GO", "checks": []})
    assert 'data-verdict="GO"' in page
    assert 'id="blocking">none<' in page
    assert "Checks (0)" in page


def test_long_problem_lists_fold_after_the_first_items() -> None:
    checks = [_check(i, "failed", blocking=True, message=f"m{i}") for i in range(MAX_LISTED + 5)]
    page = render_record_html(_record(checks))
    blocking = page[page.index('id="blocking"') : page.index('id="summary"')]
    assert blocking.count("<li") == MAX_LISTED + 5
    assert "5 more</summary>" in blocking
    tags = _parse(page)
    assert tags.starts["ul"] == tags.ends["ul"]


def test_huge_evidence_is_cut_with_a_pointer_to_the_json() -> None:
    record = _record([_check(1, "passed", evidence={"blob": "x" * 100_000})])
    page = render_record_html(record)
    assert "more characters in the JSON record" in page
    assert len(_visible(page)) < 60_000  # the embedded record has all of it


def test_fifty_thousand_checks_render_to_a_reasonable_page() -> None:
    base = _sample()["checks"]
    checks = []
    for i in range(50_000):
        c = copy.copy(base[i % len(base)])
        c["id"] = f"checks/test_gen.py::test_item[{i}]"
        checks.append(c)
    page = render_record_html(_record(checks))
    assert page.count('<details class="c ') == 50_000
    assert len(_visible(page).encode()) < 50_000 * 1_000  # under 1 kB per check shown
    assert len(page.encode()) < 50_000 * 2_000  # and as much again for the embedded record
    assert "all 50000 checks shown" in page


def _visible(page: str) -> str:
    """The page without the JSON record it embeds (``deployready verify`` reads that)."""
    start = page.index('<script type="application/json" id="deployready-record"')
    return page[:start] + page[page.index("</script>", start) + len("</script>") :]
