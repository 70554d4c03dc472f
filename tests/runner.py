"""The inner pytest run of the plugin's tests: run the pytester project, read the record it wrote.

Tests get it as the ``deploy_run`` fixture (tests/conftest.py); this module holds the class so
tests can name its type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

#: how long one inner run in a subprocess may take before the test fails (never waits forever)
TIMEOUT_S = 180.0


class DeployRunner:
    """Runs pytest on the pytester project and reads the deployment record the run wrote.

    Example::

        def test_go(deploy_run):
            result, record = deploy_run("--deploy-phase=pre", suite=SOURCE)
            assert result.ret == 0 and record["verdict"] == "GO"

    A run is a real subprocess (exit codes, signals, xdist and terminal output as a user sees
    them) unless ``subprocess=False`` asks for pytest's in-process run.
    """

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester

    def __call__(
        self,
        *args: str,
        record: str | Path = "rec.json",
        subprocess: bool = True,
        timeout: float = TIMEOUT_S,
        config: str | None = None,
        suite: str | Mapping[str, str] | None = None,
    ) -> tuple[pytest.RunResult, dict[str, Any]]:
        """Run with ``--deploy-record=RECORD`` then ``args``; return the result and the record.

        Before the run ``config`` is written as deployready.toml and ``suite`` as the test
        module (a string: a module named after the test; a mapping: module name to source).
        ``record`` is relative to the project directory.
        """
        if config is not None:
            self.pytester.makefile(".toml", deployready=config)
        if isinstance(suite, str):
            self.pytester.makepyfile(suite)
        elif suite is not None:
            self.pytester.makepyfile(**suite)
        result = self.run(
            f"--deploy-record={record}", *args, subprocess=subprocess, timeout=timeout
        )
        return result, self.record(record, result)

    def run(
        self, *args: str, subprocess: bool = True, timeout: float = TIMEOUT_S
    ) -> pytest.RunResult:
        """Run pytest with exactly ``args`` (no record option); ``timeout`` bounds a subprocess."""
        if subprocess:
            return self.pytester.runpytest_subprocess(*args, timeout=timeout)
        return self.pytester.runpytest(*args)

    def record(
        self, name: str | Path = "rec.json", result: pytest.RunResult | None = None
    ) -> dict[str, Any]:
        """The JSON record at ``name``; fails with the run's output when the run wrote none."""
        __tracebackhide__ = True
        path = Path(self.pytester.path, name)
        if not path.is_file():
            output = "" if result is None else result.stdout.str() + result.stderr.str()
            pytest.fail(f"the run wrote no record at {path}\n{output}", pytrace=False)
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
