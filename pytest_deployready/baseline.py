"""A previous deployment record as the baseline of this run's measurements.

``--deploy-baseline RECORD.json`` loads the record with :func:`load_baseline`; a rule such as
``api_p95_ms = "<= baseline * 0.7"`` then compares with the measured value of ``api_p95_ms``
in that record (:meth:`Baseline.lookup`). ``deployready diff`` reads records the same way.

Example::

    baseline = load_baseline(Path("records/1.4.0.json"))
    before = baseline.lookup("tests/test_api.py::test_latency", "api_p95_ms")  # 180.0
    compare(126.0, before)  # {'baseline': 180.0, 'current': 126.0, 'change': -54.0, ...}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready.record import SCHEMA

__all__ = ["Baseline", "BaselineError", "compare", "load_baseline"]

_SCHEMA_FAMILY = SCHEMA.rsplit("/", 1)[0] + "/"  # "deployready.record/"


class BaselineError(pytest.UsageError):  # type: ignore[misc]  # @final for typing only
    """A record that cannot serve as a baseline (or be diffed); the message is one line."""


class Baseline:
    """A validated deployment record and the measurements in it.

    Built by :func:`load_baseline`, or from a record already in memory (the constructor
    validates it and raises :class:`BaselineError` naming ``path``).

    Example::

        baseline = load_baseline(Path("prev.json"))
        baseline.verdict, baseline.git_commit  # ('GO', '1a2b3c4...')
        baseline.lookup("tests/test_api.py::test_latency", "api_p95_ms")
    """

    def __init__(self, path: Path, record: Any) -> None:
        self.path = Path(path)
        # check id -> threshold name -> measured values in the order the check measured them
        self._values = _validate(record, f"record {self.path}")
        self.record: dict[str, Any] = record

    def __repr__(self) -> str:
        return f"Baseline({str(self.path)!r}, verdict={self.verdict!r})"

    @property
    def verdict(self) -> str | None:
        value = self.record.get("verdict")
        return value if isinstance(value, str) else None

    @property
    def started_at(self) -> str | None:
        value = self.record.get("started_at")
        return value if isinstance(value, str) else None

    @property
    def git_commit(self) -> str | None:
        metadata = self.record.get("metadata")
        value = metadata.get("git_commit") if isinstance(metadata, dict) else None
        return value if isinstance(value, str) else None

    def describe(self) -> str:
        """One line for headers: ``prev.json (GO, 2024-05-01T10:00:00+00:00, commit 1a2b3c4)``."""
        parts = [p for p in (self.verdict, self.started_at) if p]
        if self.git_commit:
            parts.append(f"commit {self.git_commit[:7]}")
        return f"{self.path} ({', '.join(parts)})" if parts else str(self.path)

    def lookup(self, check_id: str, name: str, *, occurrence: int = 0) -> float | None:
        """The measured value of threshold ``name`` in check ``check_id`` of the baseline.

        When that check did not measure ``name`` (it is new, or was renamed), the value of
        ``name`` in the one check of the baseline that measured it; ``None`` when no check or
        several checks measured it, or when the measured value was not a finite number.
        ``occurrence`` picks the n-th measurement (0-based) of ``name`` within the check, for
        checks that call ``thresholds.check`` with the same name more than once.

        Example::

            baseline.lookup("tests/test_api.py::test_latency", "api_p95_ms")  # 180.0
        """
        values = self._values.get(check_id, {}).get(name)
        if values is None:
            holders = [by_name[name] for by_name in self._values.values() if name in by_name]
            if len(holders) != 1:
                return None
            values = holders[0]
        return values[occurrence] if 0 <= occurrence < len(values) else None


def compare(current: float, baseline: float) -> dict[str, float | None]:
    """The change from ``baseline`` to ``current``, for the record and the report.

    Example::

        compare(126.0, 180.0)
        # {'baseline': 180.0, 'current': 126.0, 'change': -54.0, 'change_pct': -30.0}
    """
    change = current - baseline
    return {
        "baseline": baseline,
        "current": current,
        "change": round(change, 9),  # no float noise such as -0.019999999999999907
        "change_pct": round(change / baseline * 100.0, 6) if baseline != 0 else None,
    }


def load_baseline(path: Path) -> Baseline:
    """Read and validate the deployment record at ``path``; :class:`BaselineError` if unusable.

    Example::

        baseline = load_baseline(Path("records/1.4.0.json"))
    """
    path = Path(path)
    where = f"record {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{where}: no such file") from None
    except IsADirectoryError:
        raise BaselineError(f"{where}: is a directory, expected a JSON file") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{where}: not JSON (not UTF-8 text)") from None
    except OSError as exc:
        raise BaselineError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(
            f"{where}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise BaselineError(f"{where}: not JSON (nested too deeply)") from None
    return Baseline(path, data)


def _validate(data: Any, where: str) -> dict[str, dict[str, list[float | None]]]:
    """Check the shape the baseline and the diff rely on; index the measured values."""
    if not isinstance(data, dict):
        raise BaselineError(
            f"{where}: not a deployready record (a JSON {_json_type(data)}, expected an object)"
        )
    schema = data.get("schema")
    if schema != SCHEMA:
        if schema is None:
            raise BaselineError(f"{where}: not a deployready record (no 'schema' field)")
        if isinstance(schema, str) and schema.startswith(_SCHEMA_FAMILY):
            raise BaselineError(
                f"{where}: incompatible record schema {schema!r}; this version reads {SCHEMA}"
            )
        raise BaselineError(f"{where}: not a deployready record (schema {_short(schema)})")
    checks = data.get("checks")
    if not isinstance(checks, list):
        raise BaselineError(f"{where}: not a deployready record (no 'checks' list)")
    values: dict[str, dict[str, list[float | None]]] = {}
    for i, check in enumerate(checks):
        if not isinstance(check, dict) or not isinstance(check.get("id"), str):
            raise BaselineError(f"{where}: checks[{i}] is not a check with a string 'id'")
        if "outcome" in check and not isinstance(check["outcome"], str):
            raise BaselineError(f"{where}: checks[{i}].outcome is not a string")
        thresholds = check.get("thresholds", [])
        if not isinstance(thresholds, list):
            raise BaselineError(f"{where}: checks[{i}].thresholds is not a list")
        by_name = values.setdefault(check["id"], {})
        for j, entry in enumerate(thresholds):
            at = f"checks[{i}].thresholds[{j}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise BaselineError(f"{where}: {at} is not a threshold with a string 'name'")
            measured = entry.get("measured")
            if measured is not None and (
                isinstance(measured, bool) or not isinstance(measured, int | float)
            ):
                raise BaselineError(f"{where}: {at}.measured is not a number: {_short(measured)}")
            value = float(measured) if measured is not None else math.nan
            by_name.setdefault(entry["name"], []).append(value if math.isfinite(value) else None)
    return values


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
