"""Several API targets in one run: one check per target, ids name the target, one record."""

from __future__ import annotations

import pytest

from tests.runner import DeployRunner
from tests.servers.http import HttpServer

SUITE = """
import pytest
pytestmark = pytest.mark.phase("post")

def test_health(api):
    assert api.health("/health").ok

def test_latency(api, thresholds):
    thresholds.check("api_p95_ms", api.sample("GET", "/health", n=20, concurrency=4).p95_ms)

def test_not_per_target(evidence):
    evidence.add("x", 1)
"""


def config(server: HttpServer, dead: str) -> str:
    return (
        "[thresholds]\napi_p95_ms = '< 2s'\n"
        "[[targets.apis]]\nname = 'eu-1'\nbase_url = '" + server.base_url + "'\n"
        "[[targets.apis]]\nname = 'eu-2'\nbase_url = '" + server.base_url + "'\n"
        "[[targets.apis]]\nname = 'us-1'\nbase_url = '" + dead + "'\n"
        "[timeouts]\nhttp_s = 2\n"
    )


def test_every_target_runs_under_xdist_with_one_record(
    pytester: pytest.Pytester, deploy_run: DeployRunner, http_server: HttpServer, refused_url: str
) -> None:
    pytester.makefile(".toml", deployready=config(http_server, refused_url))
    pytester.makepyfile(SUITE)
    result, rec = deploy_run("-n", "2")
    outcomes = {c["id"].split("::")[-1]: c["outcome"] for c in rec["checks"]}
    assert outcomes == {
        "test_health[eu-1]": "passed",
        "test_health[eu-2]": "passed",
        "test_health[us-1]": "error",
        "test_latency[eu-1]": "passed",
        "test_latency[eu-2]": "passed",
        "test_latency[us-1]": "error",
        "test_not_per_target": "passed",
    }
    assert rec["targets"] == {
        "eu-1": {"passed": 2},
        "eu-2": {"passed": 2},
        "us-1": {"error": 2},
    }
    dead = [c for c in rec["checks"] if c["target"] == "us-1"]
    assert all(c["message"].startswith("cannot reach API 'us-1' at 127.0.0.1:") for c in dead)
    assert "Traceback" not in result.stdout.str()
    result.stdout.fnmatch_lines(["cannot reach API 'us-1' at 127.0.0.1:*: connection refused"])
    assert rec["verdict"] == "NO_GO" and result.ret == 1


def test_deploy_target_selects(
    pytester: pytest.Pytester, deploy_run: DeployRunner, http_server: HttpServer, refused_url: str
) -> None:
    pytester.makefile(".toml", deployready=config(http_server, refused_url))
    pytester.makepyfile(SUITE)
    result, rec = deploy_run("--deploy-target=eu-1,eu-2")
    assert sorted(rec["targets"]) == ["eu-1", "eu-2"]
    assert rec["verdict"] == "GO" and result.ret == 0
    bad = pytester.runpytest_subprocess("--deploy-target=ap-1")
    assert bad.ret == 4
    bad.stderr.fnmatch_lines(
        ["*--deploy-target: unknown target 'ap-1'; configured targets: eu-1, eu-2, us-1*"]
    )
