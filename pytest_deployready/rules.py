"""Threshold rules in the style of k6: ``< 200``, ``>= 0.6``, ``== 0``, ``< 1.5s``, ``< 5%``.

A rule is an operator and a number with an optional unit:

* ``ms`` and ``s`` are durations. They are converted to the unit of the measurement,
  read from the threshold's name: ``*_ms`` is milliseconds, ``*_s``/``*_seconds`` is
  seconds, and a name without either is taken to be in milliseconds (k6's convention).
* ``%`` is a percentage of a ratio: ``< 5%`` means the measured ratio is below ``0.05``.

Example::

    rule = parse_rule("< 1.5s")
    rule.passes(231.4, name="api_p95_ms")  # True: 231.4 ms < 1500 ms
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["OPERATORS", "Rule", "RuleError", "parse_rule"]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

_RULE = re.compile(
    r"^\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
    r"(?P<unit>ms|s|%)?\s*$"
)


class RuleError(ValueError):
    """A threshold rule that cannot be parsed."""


@dataclass(frozen=True)
class Rule:
    """A parsed threshold rule; ``text`` is the rule as written."""

    text: str
    op: str
    value: float
    unit: str | None = None

    def limit_for(self, name: str = "") -> float:
        """The rule's number in the measurement's unit (see the module docstring)."""
        if self.unit == "%":
            return self.value / 100.0
        if self.unit in ("ms", "s"):
            seconds = self.value / 1000.0 if self.unit == "ms" else self.value
            return seconds if _measures_seconds(name) else seconds * 1000.0
        return self.value

    def passes(self, measured: float, *, name: str = "") -> bool:
        """True when ``measured`` satisfies the rule. NaN never passes."""
        if isinstance(measured, bool) or not isinstance(measured, int | float):
            raise TypeError(
                f"{name or 'threshold'}: measured value must be a number, got {measured!r}"
            )
        if math.isnan(measured):
            return False
        return OPERATORS[self.op](float(measured), self.limit_for(name))

    def __str__(self) -> str:
        return self.text


def _measures_seconds(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(("_s", "_sec", "_secs", "_seconds"))


def parse_rule(text: object) -> Rule:
    """Parse ``text`` into a :class:`Rule`, or raise :class:`RuleError` saying what is wrong."""
    if not isinstance(text, str):
        raise RuleError(f'rule must be a string such as "< 200", got {text!r}')
    m = _RULE.match(text)
    if m is None:
        raise RuleError(
            f"cannot parse rule {text!r}: expected an operator (<, <=, >, >=, ==, !=) "
            'and a number with an optional unit (ms, s, %), e.g. "< 200" or ">= 60%"'
        )
    return Rule(text=" ".join(text.split()), op=m["op"], value=float(m["num"]), unit=m["unit"])
