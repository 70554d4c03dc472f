"""Threshold rules in the style of k6: ``< 200``, ``>= 0.6``, ``== 0``, ``< 1.5s``, ``< 5%``.

A rule is an operator and a number with an optional unit:

* ``ms`` and ``s`` are durations. They are converted to the unit of the measurement,
  read from the threshold's name: ``*_ms`` is milliseconds, ``*_s``/``*_seconds`` is
  seconds, and a name without either is taken to be in milliseconds (k6's convention).
* ``%`` is a percentage of a ratio: ``< 5%`` means the measured ratio is below ``0.05``.

Instead of a number, a rule may name ``baseline``: the same measurement in a previous
deployment record (``--deploy-baseline RECORD.json``), optionally with one modifier:

* ``<= baseline * 0.7`` — at least 30 % faster than before; ``/ N`` divides.
* ``<= baseline + 50`` — at most 50 more, in the measurement's unit; ``+ 50ms`` and ``- 1s``
  are durations converted as above.
* ``<= baseline + 10%`` — ``%`` after ``+`` or ``-`` is a percentage *of the baseline*:
  ``<= baseline + 10%`` is ``<= baseline * 1.10``, ``>= baseline - 5%`` is
  ``>= baseline * 0.95``. (Without ``baseline``, ``%`` still means a ratio.)
* ``< baseline`` — strictly better than before.

``baseline(NAME)`` compares with another measurement of the baseline record: the pre-phase
check records ``api_p95_before_ms``, the post-phase rule ``api_p95_after_ms = "<=
baseline(api_p95_before_ms) * 0.4"`` asks for at least 60 % less than that.

Example::

    rule = parse_rule("< 1.5s")
    rule.passes(231.4, name="api_p95_ms")  # True: 231.4 ms < 1500 ms
    faster = parse_rule("<= baseline * 0.7")
    faster.passes(120.0, name="api_p95_ms", baseline=200.0)  # True: 120 <= 140
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from pytest_deployready.errors import DeployReadyError

__all__ = ["MODIFIERS", "OPERATORS", "BaselineMissing", "Rule", "RuleError", "parse_rule"]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

#: what may follow ``baseline`` in a rule
MODIFIERS = ("*", "/", "+", "-")

_RULE = re.compile(
    r"^\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
    r"(?P<unit>ms|s|%)?\s*$"
)
_BASELINE_RULE = re.compile(
    r"^\s*(?P<op><=|>=|==|!=|<|>)\s*baseline\b\s*"
    r"(?:\(\s*(?P<ref>[A-Za-z_][A-Za-z0-9_.-]*)\s*\)\s*)?"
    r"(?:(?P<mod>[*/+-])\s*"
    r"(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
    r"(?P<unit>ms|s|%)?)?\s*$",
    re.IGNORECASE,
)
_BASELINE_HELP = (
    'e.g. "<= baseline * 0.7", "<= baseline + 50ms", ">= baseline - 5%", "< baseline" or '
    '"<= baseline(api_p95_before_ms) * 0.4": an operator, the word baseline (optionally with '
    "the name of the baseline's measurement in parentheses) and at most one modifier "
    "(* N, / N, + N, - N; "
    "+ and - take an optional unit ms, s or %, where % is a percentage of the baseline)"
)


class RuleError(DeployReadyError, ValueError):
    """A threshold rule that cannot be parsed."""


class BaselineMissing(DeployReadyError, ValueError):
    """A rule compares with the baseline, but no baseline value was given.

    Example::

        try:
            rule.passes(120.0, name="api_p95_ms", baseline=None)
        except BaselineMissing as exc:
            print(exc)  # api_p95_ms: rule '<= baseline * 0.7' needs a baseline value ...
    """


@dataclass(frozen=True)
class Rule:
    """A parsed threshold rule; ``text`` is the rule as written (whitespace normalised).

    For a baseline rule (``uses_baseline``), ``modifier`` is ``*``, ``/``, ``+``, ``-`` or
    ``None`` and ``value``/``unit`` are the modifier's operand (``0.0``/``None`` without one);
    ``baseline_name`` is the measurement of the baseline record it compares with when the rule
    names one (``baseline(NAME)``), else ``None``: the measurement of the same name.

    Example::

        parse_rule("<= baseline + 10%").limit_for("api_p95_ms", baseline=200.0)  # 220.0
    """

    text: str
    op: str
    value: float
    unit: str | None = None
    uses_baseline: bool = False
    modifier: str | None = None
    baseline_name: str | None = None

    @property
    def _baseline_word(self) -> str:
        return f"baseline({self.baseline_name})" if self.baseline_name else "baseline"

    @property
    def canonical(self) -> str:
        """The rule with its number in canonical form: ``"<1"`` and ``"< 1.0"`` agree."""
        number = f"{self.value!r}{self.unit or ''}"
        if not self.uses_baseline:
            return f"{self.op} {number}"
        if self.modifier is None:
            return f"{self.op} {self._baseline_word}"
        return f"{self.op} {self._baseline_word} {self.modifier} {number}"

    def limit_for(self, name: str = "", baseline: float | None = None) -> float:
        """The rule's limit in the measurement's unit (see the module docstring).

        Raises :class:`BaselineMissing` when the rule uses the baseline and ``baseline`` is
        ``None``; a plain rule ignores ``baseline``.
        """
        if not self.uses_baseline:
            return self._number_for(name)
        if baseline is None:
            raise BaselineMissing(
                f"{name or 'threshold'}: rule '{self.text}' needs a baseline value, and none "
                "is available (pass --deploy-baseline RECORD.json with a measurement of it)"
            )
        if isinstance(baseline, bool) or not isinstance(baseline, int | float):
            raise TypeError(
                f"{name or 'threshold'}: baseline value must be a number, got {baseline!r}"
            )
        try:
            b = float(baseline)
        except OverflowError:  # an int beyond the float range: no finite limit
            return math.inf if baseline > 0 else -math.inf
        if self.modifier is None:
            return b
        if self.modifier == "*":
            return b * self.value
        if self.modifier == "/":
            return b / self.value
        sign = 1.0 if self.modifier == "+" else -1.0
        if self.unit == "%":
            return b * (1.0 + sign * self.value / 100.0)
        return b + sign * self._number_for(name)

    def _number_for(self, name: str) -> float:
        if self.unit == "%":
            return self.value / 100.0
        if self.unit in ("ms", "s"):
            seconds = self.value / 1000.0 if self.unit == "ms" else self.value
            return seconds if _measures_seconds(name) else seconds * 1000.0
        return self.value

    def passes(self, measured: float, *, name: str = "", baseline: float | None = None) -> bool:
        """True when ``measured`` satisfies the rule.

        A value that is not a finite number (NaN, infinity, an int too large for a float)
        never passes, and neither does any value against a limit that is not finite (a
        baseline of NaN, or ``baseline * 10`` overflowing): ``-inf < 200`` is not a pass.
        """
        if isinstance(measured, bool) or not isinstance(measured, int | float):
            raise TypeError(
                f"{name or 'threshold'}: measured value must be a number, got {measured!r}"
            )
        limit = self.limit_for(name, baseline)
        try:
            value = float(measured)
        except OverflowError:  # an int beyond the float range
            return False
        if not (math.isfinite(value) and math.isfinite(limit)):
            return False
        # A limit computed with units or a baseline (180 * 0.7 = 125.99999999999999) must
        # not fail a value that is exactly on it: equal within float rounding is equal.
        if math.isclose(value, limit, rel_tol=1e-9, abs_tol=1e-12):
            value = limit
        return OPERATORS[self.op](value, limit)

    def __str__(self) -> str:
        return self.text


def _measures_seconds(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(("_s", "_sec", "_secs", "_seconds"))


def parse_rule(text: object) -> Rule:
    """Parse ``text`` into a :class:`Rule`, or raise :class:`RuleError` saying what is wrong.

    Example::

        parse_rule("< 200")              # Rule(text='< 200', op='<', value=200.0)
        str(parse_rule("<=baseline*0.7"))  # '<= baseline * 0.7'
    """
    if not isinstance(text, str):
        raise RuleError(f'rule must be a string such as "< 200", got {text!r}')
    if "baseline" in text.lower():
        return _parse_baseline_rule(text)
    m = _RULE.match(text)
    if m is None:
        raise RuleError(
            f"cannot parse rule {text!r}: expected an operator (<, <=, >, >=, ==, !=) "
            'and a number with an optional unit (ms, s, %), e.g. "< 200" or ">= 60%", '
            'or a comparison with the baseline such as "<= baseline * 0.7"'
        )
    value = float(m["num"])
    if not math.isfinite(value):
        raise RuleError(f"cannot parse rule {text!r}: {m['num']} is not a finite number")
    return Rule(text=" ".join(text.split()), op=m["op"], value=value, unit=m["unit"])


def _parse_baseline_rule(text: str) -> Rule:
    m = _BASELINE_RULE.match(text)
    if m is None:
        raise RuleError(f"cannot parse rule {text!r}: expected {_BASELINE_HELP}")
    op, modifier, num, unit, ref = m["op"], m["mod"], m["num"], m["unit"], m["ref"]
    word = f"baseline({ref})" if ref else "baseline"
    if modifier is None:
        return Rule(text=f"{op} {word}", op=op, value=0.0, uses_baseline=True, baseline_name=ref)
    value = float(num)
    if modifier in ("*", "/") and unit is not None:
        raise RuleError(
            f"cannot parse rule {text!r}: {modifier} takes a plain number, not {num}{unit} "
            '(write "baseline * 0.7" for 70 % of the baseline, or "baseline - 30%")'
        )
    if modifier == "/" and value == 0:
        raise RuleError(f"cannot parse rule {text!r}: division by zero")
    if not math.isfinite(value):
        raise RuleError(f"cannot parse rule {text!r}: {num} is not a finite number")
    return Rule(
        text=f"{op} {word} {modifier} {num}{unit or ''}",
        op=op,
        value=value,
        unit=unit,
        uses_baseline=True,
        modifier=modifier,
        baseline_name=ref,
    )
