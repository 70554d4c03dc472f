"""Thresholds and evidence: what a check measured, against which rule, from which source.

Example::

    def test_api_latency(api, thresholds):
        result = api.sample("GET", "/orders", n=200, concurrency=10)
        thresholds.check("api_p95_ms", result.p95_ms)
        # fails with: api_p95_ms: measured 231.4, required < 200 (deployready.toml [env.production])

    def test_versions(redis, evidence):
        evidence.add("redis_version", redis.version)
"""

from __future__ import annotations

import decimal
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from pytest_deployready._baseline import Baseline, compare
from pytest_deployready._formatting import format_measured
from pytest_deployready.config import ThresholdSpec
from pytest_deployready.errors import DeployReadyError

__all__ = ["Evidence", "Measurement", "ThresholdFailed", "Thresholds", "UnknownThreshold"]


class ThresholdFailed(DeployReadyError, AssertionError):
    """A measured value does not satisfy its threshold rule."""


class UnknownThreshold(DeployReadyError, LookupError):
    """``thresholds.check`` was called with a name the configuration does not define."""


@dataclass(frozen=True)
class Measurement:
    """One threshold evaluation, as it appears in the record."""

    name: str
    rule: str
    measured: float | None
    passed: bool
    source: str
    baseline: dict[str, Any] | None = None  # {baseline, current, change, change_pct}
    #: why the measured value could not be compared (``"inf — not a finite number"``)
    invalid: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The record's entry: ``measured`` is a finite number or ``null`` (then ``invalid``)."""
        measured = self.measured
        finite = measured is not None and math.isfinite(measured)
        data: dict[str, Any] = {
            "name": self.name,
            "rule": self.rule,
            "measured": measured if finite else None,
            "passed": self.passed and finite,
            "source": self.source,
        }
        if not finite:
            data["invalid"] = self.invalid or _invalid_reason(measured)
        if self.baseline is not None:
            data.update(self.baseline)
        return data


class Thresholds:
    """The ``thresholds`` fixture: check measured values against configured rules.

    Example::

        thresholds.check("cache_hit_ratio", redis.hit_ratio())
        thresholds.rule("api_p95_ms")  # '< 200'
    """

    def __init__(
        self,
        specs: Mapping[str, ThresholdSpec],
        measurements: list[Measurement] | None = None,
        *,
        baseline: Baseline | None = None,
        check_id: str = "",
    ) -> None:
        self._specs = specs
        self.measurements: list[Measurement] = [] if measurements is None else measurements
        self._baseline = baseline
        self._check_id = check_id

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    @property
    def names(self) -> list[str]:
        return sorted(self._specs)

    def rule(self, name: str) -> str:
        """The rule text configured for ``name``."""
        return self._spec(name).rule.text

    def _spec(self, name: str) -> ThresholdSpec:
        __tracebackhide__ = True
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(self.names) or "none are configured"
            raise UnknownThreshold(
                f"unknown threshold {name!r}; known thresholds: {known} "
                "(add it under [tool.deployready.thresholds] or pass --deploy-threshold NAME=RULE)"
            ) from None

    def check(self, name: str, value: float) -> Measurement:
        """Record ``value`` for threshold ``name`` and fail the check when the rule is not met.

        A value that is not a finite number (NaN, infinity, an int too large for a float,
        ``None``, a bool, a string, ...) never passes: it is recorded with ``measured: null``
        and the reason, and fails with ``lat_ms: measured inf — not a finite number, ...``.
        """
        __tracebackhide__ = True
        spec = self._spec(name)
        rule = spec.rule
        number, invalid = as_measurement(value)
        if number is None:
            self._fail(
                Measurement(name, rule.text, None, False, spec.source, invalid=invalid),
                f"{name}: measured {invalid}, required {rule.text} ({spec.source})",
            )
        previous: float | None = None
        # A rule "baseline(OTHER)" compares with measurement OTHER of the baseline record.
        wanted = rule.baseline_name or name
        if self._baseline is not None:
            occurrence = sum(1 for m in self.measurements if m.name == name)
            previous = self._baseline.lookup(self._check_id, wanted, occurrence=occurrence)
        if rule.uses_baseline and previous is None:
            of = "it" if wanted == name else wanted
            where = (
                f"baseline {self._baseline.path.name} has no finite measurement of {of}"
                if self._baseline is not None
                else "no baseline given (pass --deploy-baseline RECORD.json)"
            )
            self._fail(
                Measurement(name, rule.text, number, False, spec.source),
                f"{name}: measured {_shown(number, name, rule.text)}, required {rule.text} "
                f"({spec.source}); {where}",
            )
        compared = compare(number, previous) if previous is not None else None
        limit = rule.limit_for(name, previous)
        if not math.isfinite(limit):
            self._fail(
                Measurement(name, rule.text, number, False, spec.source, compared),
                f"{name}: measured {_shown(number, name, rule.text)}, required {rule.text}, "
                "baseline "
                f"{format_measured(previous, name) if previous is not None else '-'} "
                f"({spec.source}); "
                "the limit computed from the baseline is not a finite number",
            )
        passed = rule.passes(number, name=name, baseline=previous)
        m = Measurement(name, rule.text, number, passed, spec.source, compared)
        if not passed:
            against = (
                f", baseline {format_measured(previous, name)}"
                if rule.uses_baseline and previous is not None
                else ""
            )
            shown = _shown(number, name, rule.text)
            message = f"{name}: measured {shown}, required {rule.text}{against} ({spec.source})"
            self._fail(m, message)
        self.measurements.append(m)
        return m

    def _fail(self, measurement: Measurement, message: str) -> NoReturn:
        __tracebackhide__ = True
        self.measurements.append(measurement)
        raise ThresholdFailed(message)


