"""Waivers: a known failure accepted for a while, with a justification and an expiry date.

Config (``[[tool.deployready.waivers]]`` or ``[[waivers]]`` in deployready.toml)::

    [[waivers]]
    check = "test_post_*::test_cache_hit_ratio"   # a check id, or a glob (also on the test name)
    justification = "cache warms up over 24 h after a flush; INC-4411"
    expires = 2026-12-01                          # last day the waiver applies
    run = true                                    # false: don't even run the check

A failure or error of a waived check is ``waived``: shown, not blocking. After its expiry date
a waiver no longer applies and the summary says so; a waiver that matches no check is reported.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_deployready.config import Waiver

__all__ = ["WaiverMatch", "find_waiver", "waiver_report"]


def _matches(waiver: Waiver, check_id: str) -> bool:
    name = check_id.rsplit("::", 1)[-1]
    return (
        waiver.check == check_id
        or fnmatch.fnmatchcase(check_id, waiver.check)
        or fnmatch.fnmatchcase(name, waiver.check)
    )


def is_expired(waiver: Waiver, today: dt.date) -> bool:
    return waiver.expires is not None and today > waiver.expires


@dataclass(frozen=True)
class WaiverMatch:
    """The waiver that applies to a check, or the expired one that no longer does."""

    active: Waiver | None
    expired: Waiver | None

    def describe(self) -> dict[str, Any] | None:
        w = self.active or self.expired
        if w is None:
            return None
        return {
            "check": w.check,
            "justification": w.justification,
            "expires": w.expires.isoformat() if w.expires else None,
            "run": w.run,
            "expired": self.active is None,
        }


def find_waiver(waivers: Sequence[Waiver], check_id: str, today: dt.date) -> WaiverMatch:
    """The first matching waiver still in force, else the first expired match."""
    expired: Waiver | None = None
    for w in waivers:
        if not _matches(w, check_id):
            continue
        if not is_expired(w, today):
            return WaiverMatch(w, None)
        expired = expired or w
    return WaiverMatch(None, expired)


@dataclass
class _Status:
    waiver: Waiver
    matched: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)


def waiver_report(
    waivers: Sequence[Waiver], checks: Iterable[tuple[str, str]], today: dt.date
) -> list[dict[str, Any]]:
    """Every waiver with its status: ``applied``, ``active``, ``expired`` or ``unused``.

    ``checks`` yields ``(check_id, outcome)`` for every check of the run (not read at all when
    no waiver is configured).
    """
    if not waivers:
        return []
    statuses = [_Status(w) for w in waivers]
    for check_id, outcome in checks:
        for s in statuses:
            if _matches(s.waiver, check_id):
                s.matched.append(check_id)
                if outcome == "waived":
                    s.applied.append(check_id)
    out = []
    for s in statuses:
        w = s.waiver
        if is_expired(w, today):
            status = "expired"
        elif not s.matched:
            status = "unused"
        elif s.applied:
            status = "applied"
        else:
            status = "active"
        out.append(
            {
                "check": w.check,
                "justification": w.justification,
                "expires": w.expires.isoformat() if w.expires else None,
                "run": w.run,
                "status": status,
                "matched": s.matched,
                "applied": s.applied,
            }
        )
    return out
