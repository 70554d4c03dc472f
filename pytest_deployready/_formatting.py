"""Measured values as a person reads them: units from the threshold, sensible precision.

The JSON record keeps every value at full precision; the HTML pages and the terminal show
``396.2 ms``, ``9.2 %``, ``512`` instead of ``396.2418710499037``, ``0.0916…`` and ``512.0``.
The unit comes from the rule (``< 5%`` compares a ratio in per cent, ``< 1.5s`` a duration) or
from the threshold's name (``*_ms`` milliseconds, ``*_s``/``*_seconds`` seconds,
``*_pct``/``*_percent`` a percentage), as :mod:`pytest_deployready._rules` reads them.

Example::

    format_measured(396.2418710499037, "api_p95_ms", "< 200")  # '396.2 ms'
    format_measured(0.09166666666666667, "cache_hit_ratio", ">= 60%")  # '9.17 %'
    format_measured(512.0, "max_connections", ">= 100")  # '512'
"""

from __future__ import annotations

import math
import re

__all__ = ["failed_attempts", "format_measured", "format_number", "unit_of"]

_PERCENT_RULE = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*[+-]?[\d.]+(?:[eE][+-]?\d+)?\s*%\s*$")


def format_number(value: object) -> str:
    """A number with about four significant digits; whole numbers without a decimal point.

    Example: ``format_number(0.000123456)  # '0.0001235'``; ``format_number(2.0)  # '2'``
    """
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("∞" if value > 0 else "-∞")
    magnitude = abs(value)
    if magnitude >= 1e15:
        return f"{value:.6g}"
    if value.is_integer():
        return str(int(value))
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.4g}"


def unit_of(name: str, rule: str = "") -> str:
    """The unit a measurement is shown in: ``ms``, ``s``, ``%`` or ``''``.

    Example: ``unit_of("error_rate", "< 1%")  # '%'``; ``unit_of("api_p95_ms")  # 'ms'``
    """
    if _PERCENT_RULE.match(rule or ""):
        return "%"  # a ratio compared in per cent: shown in per cent
    lowered = name.lower()
    if lowered.endswith("_ms"):
        return "ms"
    if lowered.endswith(("_s", "_seconds")):
        return "s"
    if lowered.endswith(("_pct", "_percent")):
        return "%"
    return ""


def format_measured(value: object, name: str = "", rule: str = "") -> str:
    """A measured value with its unit, as the pages and the terminal show it.

    Example: ``format_measured(0.0123, "error_rate", "< 1%")  # '1.23 %'``
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return format_number(value)
    unit = unit_of(name, rule)
    if unit == "%" and _PERCENT_RULE.match(rule or ""):
        value = value * 100  # the ratio as the rule states it
    text = format_number(value)
    return f"{text} {unit}" if unit and math.isfinite(value) else text


def failed_attempts(reruns: int) -> str:
    """The failed attempts of a rerun check: ``"1 failed attempt"``, ``"2 failed attempts"``."""
    return "1 failed attempt" if reruns == 1 else f"{reruns} failed attempts"
