"""The five seed suites against the demo stack, for real: GO when healthy, NO_GO naming exactly
the checks that catch the injected faults when broken (``deployready demo`` / ``--broken``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from _demo import runner
from _demo.runner import BASELINE_ARGS, DemoStack, default_suites_dir, run_demo

from pytest_deployready._redact import url_host

SUITES = [
    "ai_chat_phase2_release",
    "cache_layer_rollout",
    "marketplace_production_release",
    "production_readiness",
    "purchase_orders_rollout",
]

#: The checks that must fail (and no others) when the demo runs with ``--broken``, per suite.
#: Faults: missing idx_po_buyer_company, Redis persistence off, slow /api/purchase-orders,
#: JWT_SECRET missing, unhealthy `worker` container; and, caught only by the host, release,
#: TLS and Prometheus checks: a stale backup, a dirty checkout, a certificate expiring in 5 days
#: and the critical alert it fires (NEW_FAULT_CHECKS). A run stops a suite at its first phase
#: with a blocking failure (later phases are ``blocked``), so these are the first phase's.
BROKEN = {
    "ai_chat_phase2_release": {
        "test_pre_database.py::test_indexes_deployed",
        "test_pre_database.py::test_index_count_expected",
        "test_pre_database.py::test_database_backup_completed",
        "test_pre_environment.py::test_required_environment_variables_present",
    },
    "cache_layer_rollout": {
        # the stale backup and the dirty checkout now stop it in pre (its deploy-phase
        # checks of the other faults are blocked: see NEW_FAULT_CHECKS for the rest)
        "test_database_backup_created",
        "test_application_code_committed",
    },
    "marketplace_production_release": {
        "test_optimization_migration_applied",
        "test_database_indexes_verified",
        "test_redis_persistence_enabled",
        "test_jwt_secret_set",
        "test_all_required_variables_set",
        "test_jwt_secret_strong_and_unique",
        "test_all_workers_initialize",
        "test_env_file_created",  # .env lacks JWT_SECRET, which .env.example names
    },
    "production_readiness": {
        "test_indexes_verified",
        "test_database_query_optimization",
        "test_redis_session_storage",
        "test_backend_p95_under_200ms",
        "test_env_strong_secrets",
        "test_jwt_secret_secure",
        "test_docker_compose_stack_validated",
        "test_backup_strategy",
    },
    "purchase_orders_rollout": {
        "test_five_po_indexes_present",
        "test_indexes_cover_lookup_columns",
    },
}

#: The checks that read the host, the release's checkout, the TLS endpoint and Prometheus, in
#: every phase (``--deploy-continue``), with what their failure must name under ``--broken``.
_STALE, _DIRTY, _CERT, _ALERT = "backup_age_h", "src/app.py", "tls_days_left", "TlsCertificate"
NEW_FAULT_CHECKS = {
    "ai_chat_phase2_release": {
        "test_database_backup_completed": _STALE,
        "test_latest_main_pulled_locally": _DIRTY,
        "test_manual_ssh_deployment": _DIRTY,
        "test_application_running": _CERT,
    },
    "cache_layer_rollout": {
        "test_database_backup_created": _STALE,
        "test_application_code_committed": _DIRTY,
    },
    "marketplace_production_release": {
        "test_backup_created_before_migration": _STALE,
        "test_backup_script_scheduled": _STALE,
        "test_verify_backup_success": _STALE,
        "test_code_pushed_to_production_branch": _DIRTY,
    },
    "production_readiness": {
        "test_backup_strategy": _STALE,
        "test_database_backed_up_first": _STALE,
        "test_release_tagged": _DIRTY,
        "test_first_30_minutes_monitored": _ALERT,
        "test_monitoring_dashboards_green": _ALERT,
    },
}


#: The checks that compare with the pre phase's baseline (rules "<= baseline(NAME) * k").
IMPROVEMENT_CHECKS = {
    "purchase_orders_rollout": {
        "test_query_improvement_20_40_percent",
        "test_response_time_improvement_30_60_percent",
        "test_response_times_improved",
    },
    "cache_layer_rollout": {
        "test_api_latency_improved",
        "test_api_latency_reduced",
        "test_database_load_reduced",
        "test_database_queries_reduced",
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


def _stack_secrets(env: dict[str, str]) -> dict[str, str]:
    """What the demo stack must never let reach an output: passwords, keys, tokens."""
    found = {
        name: env[name]
        for name in ("JWT_SECRET", "API_TOKEN", "OPENAI_API_KEY", "TWILIO_AUTH_TOKEN")
        if env.get(name)
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        password = urlsplit(env[name]).password
        assert password, name
        found[f"{name} password"] = password
    identity = env.get("DEMO_HOST_IDENTITY")
    if identity:  # the SSH private key's first line of key material
        found["ssh key"] = Path(identity).read_text().splitlines()[1]
    return found


def test_healthy_demo_is_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    stacks: list[tuple[dict[str, str], str]] = []

    class RecordingStack(runner.DemoStack):
        def start(self) -> None:
            super().start()
            stacks.append((_stack_secrets(self.env), url_host(self.env["DATABASE_URL"])))

    monkeypatch.setattr(runner, "DemoStack", RecordingStack)
    code, record = demo(tmp_path, broken=False)
    # Secrets never reach an output: every file the demo wrote (records, pages, JUnit, logs of
    # the five suites, whose checks read the host's .env) and what it printed.
    ((secrets, db_host),) = stacks
    printed = "".join(capfd.readouterr())
    texts = [printed] + [
        p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()
    ]
    leaks = {name for name, value in secrets.items() for text in texts if value in text}
    assert len(secrets) >= 6 and leaks == set()
    # the scan reads what was written: the database's host:port (no secret) is in it
    assert db_host in printed and any(db_host in text for text in texts[1:])
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


def _pytest(suite: Path, env: dict[str, str], stage: str, *args: str) -> dict[str, Any]:
    record = Path(env["OUT"]) / f"{suite.name}-{stage}.json"
    argv = [sys.executable, "-m", "pytest", str(suite), f"--rootdir={suite}", "-q"]
    argv += ["-p", "no:cacheprovider", f"--deploy-record={record}", *args]
    proc = subprocess.run(argv, cwd=suite, env=env, capture_output=True, text=True, timeout=300)
    assert record.is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    data: dict[str, Any] = json.loads(record.read_text())
    data["_path"] = str(record)
    return data


def _outcomes(record: dict[str, Any]) -> dict[str, str]:
    return {c["id"].split("::")[-1]: c["outcome"] for c in record["checks"]}


def test_improvement_checks_compare_the_release_before_with_a_broken_rollout(
    tmp_path: Path,
) -> None:
    """Baselines recorded on the release before; a rollout without the buyer index and with a
    400 ms slower lookup: the query and latency improvements fail, the cache still cuts the
    database queries (the healthy rollout passes them all: test_healthy_demo_is_go)."""
    suites = default_suites_dir()
    with DemoStack(previous=True, broken=True, compose=False) as stack:
        env = {**os.environ, **stack.env, "OUT": str(tmp_path)}
        # The release before: no cache (X-Cache BYPASS), no idx_po_* indexes, flags off.
        response = httpx.get(stack.env["API_BASE_URL"] + "/api/purchase-orders?buyer_company_id=1")
        assert response.headers["x-cache"] == "BYPASS"
        with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
            count = "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_po_%'"
            assert conn.execute(count).fetchone() == (0,)
        assert stack.env["CACHE_ENABLED"] == stack.env["ENABLE_PO_QUERY_OPTIMIZATION"] == "false"
        baselines = {
            name: _pytest(suites / name, env, "baseline", *BASELINE_ARGS)
            for name in IMPROVEMENT_CHECKS
        }
        for name, record in baselines.items():
            assert record["verdict"] == "GO", (name, _outcomes(record))
            assert len(record["checks"]) == 1, name
        stack.deploy()
        env.update(stack.env)
        assert stack.env["CACHE_ENABLED"] == stack.env["ENABLE_PO_QUERY_OPTIMIZATION"] == "true"
        with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
            assert conn.execute(count).fetchone() == (4,)  # --broken: the buyer index is missing
        results = {
            name: _pytest(
                suites / name,
                env,
                "rollout",
                "--deploy-continue",
                f"--deploy-baseline={baselines[name]['_path']}",
                "-k",
                " or ".join(sorted(checks)),
            )
            for name, checks in IMPROVEMENT_CHECKS.items()
        }
    po = _outcomes(results["purchase_orders_rollout"])
    cache = _outcomes(results["cache_layer_rollout"])
    assert po == dict.fromkeys(IMPROVEMENT_CHECKS["purchase_orders_rollout"], "failed")
    assert cache == {
        "test_api_latency_improved": "failed",
        "test_api_latency_reduced": "failed",
        "test_database_load_reduced": "passed",
        "test_database_queries_reduced": "passed",
    }
    for record in results.values():
        for check in record["checks"]:
            entry = check["thresholds"][-1]
            assert "baseline(" in entry["rule"] and entry["baseline"] > 0, check["id"]
            if check["outcome"] == "failed":
                assert ", baseline " in check["message"], check["message"]


def test_new_checks_catch_the_new_faults_in_every_phase(tmp_path: Path) -> None:
    """The stale backup, the dirty checkout, the expiring certificate and its firing alert: each
    fails exactly the checks that read the host, the release, TLS and Prometheus, naming it,
    when every phase runs (the demo's own --broken run stops at the first failing phase)."""
    suites = default_suites_dir()
    with DemoStack(previous=True, broken=True, compose=False) as stack:
        assert stack.env["DEMO_PROMETHEUS"] == "1", "Prometheus is installed by make bootstrap"
        stack.deploy()
        env = {**os.environ, **stack.env, "OUT": str(tmp_path)}
        results = {
            name: _pytest(
                suites / name, env, "new-faults", "--deploy-continue", "-k", " or ".join(checks)
            )
            for name, checks in NEW_FAULT_CHECKS.items()
        }
    for name, checks in NEW_FAULT_CHECKS.items():
        record = results[name]
        outcomes = _outcomes(record)
        assert outcomes == dict.fromkeys(checks, "failed"), (name, outcomes)
        for check in record["checks"]:
            fault = checks[check["id"].split("::")[-1]]
            assert fault in check["message"], (check["id"], check["message"])
