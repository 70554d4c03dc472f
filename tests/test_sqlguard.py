"""The ``db`` fixture's read-only guard (``_sqlguard``), as pure logic: every statement the
PostgreSQL tests send for real is judged here without a server, plus what ``explain`` wraps."""

from __future__ import annotations

import pytest

from pytest_deployready._sqlguard import check_read_only, is_one_query
from pytest_deployready.errors import ReadOnlyViolation
from tests.test_postgres import READS, WRITES


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused(statement: str) -> None:
    with pytest.raises(ReadOnlyViolation, match=r"^refused .* on PostgreSQL at db:5432: "):
        check_read_only(statement, "PostgreSQL at db:5432")


@pytest.mark.parametrize("statement", READS)
def test_reads_pass(statement: str) -> None:
    check_read_only(statement)


@pytest.mark.parametrize(
    ("text", "one"),
    [
        ("SELECT 1", True),
        ("  with x AS (SELECT 1) SELECT * FROM x ;", True),
        ("(SELECT 1) UNION ALL (SELECT 2)", True),
        ("VALUES (1)", True),
        ("TABLE companies", True),
        ("SELECT 1; SELECT 2", False),
        ("SHOW work_mem", False),
        ("EXPLAIN SELECT 1", False),
        ("SET work_mem = '1MB'", False),
        ("-- only a comment", False),
    ],
)
def test_is_one_query(text: str, one: bool) -> None:
    assert is_one_query(text) is one
