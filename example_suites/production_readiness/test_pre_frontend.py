"""7. Frontend"""

from __future__ import annotations

import secrets

import pytest

from pytest_deployready import Api, Evidence

pytestmark = pytest.mark.phase("pre")

FRONTEND_ORIGIN = "https://app.example.com"
_NO_FRONTEND = "not provided by the demo stack: no Next.js front end"


def test_pr_10_merged(merged_prs: dict[int, str], evidence: Evidence) -> None:
    """**PR #10** merged (All 5 dashboards complete)"""
    assert 10 in merged_prs, f"PR #10 is not merged into the release (merged: {list(merged_prs)})"
    evidence.add("merge_commit", merged_prs[10][:12])


@pytest.mark.manual("CI", reason=_NO_FRONTEND)
def test_nextjs_production_build() -> None:
    """Next.js production build successful"""


def test_api_integration_working(api: Api, evidence: Evidence) -> None:
    """API integration working"""
    # What the browser app needs from the API: credentialed CORS for its calls.
    preflight = api.cors(
        "/api/ai/chat/messages",
        FRONTEND_ORIGIN,
        "POST",
        request_headers=["Authorization", "Content-Type"],
        credentials=True,
    )
    evidence.add("preflight", {"status": preflight.status, "methods": preflight.allow_methods})
    assert preflight.allowed, f"the front end's POST preflight is refused: {preflight}"
    response = api.get("/api/jobs/status", headers={"Origin": FRONTEND_ORIGIN})
    assert response.status_code == 200, f"/api/jobs/status: HTTP {response.status_code}"
    assert response.headers.get("access-control-allow-origin") == FRONTEND_ORIGIN, (
        "a simple cross-origin GET from the front end gets no Access-Control-Allow-Origin"
    )


@pytest.mark.severity("critical")
def test_authentication_flow_functional(api: Api, evidence: Evidence) -> None:
    """Authentication flow functional"""
    email = f"frontend-{secrets.token_hex(6)}@example.com"
    password = secrets.token_urlsafe(16)
    created = api.post("/auth/register", json={"email": email, "password": password})
    assert created.status_code == 201, f"register: HTTP {created.status_code}"
    login = api.post("/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, f"login: HTTP {login.status_code}"
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = api.get("/auth/me", headers=bearer)
    assert me.status_code == 200, f"/auth/me: HTTP {me.status_code}"
    anonymous = api.get("/auth/me", headers={"Authorization": ""})
    assert anonymous.status_code == 401, f"/auth/me without a token: HTTP {anonymous.status_code}"
    evidence.add("flow", {"register": 201, "login": 200, "me": 200, "anonymous": 401})


@pytest.mark.manual("QA", reason="judged by a person on real devices")
def test_responsive_design() -> None:
    """Responsive design tested"""


@pytest.mark.manual("QA", reason="needs the browsers themselves (Chrome, Firefox, Safari)")
def test_browser_compatibility() -> None:
    """Browser compatibility verified (Chrome, Firefox, Safari)"""
