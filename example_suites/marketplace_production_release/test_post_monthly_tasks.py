"""Ongoing maintenance: monthly tasks"""

from __future__ import annotations

import pytest

from pytest_deployready import Database, Evidence, Host

from ._support import dump_tables, newest_dump

pytestmark = pytest.mark.phase("post")


@pytest.mark.severity("critical")
def test_full_backup_verification(host: Host, db: Database, evidence: Evidence) -> None:
    """Full database backup verification"""
    # Read-only: the newest dump is a complete gzip stream that creates every table of the
    # database's schema (a restore drill stays with the Database Admin).
    dump = newest_dump(host)
    in_dump = dump_tables(host, dump)
    tables = [
        str(r["table_name"])
        for r in db.rows(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
        )
    ]
    evidence.add("dump", dump.path)
    evidence.add("tables_in_dump", len(in_dump))
    assert tables, "the database has no table in schema public"
    missing = [t for t in tables if t not in in_dump]
    assert missing == [], f"tables of the database that {dump.path} does not create: {missing}"


@pytest.mark.manual("Technical Lead", reason="a review by a person")
def test_performance_optimization_review() -> None:
    """Performance optimization review"""


@pytest.mark.severity("critical")
@pytest.mark.manual("Technical Lead", reason="an audit by a person")
def test_security_audit() -> None:
    """Security audit"""


@pytest.mark.manual("DevOps", reason="a planning review by a person")
def test_capacity_planning_review() -> None:
    """Capacity planning review"""


@pytest.mark.severity("minor")
@pytest.mark.manual("Technical Lead", reason="documents, reviewed by a person")
def test_documentation_updates() -> None:
    """Documentation updates"""


@pytest.mark.severity("minor")
@pytest.mark.manual("Technical Lead", reason="a decision about the code base")
def test_dependency_updates() -> None:
    """Dependency updates"""
