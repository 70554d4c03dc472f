"""Pre-deployment tests"""

from __future__ import annotations

import secrets

import pytest

from pytest_deployready import Api, Evidence, SampleResult, Thresholds

pytestmark = pytest.mark.phase("pre")


@pytest.mark.severity("critical")
def test_authentication_flow(api: Api, evidence: Evidence) -> None:
    """Authentication flow testing"""
    email = f"rollout-check-{secrets.token_hex(6)}@example.com"
    password = secrets.token_urlsafe(16)
    registered = api.post("/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201, f"register: HTTP {registered.status_code}"
    login = api.post("/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, f"login: HTTP {login.status_code}"
    token = login.json()["access_token"]
    me = api.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, f"/auth/me with the new token: HTTP {me.status_code}"
    wrong = api.post("/auth/login", json={"email": email, "password": password + "x"})
    assert wrong.status_code == 401, f"login with a wrong password: HTTP {wrong.status_code}"
    anonymous = api.get("/auth/me", headers={"Authorization": ""})
    assert anonymous.status_code == 401, f"/auth/me without a token: HTTP {anonymous.status_code}"
    evidence.add("auth_flow", "register 201, login 200, me 200, wrong password 401, no token 401")


def test_performance_baseline_measured(
    po_latency: SampleResult, po_query_ms: float, thresholds: Thresholds, evidence: Evidence
) -> None:
    """Performance baseline measurement

    Run before the rollout (``--deploy-phase=pre --deploy-record pre.json``), this record is
    the baseline of the improvement checks after it (``--deploy-baseline pre.json``).
    """
    evidence.add("baseline_purchase_orders", po_latency.as_dict())
    assert po_latency.errors == 0, f"baseline sample had errors: {po_latency}"
    thresholds.check("po_response_before_p95_ms", po_latency.p95_ms)
    thresholds.check("po_query_before_ms", po_query_ms)
