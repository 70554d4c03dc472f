"""Generated check suites for the benchmarks (written into a scratch directory).

* :func:`write_mixed_suite` — N checks (default 5,000) over three phases and 25 sections, with
  mixed outcomes (about 85 % passed, 5 % failed thresholds, 2 % setup errors, 4 % skipped,
  2 % manual/pending, 2 % raised assertions) and evidence plus a measured threshold on each.
  It runs with the plugin and without it (``-p no:deployready``): its conftest then provides
  stand-in ``evidence`` and ``thresholds`` fixtures that do the same work, so both runs execute
  the same test bodies.
* :func:`write_trivial_suite` — N trivial checks (default 5,000): one parametrized test function
  whose checks only carry a ``phase`` marker and pass; no config, no fixtures of the plugin.
* :func:`write_unrelated_suite` — one plain test, no config: an unrelated project's run.
* :func:`write_failfast_suite` — 50 checks on ``db`` against an unreachable database.
* :func:`write_io_suite` — 500 checks, each a real PostgreSQL, Redis and HTTP round-trip.

Example::

    write_mixed_suite(Path("bench/.work/mixed"), n=5000)
"""

from __future__ import annotations

import textwrap
from pathlib import Path

__all__ = [
    "write_failfast_suite",
    "write_io_suite",
    "write_mixed_suite",
    "write_trivial_suite",
    "write_unrelated_suite",
]

_PYTEST_INI = "[pytest]\naddopts = -p no:cacheprovider\n"

_MIXED_CONFTEST = '''
"""Stand-in fixtures when the plugin is disabled (-p no:deployready), same work per check."""
from __future__ import annotations

from typing import Any

import pytest


class _Evidence:
    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def add(self, name: str, value: Any) -> None:
        self.items[name] = value


class _Thresholds:
    def check(self, name: str, value: float) -> None:
        if not value < 100:
            raise AssertionError(f"{name}: measured {value}, required < 100")


class _Fallback:
    @pytest.fixture
    def evidence(self) -> _Evidence:
        return _Evidence()

    @pytest.fixture
    def thresholds(self) -> _Thresholds:
        return _Thresholds()


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("deployready"):
        for name in ("phase", "severity", "section", "manual", "rollback_trigger"):
            config.addinivalue_line("markers", f"{name}: stand-in without the plugin")
        config.pluginmanager.register(_Fallback(), "bench-fallback")
'''

_MIXED_TOML = """
phases = ["pre", "deploy", "post"]
signoff = ["Release manager", "DBA"]

[report]
title = "Generated benchmark suite"

[thresholds]
latency_ms = "< 100"
"""

_MIXED_TEST = '''
"""{n} generated checks with mixed outcomes and evidence on each."""
from __future__ import annotations

from typing import Any

import pytest

N = {n}
PHASES = ("pre", "deploy", "post")
SEVERITIES = ("critical", "major", "minor", "major")


def _marks(i: int) -> list[Any]:
    return [
        pytest.mark.phase(PHASES[i % 3]),
        pytest.mark.severity(SEVERITIES[i % 4]),
        pytest.mark.section(f"Section {{i % 25:02d}}: generated checklist items"),
    ]


def _kind(i: int) -> str:
    r = i % 100
    if r < 85:
        return "pass"
    if r < 90:
        return "threshold"
    if r < 92:
        return "error"
    if r < 96:
        return "skip"
    if r < 98:
        return "manual"
    return "assert"


def _params(kind: str) -> list[Any]:
    return [
        pytest.param(i, marks=_marks(i), id=f"item{{i:05d}}") for i in range(N) if _kind(i) == kind
    ]


def _evidence(i: int) -> dict[str, Any]:
    return {{
        "index": i,
        "host": f"db-{{i % 7}}.internal:5432",
        "rows": i * 3,
        "plan": ["Index Scan", f"idx_item_{{i % 40}}"],
    }}


@pytest.fixture
def broken() -> None:
    raise RuntimeError("setup failed: generated error")


@pytest.mark.parametrize("i", _params("pass"))
def test_item_passes(i: int, evidence: Any, thresholds: Any) -> None:
    """Generated item that passes."""
    evidence.add("detail", _evidence(i))
    thresholds.check("latency_ms", 10.0 + i % 50)


@pytest.mark.parametrize("i", _params("threshold"))
def test_item_threshold(i: int, evidence: Any, thresholds: Any) -> None:
    """Generated item over its latency threshold."""
    evidence.add("detail", _evidence(i))
    thresholds.check("latency_ms", 150.0 + i % 50)


@pytest.mark.parametrize("i", _params("error"))
def test_item_setup_error(i: int, evidence: Any, broken: None) -> None:
    """Generated item whose setup fails."""
    evidence.add("detail", _evidence(i))


@pytest.mark.parametrize("i", _params("skip"))
def test_item_skipped(i: int, evidence: Any) -> None:
    """Generated item that does not apply here."""
    evidence.add("detail", _evidence(i))
    pytest.skip("not applicable on this target")


@pytest.mark.manual("Release manager")
@pytest.mark.parametrize("i", _params("manual"))
def test_item_manual(i: int, evidence: Any) -> None:
    """Generated manual item: confirm by hand."""
    evidence.add("detail", _evidence(i))


@pytest.mark.parametrize("i", _params("assert"))
def test_item_assertion(i: int, evidence: Any) -> None:
    """Generated item with a failed assertion <and markup-like text>."""
    evidence.add("detail", _evidence(i))
    assert i % 2 == 1 and i < 0, f"expected <something> for item {{i}}"
'''


