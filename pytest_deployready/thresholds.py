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

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_deployready.baseline import Baseline, compare
from pytest_deployready.config import ThresholdSpec

__all__ = ["Evidence", "Measurement", "ThresholdFailed", "Thresholds", "UnknownThreshold"]


class ThresholdFailed(AssertionError):
    """A measured value does not satisfy its threshold rule."""


class UnknownThreshold(LookupError):
    """``thresholds.check`` was called with a name the configuration does not define."""


@dataclass(frozen=True)
class Measurement:
    """One threshold evaluation, as it appears in the record."""

    name: str
    rule: str
    measured: float
    passed: bool
    source: str
    baseline: dict[str, Any] | None = None  # {baseline, current, change, change_pct}

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "rule": self.rule,
            "measured": self.measured if math.isfinite(self.measured) else None,
            "passed": self.passed,
            "source": self.source,
        }
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
        """Record ``value`` for threshold ``name`` and fail the check when the rule is not met."""
        __tracebackhide__ = True
        spec = self._spec(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name}: measured value must be a number, got {value!r}")
        rule = spec.rule
        previous: float | None = None
        # A rule "baseline(OTHER)" compares with measurement OTHER of the baseline record.
        wanted = rule.baseline_name or name
        if self._baseline is not None:
            occurrence = sum(1 for m in self.measurements if m.name == name)
            previous = self._baseline.lookup(self._check_id, wanted, occurrence=occurrence)
        if rule.uses_baseline and previous is None:
            of = "it" if wanted == name else wanted
            where = (
                f"baseline {self._baseline.path.name} has no measurement of {of}"
                if self._baseline is not None
                else "no baseline given (pass --deploy-baseline RECORD.json)"
            )
            self.measurements.append(Measurement(name, rule.text, float(value), False, spec.source))
            raise ThresholdFailed(
                f"{name}: measured {_fmt(value)}, required {rule.text} ({spec.source}); {where}"
            )
        passed = rule.passes(value, name=name, baseline=previous)
        compared = compare(float(value), previous) if previous is not None else None
        m = Measurement(name, rule.text, float(value), passed, spec.source, compared)
        self.measurements.append(m)
        if not passed:
            against = (
                f", baseline {_fmt(previous)}"
                if rule.uses_baseline and previous is not None
                else ""
            )
            raise ThresholdFailed(
                f"{name}: measured {_fmt(value)}, required {rule.text}{against} ({spec.source})"
            )
        return m


def _fmt(value: float) -> str:
    if isinstance(value, int) or (math.isfinite(value) and value == int(value)):
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 1 else f"{value:.1f}"


class Evidence:
    """The ``evidence`` fixture: attach facts (JSON-serialisable) to a check's record entry.

    Example::

        evidence.add("server_version", db.server_version())
        evidence.add("slowest", db.slow_statements(limit=3))
    """

    def __init__(self, items: dict[str, Any] | None = None) -> None:
        self.items: dict[str, Any] = {} if items is None else items

    def add(self, name: str, value: Any) -> None:
        """Attach ``value`` under ``name``; refuse what JSON cannot represent."""
        __tracebackhide__ = True
        if not isinstance(name, str) or not name:
            raise TypeError(f"evidence name must be a non-empty string, got {name!r}")
        if (
            value is None
            or isinstance(value, str | bool | int)
            or (isinstance(value, float) and math.isfinite(value))
        ):
            self.items[name] = value  # plainly JSON: no need to encode it to find out
            return
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"evidence {name!r}: value of type {type(value).__name__} is not JSON-serialisable "
                f"({exc}); convert it to str, int, float, bool, None, list or dict first"
            ) from None
        self.items[name] = value
