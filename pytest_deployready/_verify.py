"""``deployready verify``: is an HTML record page what its embedded JSON record says?

A ``--deploy-html`` page embeds the JSON record it was rendered from and states its sha256.
:func:`verify_page` checks that the embedded record matches that digest, that the verdict,
completeness and outcome counts the page *shows* are those of the embedded record, and, given
the JSON record file, that the file is the same record. What a digest proves: the page and the
file agree with each other and were not edited separately. It does not prove who made them —
anyone who edits the record can recompute the digest; that is what a signature is for.

Example::

    problems = verify_page(Path("record.html").read_text(), Path("record.json").read_text())
    assert problems == []
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections import Counter
from typing import Any

from pytest_deployready._html_record import OUTCOMES, embedded_record_text

__all__ = ["verify_page"]

_SHOWN_VERDICT = re.compile(r'<div id="verdict" data-verdict="([^"]*)"[^>]*>Verdict: ([^<]*)</div>')
_SHOWN_COUNT = re.compile(r'<td class="n" data-count="([a-z]+)">(\d+)</td>')
_SHOWN_DIGEST = re.compile(r'<code id="record-digest">([0-9a-f]*)</code>')
_INCOMPLETE = " — incomplete run"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_page(page: str, record_file_text: str | None = None) -> list[str]:
    """What does not match, one line each; an empty list when the page checks out.

    Example: ``verify_page(page)  # [] or ['verdict shown NO_GO, embedded record says GO']``
    """
    embedded = embedded_record_text(page)
    if embedded is None:
        return ["the page embeds no deployment record (not a --deploy-html page of this version)"]
    text, stated = embedded
    problems: list[str] = []
    actual = _sha256(text)
    if actual != stated:
        problems.append(f"embedded record sha256 is {actual}, the page states {stated}")
    shown_digest = _SHOWN_DIGEST.search(page)
    if shown_digest is None or shown_digest.group(1) != stated:
        problems.append("the digest shown on the page differs from the embedded one")
    try:
        record: dict[str, Any] = json.loads(text)
    except ValueError as exc:
        return [*problems, f"the embedded record is not valid JSON: {exc}"]
    problems += _shown_matches(page, record)
    if record_file_text is not None:
        problems += _same_record(record_file_text, text, record)
    return problems


def _shown_matches(page: str, record: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    verdict = str(record.get("verdict"))
    shown = _SHOWN_VERDICT.search(page)
    if shown is None:
        return ["the page shows no verdict banner"]
    attr, text = html.unescape(shown.group(1)), html.unescape(shown.group(2))
    complete = record.get("complete", True)
    expected_text = verdict + ("" if complete else _INCOMPLETE)
    if attr != verdict or text != expected_text:
        problems.append(f"verdict shown {text!r}, the embedded record says {expected_text!r}")
    counts = Counter(str(c.get("outcome")) for c in record.get("checks") or [] if c)
    expected = {o: counts.get(o, 0) for o in OUTCOMES}
    expected["total"] = sum(expected.values())
    seen = {name: int(n) for name, n in _SHOWN_COUNT.findall(page)}
    for name, n in expected.items():
        if seen.get(name) != n:
            problems.append(f"{name} count shown {seen.get(name)}, the embedded record has {n}")
    return problems


def _same_record(file_text: str, embedded_text: str, embedded: dict[str, Any]) -> list[str]:
    if _sha256(file_text) == _sha256(embedded_text):
        return []
    try:
        other = json.loads(file_text)
    except ValueError as exc:
        return [f"the record file is not valid JSON: {exc}"]
    if not isinstance(other, dict):
        return ["the record file is not a deployment record (not a JSON object)"]
    if other == embedded:
        return []  # the same record, written with other whitespace
    keys = sorted(k for k in set(other) | set(embedded) if other.get(k) != embedded.get(k))
    shown = []
    for key in keys[:5]:
        if key == "checks":
            shown.append("checks differ")
        else:
            a, b = json.dumps(other.get(key))[:80], json.dumps(embedded.get(key))[:80]
            shown.append(f"{key}: {a} in the file, {b} in the page")
    more = f" (and {len(keys) - 5} more fields)" if len(keys) > 5 else ""
    return ["the record file is not the record the page embeds: " + "; ".join(shown) + more]