def write_mixed_suite(root: Path, n: int = 5000) -> Path:
    """Write the mixed-outcome suite of ``n`` checks under ``root``; return ``root``.

    Example: ``write_mixed_suite(Path("/tmp/s"), n=5000)``
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(_PYTEST_INI)
    (root / "deployready.toml").write_text(_MIXED_TOML)
    (root / "conftest.py").write_text(_MIXED_CONFTEST)
    (root / "test_generated.py").write_text(_MIXED_TEST.format(n=n))
    return root


_TRIVIAL_CONFTEST = """
import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("deployready"):  # no unknown-marker warnings
        config.addinivalue_line("markers", "phase: stand-in without the plugin")
"""

_TRIVIAL_TEST = """
\"\"\"{n} trivial phase-marked checks.\"\"\"
import pytest

PHASES = ("pre", "deploy", "post")


@pytest.mark.parametrize(
    "i", [pytest.param(i, marks=pytest.mark.phase(PHASES[i % 3])) for i in range({n})]
)
def test_check(i: int) -> None:
    assert i >= 0
"""


def write_trivial_suite(root: Path, n: int = 5000) -> Path:
    """Write ``n`` trivial checks under ``root`` (the suite issue 11's bar names); return it.

    Example: ``write_trivial_suite(Path("/tmp/t"), n=5000)``
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(_PYTEST_INI)
    (root / "conftest.py").write_text(_TRIVIAL_CONFTEST)
    (root / "test_trivial.py").write_text(_TRIVIAL_TEST.format(n=n))
    return root


def write_unrelated_suite(root: Path) -> Path:
    """A project that does not use the plugin: one plain test, no config.

    Example: ``write_unrelated_suite(Path("/tmp/u"))``
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(_PYTEST_INI)
    (root / "test_plain.py").write_text("def test_plain() -> None:\n    assert 1 + 1 == 2\n")
    return root


def write_failfast_suite(
    root: Path, database_url: str, n: int = 50, connect_s: float = 2.0
) -> Path:
    """``n`` checks using ``db`` against ``database_url`` with ``timeouts.connect_s``.

    Example: ``write_failfast_suite(Path("/tmp/f"), "postgresql://u:p@127.0.0.1:9/x")``
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(_PYTEST_INI)
    (root / "deployready.toml").write_text(
        f'[targets]\ndatabase_url = "{database_url}"\n\n[timeouts]\nconnect_s = {connect_s}\n'
    )
    (root / "test_db.py").write_text(
        textwrap.dedent(
            f"""
            from typing import Any

            import pytest


            @pytest.mark.phase("pre")
            @pytest.mark.parametrize("i", range({n}))
            def test_db_check(i: int, db: Any) -> None:
                assert db.table_exists(f"table_{{i}}")
            """
        )
    )
    return root


def write_io_suite(
    root: Path, database_url: str, redis_url: str, api_base_url: str, n: int = 500, ms: int = 15
) -> Path:
    """``n`` I/O-bound checks: each a PostgreSQL ``pg_sleep``, a Redis PING and an HTTP call.

    Example: ``write_io_suite(Path("/tmp/io"), pg_url, redis_url, "http://127.0.0.1:8000")``
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text(_PYTEST_INI)
    (root / "deployready.toml").write_text(
        textwrap.dedent(
            f"""
            [targets]
            database_url = "{database_url}"
            redis_url = "{redis_url}"
            api_base_url = "{api_base_url}"
            """
        )
    )
    (root / "test_io.py").write_text(
        textwrap.dedent(
            f"""
            from typing import Any

            import pytest


            @pytest.mark.phase("pre")
            @pytest.mark.parametrize("i", range({n}))
            def test_io_check(i: int, db: Any, redis: Any, api: Any, evidence: Any) -> None:
                assert db.scalar("SELECT 1 FROM pg_sleep(%s)", ({ms / 1000},)) == 1
                evidence.add("redis_ping_ms", redis.ping_ms())
                response = api.get("/slow", params={{"ms": {ms}, "key": f"io{{i % 10}}"}})
                assert response.status_code == 200
            """
        )
    )
    return root
