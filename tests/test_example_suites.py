"""The five seed suites against the demo stack, for real: GO when healthy, NO_GO naming exactly
the checks that catch the injected faults when broken (``deployready demo`` / ``--broken``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_deployready.demo import run_demo

SUITES = [
    "ai_chat_phase2_release",
    "cache_layer_rollout",
    "marketplace_production_release",
    "production_readiness",
    "purchase_orders_rollout",
]

#: The checks that must fail (and no others) when the demo runs with ``--broken``, per suite.
#: Faults: missing idx_po_buyer_company, Redis persistence off, slow /api/purchase-orders,
#: JWT_SECRET missing, unhealthy `worker` container. A run stops a suite at its first phase
#: with a blocking failure (later phases are ``blocked``), so these are the first phase's.
BROKEN = {
    "ai_chat_phase2_release": {
        "test_pre_database.py::test_indexes_deployed",
        "test_pre_database.py::test_index_count_expected",
        "test_pre_environment.py::test_required_environment_variables_present",
    },
    "cache_layer_rollout": {
        "test_indexes_created",
        "test_redis_persistence_enabled",
        "test_api_response_time_p95",
        "test_all_services_running",
    },
    "marketplace_production_release": {
        "test_optimization_migration_applied",
        "test_database_indexes_verified",
        "test_redis_persistence_enabled",
        "test_jwt_secret_set",
        "test_all_required_variables_set",
        "test_jwt_secret_strong_and_unique",
        "test_all_workers_initialize",
    },
    "production_readiness": {
        "test_indexes_verified",
        "test_database_query_optimization",
        "test_redis_session_storage",
        "test_backend_p95_under_200ms",
        "test_env_strong_secrets",
        "test_jwt_secret_secure",
        "test_docker_compose_stack_validated",
    },
    "purchase_orders_rollout": {
        "test_five_po_indexes_present",
        "test_indexes_cover_lookup_columns",
    },
}


def demo(tmp_path: Path, *, broken: bool) -> tuple[int, dict[str, Any]]:
    out = tmp_path / ("broken" if broken else "healthy")
    code = run_demo(output=str(out), broken=broken, pytest_args=[])
    record: dict[str, Any] = json.loads((out / "record.json").read_text())
    assert (out / "report.html").is_file()
    return code, record


def failing(record: dict[str, Any], suite: str) -> set[str]:
    """Failed or errored checks of one suite, as 'file::name' (or just 'name' when unique)."""
    names = set()
    for check in record["checks"]:
        if check["id"].startswith(f"{suite}/") and check["outcome"] in ("failed", "error"):
            names.add(check["id"].split("/")[-1])
    return names


def matches(expected: set[str], actual: set[str]) -> bool:
    def short(check_id: str) -> str:
        return check_id.split("::")[-1]

    full = {e for e in expected if "::" in e}
    bare = expected - full
    return (
        {a for a in actual if a in full or short(a) in bare} == actual
        and len(actual) == len(expected)
        and full <= actual
        and bare <= {short(a) for a in actual}
    )


def test_healthy_demo_is_go(tmp_path: Path) -> None:
    code, record = demo(tmp_path, broken=False)
    problems = [c["id"] for c in record["checks"] if c["outcome"] not in ("passed",)]
    assert record["verdict"] == "GO", problems
    assert code == 0
    assert sorted(record["suites"]) == SUITES
    assert all(s["verdict"] == "GO" for s in record["suites"].values())
    assert len(record["checks"]) > 400


def test_broken_demo_is_no_go_with_exactly_the_injected_faults(tmp_path: Path) -> None:
    code, record = demo(tmp_path, broken=True)
    assert record["verdict"] == "NO_GO" and code == 1
    for suite in SUITES:
        actual = failing(record, suite)
        assert matches(BROKEN[suite], actual), (suite, sorted(actual))
