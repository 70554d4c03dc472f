"""5. Dependencies Check"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys

import pytest
from packaging.requirements import Requirement

from pytest_deployready import Evidence, Release

pytestmark = pytest.mark.phase("pre")

#: The application under test (the demo's stand-in for ``api.ai.memory.postgresql_memory``) and
#: where its code is, as the demo stack exports them.
APP_MODULE = os.environ.get("APP_MODULE", "_demo.app")
APP_PYTHONPATH = os.environ.get("APP_PYTHONPATH", "")
#: Import name -> distribution name of the packages the application needs at run time.
RUNTIME_PACKAGES = {
    "starlette": "starlette",
    "uvicorn": "uvicorn",
    "psycopg": "psycopg",
    "redis": "redis",
    "prometheus_client": "prometheus_client",
    "httpx": "httpx",
}
SUBPROCESS_TIMEOUT_S = 60


# seed line 49
def test_python_dependencies_updated(release: Release, evidence: Evidence) -> None:
    """Python dependencies updated: `pip install -r requirements.txt`"""
    # What `pip install -r` leaves behind: every requirement of the release's
    # requirements.txt is installed in the application's environment, in a version it allows.
    text = release.read_text("requirements.txt")
    assert text is not None, "the release has no requirements.txt"
    wanted = [
        Requirement(line.split("#", 1)[0].strip())
        for line in text.splitlines()
        if line.split("#", 1)[0].strip() and not line.lstrip().startswith("-")
    ]
    assert wanted, "requirements.txt lists no package"
    installed: dict[str, str | None] = {}
    for req in wanted:
        try:
            installed[req.name] = importlib.metadata.version(req.name)
        except importlib.metadata.PackageNotFoundError:
            installed[req.name] = None
    evidence.add("installed", installed)
    wrong = {
        str(req): installed[req.name]
        for req in wanted
        if installed[req.name] is None
        or not req.specifier.contains(str(installed[req.name]), prereleases=True)
    }
    assert wrong == {}, f"installed versions that requirements.txt does not allow: {wrong}"


# seed line 50
def test_no_conflicting_package_versions(evidence: Evidence) -> None:
    """No conflicting package versions"""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "check"],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    evidence.add("pip_check", output.splitlines()[:20])
    assert result.returncode == 0, f"pip check found conflicts:\n{output}"


# seed line 51
@pytest.mark.severity("critical")
def test_application_imports_working(evidence: Evidence) -> None:
    """All imports working: `python -c "from api.ai.memory import postgresql_memory"`"""
    env = {**os.environ, "PYTHONPATH": APP_PYTHONPATH} if APP_PYTHONPATH else None
    result = subprocess.run(
        [sys.executable, "-c", f"import {APP_MODULE}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    evidence.add("module", APP_MODULE)
    last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
    assert result.returncode == 0, f"`import {APP_MODULE}` failed: {last}"


# seed line 52
def test_no_missing_packages(evidence: Evidence) -> None:
    """No missing packages"""
    missing = [name for name in RUNTIME_PACKAGES if importlib.util.find_spec(name) is None]
    evidence.add(
        "versions",
        {
            dist: importlib.metadata.version(dist)
            for name, dist in RUNTIME_PACKAGES.items()
            if name not in missing
        },
    )
    assert not missing, f"packages not installed: {', '.join(missing)}"
