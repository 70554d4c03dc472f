"""Hooks that pytest-deployready adds, for conftest.py files and other plugins.

Example (``conftest.py``)::

    def pytest_deployready_record(record, config):
        record["metadata"]["change_ticket"] = "CHG-1234"
"""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["pytest_deployready_record", "pytest_deployready_verdict"]


def pytest_deployready_verdict(verdict: str, reasons: list[str], config: pytest.Config) -> None:
    """Called once the verdict is decided (controller or serial run only), before the record."""


def pytest_deployready_record(record: dict[str, Any], config: pytest.Config) -> None:
    """Called with the record dict just before it is written; change it in place."""
