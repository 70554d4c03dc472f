"""The terminal summary of a run with many pending manual checks stays short.

A freshly scaffolded 400-item checklist must not print 800 lines: more than ten pending checks
are summarised by phase and role in at most ten lines, pointing at the record for the list.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def make_suite(pytester: pytest.Pytester, count: int) -> None:
    roles = ["qa", "dba", "devops", "security"]
    tests = []
    for n in range(count):
        phase = ["pre", "deploy", "post"][n % 3]
        tests.append(
            f'@pytest.mark.phase("{phase}")\n@pytest.mark.manual("{roles[n % 4]}")\n'
            f"def test_item_{n}() -> None:\n    pass\n"
        )
    pytester.makepyfile(test_many="import pytest\n\n\n" + "\n\n".join(tests))
    pytester.makefile(".toml", deployready='phases = ["pre", "deploy", "post"]\n')


def test_many_pending_checks_are_summarised(pytester: pytest.Pytester) -> None:
    make_suite(pytester, 400)
    record = pytester.path / "record.json"
    result = pytester.runpytest_subprocess("--deploy-record", str(record), timeout=120)
    lines = result.stdout.lines
    start = next(n for n, line in enumerate(lines) if "manual check(s) pending" in line)
    end = next(n for n, line in enumerate(lines) if line.startswith("reason:"))
    summary = lines[start:end]
    assert len(summary) <= 10, summary
    assert (
        summary[0] == "400 manual check(s) pending attestation (400 blocking), by phase and role:"
    )
    assert "  pre        qa                      34" in summary  # 12 phase/role groups
    assert summary[-2].startswith("  ... ") and summary[-2].endswith(
        " more phase/role group(s): 166"
    )
    assert summary[-1].startswith(f"  the full list is in {record}; attest each with e.g. ")
    assert not any(line.startswith("BLOCKING") for line in lines)
    assert not any("deployready attest 'test_many.py::test_item_1'" in line for line in lines)
    assert len(lines) < 40
    data = json.loads(Path(record).read_text(encoding="utf-8"))
    assert sum(c["outcome"] == "pending" for c in data["checks"]) == 400


def test_a_few_pending_checks_are_listed(pytester: pytest.Pytester) -> None:
    make_suite(pytester, 10)
    result = pytester.runpytest_subprocess(timeout=120)
    result.stdout.fnmatch_lines(
        [
            "10 manual check(s) pending attestation; attest each with:",
            "  deployready attest 'test_many.py::test_item_0' --by NAME --role 'qa' *",
        ]
    )
    assert sum(line.startswith("BLOCKING") for line in result.stdout.lines) == 10