def _shown(number: float, name: str, rule: str) -> str:
    """The measured value in a failure message: units and precision, as the pages show it
    (formatted only for a message: a passing check needs none)."""
    return format_measured(number, name, rule)


def as_measurement(value: object) -> tuple[float | None, str]:
    """``(value as a finite float, "")``, or ``(None, why it is not one)`` for the message.

    Any real number is accepted (int, float, ``Fraction``, ``Decimal``, numpy scalars); a bool
    is not, nor is a number that is not finite or too large for a float.

    Example::

        as_measurement(12)            # (12.0, "")
        as_measurement(float("inf"))  # (None, "inf — not a finite number")
    """
    kind = type(value)
    if kind is float or kind is int:  # the common case, before the slower checks below
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:
            return None, _invalid_reason(value)
        return (number, "") if math.isfinite(number) else (None, _invalid_reason(value))
    if isinstance(value, bool) or not isinstance(value, numbers.Real | decimal.Decimal):
        return None, _invalid_reason(value)
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        return None, _invalid_reason(value)
    if not math.isfinite(number):
        return None, _invalid_reason(value)
    return number, ""


def _invalid_reason(value: object) -> str:
    """Why ``value`` is not a measurement: ``"inf — not a finite number"``, ``"None — no value"``"""
    if value is None:
        return "None — no value"
    if isinstance(value, bool):
        return f"{value} — a bool, not a number"
    if isinstance(value, int):  # finite, but no float can hold it
        bits = value.bit_length()  # str() refuses ints of more than 4300 digits
        digits = len(str(abs(value))) if bits < 14_000 else f"about {int(bits * 0.30103) + 1}"
        return f"an integer of {digits} digits — too large for a float, not a finite number"
    if isinstance(value, numbers.Real | decimal.Decimal):
        try:
            text = str(float(value))
        except (OverflowError, ValueError, TypeError):
            text = _short(value)
        return f"{text} — not a finite number"
    return f"{_short(value)} — a {type(value).__name__}, not a number"


def _short(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real problem
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


class Evidence:
    """The ``evidence`` fixture: attach facts (JSON-serialisable) to a check's record entry.

    Example::

        evidence.add("server_version", db.server_version())
        evidence.add("slowest", db.slow_statements(limit=3))
    """

    def __init__(self, items: dict[str, Any] | None = None) -> None:
        self.items: dict[str, Any] = {} if items is None else items

    def add(self, name: str, value: Any) -> None:
        """Attach ``value`` under ``name``; refuse what JSON cannot represent.

        The value is copied as it is now (a list changed later does not change the record);
        NaN and infinity are refused, anywhere in it: JSON has no such numbers.
        """
        __tracebackhide__ = True
        if not isinstance(name, str) or not name:
            raise TypeError(f"evidence name must be a non-empty string, got {name!r}")
        if value is None or isinstance(value, str | bool | int):
            self.items[name] = value  # plainly JSON (and immutable): nothing to encode or copy
            return
        if isinstance(value, float) and math.isfinite(value):
            self.items[name] = value
            return
        try:
            self.items[name] = _plain_copy(value)  # the common case, without a JSON round trip
            return
        except (_NotPlain, RecursionError):
            pass  # anything else: JSON decides, and says what is wrong
        try:
            text = json.dumps(value, allow_nan=False)
        except ValueError:  # an out-of-range float: NaN or infinity, somewhere in it
            what = "is" if isinstance(value, float) else "holds a number that is"
            raise TypeError(
                f"evidence {name!r}: {_short(value)} {what} not finite (NaN or infinity), "
                "which JSON cannot represent; record it as a string or None instead"
            ) from None
        except (TypeError, RecursionError) as exc:
            raise TypeError(
                f"evidence {name!r}: value of type {type(value).__name__} is not JSON-serialisable "
                f"({exc}); convert it to str, int, float, bool, None, list or dict first"
            ) from None
        self.items[name] = json.loads(text)  # a copy, as JSON will hold it


class _NotPlain(Exception):
    """A value :func:`_plain_copy` leaves to the JSON round trip."""


def _plain_copy(value: Any) -> Any:
    """``json.loads(json.dumps(value))`` for plain JSON values, without the text in between.

    Only exact ``dict`` (string keys), ``list``, ``tuple`` (a list, as JSON has it), ``str``,
    ``int``, ``bool``, finite ``float`` and ``None``; anything else (a subclass, a non-string
    key, NaN) raises :class:`_NotPlain` and goes through JSON, which converts or refuses it.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        raise _NotPlain
    if kind is dict:
        copy: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            copy[key] = _plain_copy(item)
        return copy
    if kind is list or kind is tuple:
        return [_plain_copy(item) for item in value]
    raise _NotPlain
