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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pytest_deployready._record import SCHEMA
from pytest_deployready.errors import UsageProblem

__all__ = ["Baseline", "BaselineError", "compare", "load_baseline"]

_SCHEMA_FAMILY = SCHEMA.rsplit("/", 1)[0] + "/"  # "deployready.record/"
_PASSING_VERDICTS = ("GO", "GO_WITH_WARNINGS")
_DEFAULT_TITLE = "Deployment record"  # config.ReportSettings.title: says nothing about a suite


class BaselineError(UsageProblem):
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
        #: why this record is a doubtful baseline (a failed or interrupted run), for the
        #: terminal and the record's ``baseline`` entry
        self.warnings: list[str] = _warnings(record)

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

    def as_record(self) -> dict[str, Any]:
        """The record's top-level ``baseline`` entry: which record, and what is doubtful in it."""
        return {
            "path": str(self.path),
            "verdict": self.verdict,
            "started_at": self.started_at,
            "git_commit": self.git_commit,
            "warnings": list(self.warnings),
        }

    def check_suite(self, collected: Iterable[str], *, title: str, digest: str) -> None:
        """Refuse (:class:`BaselineError`) a record that is not of the suite being run.

        It is of this suite when one of its check ids is collected in this run (before phase
        selection), or it was written with the same configuration (digest), or under the same
        report title (other than the default). Otherwise a measurement of the same name would
        be compared with an unrelated check of another suite.
        """
        collected = list(collected)
        if not collected:
            return  # nothing to compare, nothing to judge by
        ids = set(self._values)
        tails = {tail for i in ids for tail in _tails(i)}
        if any(c in tails or not ids.isdisjoint(_tails(c)) for c in collected):
            return
        config = self.record.get("config")
        if isinstance(config, dict) and config.get("digest") == digest:
            return
        theirs = self.record.get("title")
        if isinstance(theirs, str) and theirs == title and title != _DEFAULT_TITLE:
            return
        raise BaselineError(
            f"--deploy-baseline: record {self.path} is not a record of this suite: none of its "
            f"{len(ids)} check ids is collected in this run, and its title "
            f"{_short(theirs)} and config digest differ; pass a record of this suite"
        )

    def lookup(self, check_id: str, name: str, *, occurrence: int = 0) -> float | None:
        """The measured value of threshold ``name`` in check ``check_id`` of the baseline.

        When that check did not measure ``name`` (it is new, or was renamed), the value of
        ``name`` in the one check of the baseline that measured it (the record is of the same
        suite: :meth:`check_suite`); ``None`` when no check or several checks measured it, or
        when the measured value was not a finite number.
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


def _tails(check_id: str) -> set[str]:
    """``a/b/t.py::f`` and its path suffixes ``b/t.py::f``, ``t.py::f`` (another rootdir)."""
    path, sep, name = check_id.partition("::")
    parts = path.split("/")
    return {"/".join(parts[i:]) + sep + name for i in range(len(parts))}


def _warnings(record: dict[str, Any]) -> list[str]:
    """What makes a valid record a doubtful baseline: a failed release, an interrupted run."""
    out = []
    verdict = record.get("verdict")
    if verdict not in _PASSING_VERDICTS:
        shown = verdict if isinstance(verdict, str) else "no verdict"
        out.append(f"it is a {shown} record: its measurements are of a release that did not pass")
    if record.get("complete") is not True:
        out.append(
            "it is incomplete (complete: false, an interrupted run): measurements may be missing"
        )
    return out


def compare(current: float, baseline: float) -> dict[str, float | None]:
    """The change from ``baseline`` to ``current``, for the record and the report.

    Example::

        compare(126.0, 180.0)
        # {'baseline': 180.0, 'current': 126.0, 'change': -54.0, 'change_pct': -30.0}
    """
    change = current - baseline
    pct = change / baseline * 100.0 if baseline != 0 else math.nan
    return {  # JSON has no NaN or infinity: a change that overflows is None
        "baseline": baseline,
        "current": current,
        # no float noise such as -0.019999999999999907
        "change": round(change, 9) if math.isfinite(change) else None,
        "change_pct": round(pct, 6) if math.isfinite(pct) else None,
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
            try:
                value = float(measured) if measured is not None else math.nan
            except OverflowError:  # an integer beyond the float range: no finite value
                value = math.nan
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
