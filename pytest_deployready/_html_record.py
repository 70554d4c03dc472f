"""The deployment record as one self-contained HTML page (``--deploy-html PATH``).

Rendered on the server from the JSON record dict, so the browser has nothing to build: the
verdict and what blocks it come first, then the summary by phase and outcome, sign-off,
waivers and the environment, then every check grouped by phase and section. Failures, errors
and pending items are expanded; everything else is collapsed in ``<details>``. A small inline
script filters rows by text and outcome by toggling a class (no re-render), which stays fast at
50,000 checks; rows use ``content-visibility: auto`` so the browser lays out only what is on
screen. The page loads nothing from elsewhere (a Content-Security-Policy ``<meta>`` forbids it)
and every piece of text from the record is HTML-escaped.

Example::

    from pytest_deployready._html_record import render_record_html

    Path("record.html").write_text(render_record_html(record), encoding="utf-8")
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from importlib.resources import files
from typing import Any

from pytest_deployready._formatting import failed_attempts, format_measured, format_number
from pytest_deployready._vocabulary import OUTCOMES_WORST_FIRST, VERDICT_COLOURS

__all__ = ["embedded_record_text", "render_record_html"]

#: Outcomes in the order the filter and the summary show them (worst first).
OUTCOMES = tuple(str(o) for o in OUTCOMES_WORST_FIRST)
#: Outcomes whose checks are expanded when the page opens.
EXPANDED = frozenset({"failed", "error", "pending"})
#: Longest evidence (compact JSON characters) shown per check; the JSON record has all of it.
MAX_EVIDENCE_CHARS = 20_000
#: Items listed at once under "Blocking items" and "Warnings"; the rest sit in a <details>.
MAX_LISTED = 50
#: Longest message shown in a check's one-line summary.
SUMMARY_MESSAGE_CHARS = 160

_VERDICT_COLOUR: dict[str, str] = {str(v): c for v, c in VERDICT_COLOURS.items()}
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

#: The page's style sheet and script: package data (resources/), read once.
_STYLE = (files("pytest_deployready") / "resources" / "record.css").read_text(encoding="utf-8")
_SCRIPT = (files("pytest_deployready") / "resources" / "record.js").read_text(encoding="utf-8")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _compact_json(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(text) > MAX_EVIDENCE_CHARS:
        more = len(text) - MAX_EVIDENCE_CHARS
        text = f"{text[:MAX_EVIDENCE_CHARS]}… ({more} more characters in the JSON record)"
    return text


def _first_line(text: str, limit: int = SUMMARY_MESSAGE_CHARS) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _no_credentials(value: object) -> str:
    """A target as ``host:port``: drop a user/password part should one ever appear."""
    text = "" if value is None else str(value)
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    if "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1] if rest.count("@") == 1 else rest.rsplit("@", 1)[1]
    return f"{scheme}://{rest}" if sep else rest


def _phase_order(record: Mapping[str, Any], checks: Iterable[Mapping[str, Any]]) -> list[str]:
    phases = record.get("phases") or {}
    order: list[str] = [str(p) for p in phases.get("order") or []]
    for c in checks:
        p = c.get("phase")
        key = "" if p is None else str(p)
        if key not in order:
            order.append(key)
    return order


def _dirty(value: object) -> str:
    if value is None:
        return "(unknown)"
    return "YES: the suite's checkout has uncommitted changes" if value else "no"


def _glance(
    record: Mapping[str, Any], checks: list[Mapping[str, Any]], order: list[str], out: list[str]
) -> None:
    """The first screen: counts per phase, triggers that fired, what still needs a person."""
    rows: list[str] = []
    per_phase: dict[str, dict[str, int]] = {}
    for c in checks:
        phase = "" if c.get("phase") is None else str(c.get("phase"))
        row = per_phase.setdefault(phase, {})
        outcome = str(c.get("outcome") or "")
        row[outcome] = row.get(outcome, 0) + 1
    phases = []
    for phase in order:
        seen = per_phase.get(phase)
        if seen:
            counts = ", ".join(f"{seen[o]} {o}" for o in OUTCOMES if seen.get(o))
            phases.append(f"<b>{_e(phase or '(no phase)')}</b>: {_e(counts)}")
    if phases:
        rows.append(f"<tr><th>Phases</th><td>{' · '.join(phases)}</td></tr>")
    fired = [
        (i, c)
        for i, c in enumerate(checks)
        if c.get("rollback_trigger") and c.get("outcome") in ("failed", "error")
    ]
    if fired:
        items = "".join(
            f'<li><a href="#c{i}">{_e(c.get("title") or c.get("id"))}</a>'
            + (f" — {_e(c.get('rollback_reason'))}" if c.get("rollback_reason") else "")
            + (f": {_e(_first_line(str(c.get('message') or ''), 200))}" if c.get("message") else "")
            + "</li>"
            for i, c in fired
        )
        rows.append(
            f'<tr><th>Rollback triggers fired</th><td class="bad"><ul>{items}</ul></td></tr>'
        )
    else:
        rows.append("<tr><th>Rollback triggers fired</th><td>none</td></tr>")
    pending: dict[str, int] = {}
    for c in checks:
        if c.get("outcome") == "pending":
            role = str(c.get("manual") or c.get("manual_role") or "someone")
            pending[role] = pending.get(role, 0) + 1
    if pending:
        who = ", ".join(f"{_e(role)} ({n})" for role, n in sorted(pending.items()))
        rows.append(
            f'<tr><th>Manual items pending</th><td class="bad">{sum(pending.values())}: {who}'
            "</td></tr>"
        )
    else:
        rows.append("<tr><th>Manual items pending</th><td>none</td></tr>")
    signoff = record.get("signoff") or []
    if signoff:
        unsigned = [str(r.get("role")) for r in signoff if not r.get("signed")]
        shown = (
            f'<td class="bad">{len(unsigned)} of {len(signoff)} roles still to sign: '
            f"{_e(', '.join(unsigned))}</td>"
            if unsigned
            else f'<td class="ok">all {len(signoff)} roles signed</td>'
        )
        rows.append(f"<tr><th>Sign-off</th>{shown}</tr>")
    baseline: Mapping[str, Any] = record.get("baseline") or {}
    if baseline:
        rows.append(f"<tr><th>Compared with</th><td>{_baseline_line(baseline)}</td></tr>")
    meta: Mapping[str, Any] = record.get("metadata") or {}
    commit = meta.get("git_commit")
    if commit:
        dirty = " (uncommitted changes)" if meta.get("git_dirty") else ""
        rows.append(
            f"<tr><th>Commit</th><td><code>{_e(str(commit)[:12])}</code>{_e(dirty)}"
            + (f" on {_e(meta.get('git_branch'))}" if meta.get("git_branch") else "")
            + "</td></tr>"
        )
    out.append(f'<table id="glance">{"".join(rows)}</table>')


def _baseline_line(baseline: Mapping[str, Any]) -> str:
    """``record-2.3.0.json — GO, commit 3f2c1e0a9b1c, 2026-11-30T10:00:00Z``, escaped."""
    parts = [f"<code>{_e(baseline.get('path'))}</code>"]
    facts = [str(baseline.get("verdict") or "no verdict")]
    if baseline.get("git_commit"):
        facts.append(f"commit {str(baseline['git_commit'])[:12]}")
    if baseline.get("started_at"):
        facts.append(str(baseline["started_at"]))
    text = f"{parts[0]} — {_e(', '.join(facts))}"
    warnings = baseline.get("warnings") or []
    if warnings:
        text += "".join(f'<br><span class="bad">{_e(w)}</span>' for w in warnings)
    return text


def _nav(record: Mapping[str, Any], out: list[str]) -> None:
    """Links to the sections this page has (no link to a section that is not there)."""
    links = [("#blocking-h", "blocking"), ("#summary", "summary")]
    if record.get("signoff"):
        links.append(("#signoff", "sign-off"))
    if record.get("waivers"):
        links.append(("#waivers", "waivers"))
    if record.get("attestations"):
        links.append(("#attestations", "attestations"))
    links += [("#environment", "environment"), ("#checks-h", "checks"), ("#record", "record")]
    shown = " · ".join(f'<a href="{href}">{label}</a>' for href, label in links)
    out.append(f'<p class="meta" id="nav">{shown}</p>')


def _embedded(record: Mapping[str, Any], record_text: str | None, out: list[str]) -> None:
    """The JSON record this page was rendered from, and its sha256 (``deployready verify``)."""
    if record_text is None:
        from pytest_deployready._record import dumps_record

        record_text = dumps_record(dict(record))
    digest = hashlib.sha256(record_text.encode("utf-8")).hexdigest()
    # Raw text inside <script>: no "<" at all (only JSON strings can hold one, and "\\u003c" is
    # the same string), so nothing in the record can end or re-open the element.
    safe = record_text.replace("<", "\\u003c")
    out.append(
        f'<h2 id="record">Record</h2><p class="meta">This page embeds the JSON record it shows. '
        f'sha256 <code id="record-digest">{digest}</code>. Check the page with '
        "<code>deployready verify PAGE.html [RECORD.json]</code>.</p>"
        f'<script type="application/json" id="deployready-record" data-sha256="{digest}">'
        f"{safe}</script>"
    )


_UNESCAPE = re.compile(r"\\\\|\\u003c")


def embedded_record_text(page: str) -> tuple[str, str] | None:
    """The JSON record text a page embeds and the digest the page states, or None.

    The exact text :func:`render_record_html` embedded (``\\u003c`` back to ``<``), so its
    sha256 is comparable with the page's and with the record file's.

    Example: ``text, digest = embedded_record_text(Path("record.html").read_text())``
    """
    match = _EMBEDDED.search(page)
    if match is None:
        return None
    raw = match.group("json")
    text = _UNESCAPE.sub(lambda m: "<" if m.group(0) != "\\\\" else m.group(0), raw)
    return text, match.group("digest")


_EMBEDDED = re.compile(
    r'<script type="application/json" id="deployready-record" data-sha256="(?P<digest>[0-9a-f]*)">'
    r"(?P<json>.*?)</script>",
    re.S,
)


def _suites(record: Mapping[str, Any], out: list[str]) -> None:
    """A record combined from several suite runs (``deployready demo``): one row per suite."""
    suites: Mapping[str, Mapping[str, Any]] = record.get("suites") or {}
    if not suites:
        return
    rows = []
    for name, suite in suites.items():
        counts = suite.get("counts") or {}
        shown = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no checks"
        verdict = str(suite.get("verdict") or "")
        note = f"<br><small>{_e(suite['note'])}</small>" if suite.get("note") else ""
        base = suite.get("baseline")
        if base:
            note += (
                f"<br><small>baseline: {_e(base.get('verdict'))}, "
                f'<a href="{_e(base.get("record"))}">record</a></small>'
            )
        links = " · ".join(
            f'<a href="{_e(suite[key])}">{key}</a>'
            for key in ("report", "record")
            if suite.get(key)
        )
        rows.append(
            f"<tr><td>{_e(name)}</td>"
            f'<td style="color:{_VERDICT_COLOUR.get(verdict, "#57606a")}"><b>{_e(verdict)}</b></td>'
            f"<td>{_e(shown)}{note}</td><td>{links}</td></tr>"
        )
    out.append(
        f'<h2 id="suites-h">Suites ({len(suites)})</h2><table id="suites"><tr><th>suite</th>'
        f"<th>verdict</th><th>checks</th><th>details</th></tr>{''.join(rows)}</table>"
    )


def _verdict(record: Mapping[str, Any], out: list[str]) -> None:
    verdict = str(record.get("verdict") or "unknown")
    colour = _VERDICT_COLOUR.get(verdict, "#57606a")
    incomplete = "" if record.get("complete", True) else " — incomplete run"
    out.append(
        f'<div id="verdict" data-verdict="{_e(verdict)}" style="background:{colour}">'
        f"Verdict: {_e(verdict)}{_e(incomplete)}</div>"
    )
    meta = [
        f"environment {_e(record.get('environment') or '(none)')}",
        f"started {_e(record.get('started_at') or '?')}",
        f"finished {_e(record.get('finished_at') or '?')}",
    ]
    if record.get("exit_code") is not None:
        meta.append(f"exit code {_e(record.get('exit_code'))}")
    out.append(f'<p class="meta">{" · ".join(meta)}</p>')
    reasons = record.get("verdict_reasons") or []
    if reasons:
        items = "".join(f"<li>{_e(r)}</li>" for r in reasons)
        out.append(f'<h2>Reasons</h2><ul id="reasons">{items}</ul>')


def _blocking_rank(c: Mapping[str, Any]) -> int:
    outcome = c.get("outcome")
    if c.get("rollback_trigger") and outcome in ("failed", "error"):
        return 0
    if outcome in ("failed", "error"):
        return 1
    return 2


def _problem_list(
    title: str, element_id: str, checks: list[tuple[int, Mapping[str, Any]]], out: list[str]
) -> None:
    if not checks:
        out.append(f'<h2 id="{element_id}-h">{_e(title)}</h2><p id="{element_id}">none</p>')
        return
    items = []
    for n, (index, c) in enumerate(checks):
        if n == MAX_LISTED:
            items.append(
                f'</ul><details><summary>{len(checks) - MAX_LISTED} more</summary><ul class="more">'
            )
        trigger = " · rollback trigger" if c.get("rollback_trigger") else ""
        message = _first_line(str(c.get("message") or ""), 300)
        items.append(
            f'<li class="o-{_e(c.get("outcome"))}"><span class="o">{_e(c.get("outcome"))}</span> '
            f'<a href="#c{index}">{_e(c.get("title") or c.get("id"))}</a> '
            f'<span class="s">[{_e(c.get("phase") or "-")}, {_e(c.get("severity"))}{trigger}]'
            f"</span> <code>{_e(c.get('id'))}</code>"
            + (f"<br>{_e(message)}" if message else "")
            + "</li>"
        )
    closing = "</ul></details>" if len(checks) > MAX_LISTED else "</ul>"
    out.append(
        f'<h2 id="{element_id}-h">{_e(title)} ({len(checks)})</h2><ul id="{element_id}">'
        f"{''.join(items)}{closing}"
    )


def _summary(
    record: Mapping[str, Any], checks: list[Mapping[str, Any]], order: list[str], out: list[str]
) -> dict[str, int]:
    table: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(OUTCOMES, 0)
    for c in checks:
        p = c.get("phase")
        row = table.setdefault("" if p is None else str(p), dict.fromkeys(OUTCOMES, 0))
        outcome = str(c.get("outcome"))
        if outcome in row:
            row[outcome] += 1
            totals[outcome] += 1
    head = "".join(f'<th><span class="k k-{o}"></span>{o}</th>' for o in OUTCOMES)
    rows = []
    for phase in order:
        if phase not in table:
            continue
        row = table[phase]
        cells = "".join(f'<td class="n">{row[o]}</td>' for o in OUTCOMES)
        rows.append(
            f"<tr><td>{_e(phase or '(no phase)')}</td>{cells}"
            f'<td class="n">{sum(row.values())}</td></tr>'
        )
    cells = "".join(f'<td class="n" data-count="{o}">{totals[o]}</td>' for o in OUTCOMES)
    rows.append(
        f'<tr><th>all</th>{cells}<td class="n" data-count="total">{sum(totals.values())}</td></tr>'
    )
    out.append(
        '<h2>Summary by phase</h2><table id="summary">'
        f"<tr><th>phase</th>{head}<th>total</th></tr>{''.join(rows)}</table>"
    )
    summary = record.get("summary") or {}
    deselected = summary.get("deselected")
    if deselected:
        why = summary.get("deselected_by_reason") or {}
        detail = ", ".join(f"{_e(k)}: {_e(v)}" for k, v in sorted(why.items()))
        out.append(
            f'<p class="meta">deselected: {_e(deselected)}{f" ({detail})" if detail else ""}</p>'
        )
    return totals


def _signoff(record: Mapping[str, Any], out: list[str]) -> None:
    rows = record.get("signoff") or []
    if not rows:
        return
    body = []
    for r in rows:
        if r.get("signed"):
            cells = (
                f'<td class="ok">signed by {_e(r.get("by"))}</td><td>{_e(r.get("at"))}</td>'
                f"<td>{_e(r.get('note'))}</td>"
            )
        else:
            rejected = "; ".join(str(x) for x in r.get("rejected") or [])
            cells = f'<td class="bad">UNSIGNED</td><td></td><td>{_e(rejected)}</td>'
        body.append(f"<tr><td>{_e(r.get('role'))}</td>{cells}</tr>")
    out.append(
        '<h2>Sign-off</h2><table id="signoff"><tr><th>role</th><th>signed</th><th>when</th>'
        f"<th>note</th></tr>{''.join(body)}</table>"
    )


def _waivers(record: Mapping[str, Any], out: list[str]) -> None:
    waivers = record.get("waivers") or []
    if not waivers:
        return
    body = []
    for w in waivers:
        status = str(w.get("status") or "")
        cls = ' class="bad"' if status in ("expired", "unused") else ""
        body.append(
            f"<tr><td><code>{_e(w.get('check'))}</code></td><td>{_e(w.get('justification'))}</td>"
            f"<td>{_e(w.get('expires') or 'never')}</td><td{cls}>{_e(status)}</td>"
            f'<td class="n">{len(w.get("matched") or [])}</td></tr>'
        )
    out.append(
        '<h2>Waivers</h2><table id="waivers"><tr><th>check</th><th>justification</th>'
        f"<th>expires</th><th>status</th><th>matched</th></tr>{''.join(body)}</table>"
    )


def _attestations(record: Mapping[str, Any], out: list[str]) -> None:
    entries = record.get("attestations") or []
    if not entries:
        return
    body = "".join(
        f"<tr><td>{_e(a.get('check') or a.get('title') or '')}</td><td>{_e(a.get('role'))}</td>"
        f"<td>{_e(a.get('by'))}</td><td>{_e(a.get('at'))}</td><td>{_e(a.get('note'))}</td>"
        f"<td>{'yes' if a.get('counts', True) else 'no (other commit)'}</td></tr>"
        for a in entries
    )
    out.append(
        '<h2>Attestations</h2><table id="attestations"><tr><th>check</th><th>role</th>'
        f"<th>by</th><th>when</th><th>note</th><th>counts</th></tr>{body}</table>"
    )


def _attested(a: Mapping[str, Any]) -> str:
    """``attested by Max Ortiz (QA) on 2026-12-01 — "note" · commit abc1234``, escaped."""
    text = f"attested by {_e(a.get('by') or '?')}"
    if a.get("role"):
        text += f" ({_e(a.get('role'))})"
    if a.get("at"):
        text += f" on {_e(a.get('at'))}"
    if a.get("note"):
        text += f" — &ldquo;{_e(a.get('note'))}&rdquo;"
    if a.get("commit"):
        text += f" · commit <code>{_e(str(a.get('commit'))[:12])}</code>"
    return text


def _environment(record: Mapping[str, Any], out: list[str]) -> None:
    meta: Mapping[str, Any] = record.get("metadata") or {}
    config: Mapping[str, Any] = record.get("config") or {}
    rows: list[tuple[str, object]] = [
        ("Title", record.get("title")),
        ("Deployment environment", record.get("environment") or "(none)"),
        ("Started", record.get("started_at")),
        ("Finished", record.get("finished_at")),
        ("Complete", "yes" if record.get("complete", True) else "no (interrupted)"),
        ("Schema", record.get("schema")),
        ("Git commit", meta.get("git_commit") or "(unknown)"),
        ("Git branch", meta.get("git_branch") or "(unknown)"),
        ("Uncommitted changes", _dirty(meta.get("git_dirty"))),
        ("Run by", meta.get("run_by")),
        ("Host", meta.get("host")),
        ("pytest-deployready", meta.get("plugin_version")),
        ("Python", meta.get("python")),
        ("Config", meta.get("config_file") or config.get("path") or "(defaults)"),
        ("Config digest", meta.get("config_digest") or config.get("digest")),
    ]
    attest_file: Mapping[str, Any] = record.get("attestation_file") or {}
    if attest_file:
        rows.append(
            ("Attestation file", f"{attest_file.get('path')} (sha256 {attest_file.get('sha256')})")
        )
    targets: Mapping[str, Any] = meta.get("targets") or {}
    rows.extend((f"Target {name}", _no_credentials(value)) for name, value in targets.items())
    body = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows if v not in (None, "")
    )
    out.append(f'<h2>Environment</h2><table id="environment">{body}</table>')


def _measured(t: Mapping[str, Any]) -> str:
    """``396.2 ms``: the measured value with its unit (the JSON keeps full precision)."""
    name, rule = str(t.get("name") or ""), str(t.get("rule") or "")
    if t.get("measured") is None and t.get("invalid"):
        return f"invalid: {t['invalid']}"  # not a finite number: the reason, not "—"
    return format_measured(t.get("measured"), name, rule)


def _against_baseline(t: Mapping[str, Any]) -> str:
    """``baseline 68 ms, change -92.6 %`` when the rule compared with a previous record."""
    if "baseline" not in t or t.get("baseline") is None:
        return ""
    name = str(t.get("name") or "")
    base = format_measured(t.get("baseline"), name)
    pct = t.get("change_pct")
    change = f", change {format_number(pct)} %" if isinstance(pct, int | float) else ""
    if isinstance(pct, int | float) and pct > 0:
        change = f", change +{format_number(pct)} %"
    return f"baseline {base}{change}"


def _thresholds(items: list[Mapping[str, Any]]) -> str:
    rows = []
    for t in items:
        ok = bool(t.get("passed"))
        mark = '<td class="ok">&#10003;</td>' if ok else '<td class="bad">&#10007;</td>'
        rows.append(
            f'<tr>{mark}<td>{_e(t.get("name"))}</td><td class="n">{_e(_measured(t))}</td>'
            f"<td>{_e(t.get('rule'))}</td><td>{_e(_against_baseline(t))}</td>"
            f"<td>{_e(t.get('source') or '')}</td></tr>"
        )
    return (
        '<table class="th"><tr><th></th><th>threshold</th><th>measured</th><th>rule</th>'
        f"<th>baseline</th><th>source</th></tr>{''.join(rows)}</table>"
    )


def _thresholds_line(items: list[Mapping[str, Any]]) -> str:
    parts = []
    for t in items:
        extra = [x for x in (_against_baseline(t), str(t.get("source") or "")) if x]
        parts.append(
            f"{'&#10003;' if t.get('passed') else '&#10007;'} {_e(t.get('name'))}: measured "
            f"{_e(_measured(t))}, rule {_e(t.get('rule'))}"
            + (f" ({_e('; '.join(extra))})" if extra else "")
        )
    return "; ".join(parts)


def _check(index: int, c: Mapping[str, Any], out: list[str]) -> None:
    outcome = str(c.get("outcome") or "")
    o = _e(outcome)
    title = c.get("title") or c.get("id")
    message = str(c.get("message") or "")
    expanded = outcome in EXPANDED
    bits = [str(c.get("severity") or "")]
    if c.get("blocking"):
        bits.append("BLOCKING")
    if c.get("rollback_trigger"):
        reason = c.get("rollback_reason")
        bits.append(f"rollback trigger: {reason}" if reason else "rollback trigger")
    if c.get("manual"):
        bits.append(f"manual: {c.get('manual')}")
    if c.get("target"):
        bits.append(f"target {c.get('target')}")
    duration = c.get("duration_s")
    if isinstance(duration, int | float):
        bits.append(f"{duration:.3f} s")
    summary_msg = ""
    if message and outcome != "passed":
        summary_msg = f' <span class="msg1">{_e(_first_line(message))}</span>'
    out.append(
        f'<details class="c o-{o}" id="c{index}" data-o="{o}"{" open" if expanded else ""}>'
        f'<summary><span class="o">{o}</span> {_e(title)} <code class="id">{_e(c.get("id"))}'
        f'</code> <span class="s">{_e(" · ".join(b for b in bits if b))}</span>{summary_msg}'
        "</summary><div>"
    )
    if message:
        out.append(f'<pre class="msg">{_e(message)}</pre>')
    thresholds = c.get("thresholds") or []
    if thresholds and expanded:
        out.append(_thresholds(thresholds))
    elif thresholds:  # collapsed: one line of text, far fewer elements for the browser
        out.append(f'<p class="s">{_thresholds_line(thresholds)}</p>')
    waiver = c.get("waiver")
    if waiver:
        out.append(f'<p class="s">waiver: {_e(_compact_json(waiver))}</p>')
    attestation = c.get("attestation")
    if attestation:
        out.append(f'<p class="s att">{_attested(attestation)}</p>')
    rejected = c.get("attestation_rejected") or []
    if rejected:
        out.append(f'<p class="s">attestations not counted: {_e("; ".join(rejected))}</p>')
    reruns = c.get("reruns")
    if reruns:
        attempts = _e(failed_attempts(reruns))
        out.append(f'<p class="s">rerun after {attempts}; the last attempt counts</p>')
    evidence = c.get("evidence")
    if evidence:
        out.append(f'<pre class="ev">{_e(_compact_json(evidence))}</pre>')
    elif not (message or thresholds):
        out.append('<p class="s">no evidence recorded</p>')
    out.append("</div></details>")


def _checks(checks: list[Mapping[str, Any]], order: list[str], out: list[str]) -> None:
    by_phase: dict[str, dict[str, list[int]]] = {}
    for i, c in enumerate(checks):
        p = c.get("phase")
        groups = by_phase.setdefault("" if p is None else str(p), {})
        groups.setdefault(str(c.get("section") or ""), []).append(i)
    out.append('<div id="checks">')
    for phase in order:
        sections = by_phase.get(phase)
        if not sections:
            continue
        count = sum(len(v) for v in sections.values())
        label = f"Phase {phase}" if phase else "No phase"
        out.append(
            f'<section class="p" data-phase="{_e(phase)}"><h2>{_e(label)} '
            f'<small class="meta">({count})</small></h2>'
        )
        for section, indexes in sections.items():
            out.append(
                f'<div class="g" data-section="{_e(section)}"><h3>{_e(section or "(no section)")}'
                f' <small class="meta">({len(indexes)})</small></h3>'
            )
            for i in indexes:
                _check(i, checks[i], out)
            out.append("</div>")
        out.append("</section>")
    out.append("</div>")


def render_record_html(record: dict[str, Any], record_text: str | None = None) -> str:
    """The deployment record as a self-contained, server-side rendered HTML page.

    The page embeds the JSON record it shows (``record_text``, default: the record as
    :func:`~pytest_deployready._record.dumps_record` writes it) and its sha256 digest, which
    ``deployready verify PAGE.html`` checks.

    Example::

        Path("record.html").write_text(render_record_html(record), encoding="utf-8")
    """
    checks: list[Mapping[str, Any]] = [c for c in record.get("checks") or [] if c]
    order = _phase_order(record, checks)
    title = str(record.get("title") or "Deployment record")
    verdict = str(record.get("verdict") or "unknown")
    out: list[str] = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="generator" content="pytest-deployready">'
        f"<title>{_e(title)} — {_e(verdict)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
    ]
    _verdict(record, out)
    _glance(record, checks, order, out)
    _suites(record, out)
    _nav(record, out)
    indexed = list(enumerate(checks))
    blocking = sorted(
        (ic for ic in indexed if ic[1].get("blocking")), key=lambda ic: _blocking_rank(ic[1])
    )
    _problem_list("Blocking items", "blocking", blocking, out)
    warnings = [
        ic
        for ic in indexed
        if not ic[1].get("blocking") and ic[1].get("outcome") in ("failed", "error")
    ]
    if warnings:
        _problem_list("Warnings (not blocking)", "warnings", warnings, out)
    totals = _summary(record, checks, order, out)
    _signoff(record, out)
    _waivers(record, out)
    _attestations(record, out)
    _environment(record, out)
    boxes = "".join(
        f'<label><input type="checkbox" value="{o}" checked> <span class="k k-{o}"></span>'
        f"{o} ({totals[o]})</label>"
        for o in OUTCOMES
        if totals[o]
    )
    out.append(
        f'<h2 id="checks-h">Checks ({len(checks)})</h2><div id="filter">'
        '<input type="search" id="q" placeholder="filter by title, id, severity, message" '
        f'aria-label="filter checks">{boxes} <button type="button" id="expand">expand all'
        '</button> <button type="button" id="collapse">collapse all</button> '
        f'<span id="shown" class="meta">all {len(checks)} checks shown</span></div>'
    )
    _checks(checks, order, out)
    _embedded(record, record_text, out)
    out.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "".join(out)
