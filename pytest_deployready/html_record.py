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

    from pytest_deployready.html_record import render_record_html

    Path("record.html").write_text(render_record_html(record), encoding="utf-8")
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["render_record_html"]

#: Outcomes in the order the filter and the summary show them (worst first).
OUTCOMES = ("failed", "error", "blocked", "pending", "waived", "skipped", "passed")
#: Outcomes whose checks are expanded when the page opens.
EXPANDED = frozenset({"failed", "error", "pending"})
#: Longest evidence (compact JSON characters) shown per check; the JSON record has all of it.
MAX_EVIDENCE_CHARS = 20_000
#: Items listed at once under "Blocking items" and "Warnings"; the rest sit in a <details>.
MAX_LISTED = 50
#: Longest message shown in a check's one-line summary.
SUMMARY_MESSAGE_CHARS = 160

_VERDICT_COLOUR = {
    "GO": "#1a7f37",
    "GO_WITH_WARNINGS": "#9a6700",
    "NO_GO": "#cf222e",
    "ROLLBACK": "#82071e",
}
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

_STYLE = """
:root{color-scheme:light;--bd:#d0d7de;--mut:#57606a}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1200px;padding:16px;color:#1f2328;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.25em;margin:1.2em 0 .4em;
border-bottom:1px solid var(--bd)}h3{font-size:1.05em;margin:.8em 0 .3em}
#verdict{color:#fff;padding:12px 16px;font-size:1.5em;font-weight:700;border-radius:6px}
.meta{color:var(--mut)}
table{border-collapse:collapse;margin:.3em 0}
td,th{border:1px solid var(--bd);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:6px 8px;
margin:4px 0;border-radius:4px;max-height:24em;overflow:auto}
.o{display:inline-block;min-width:4.6em;padding:0 4px;border-radius:3px;color:#fff;
font-size:12px;text-align:center;font-weight:600}
.o-passed .o,.k-passed{background:#1a7f37}.o-failed .o,.k-failed{background:#cf222e}
.o-error .o,.k-error{background:#82071e}.o-skipped .o,.k-skipped{background:#6e7781}
.o-blocked .o,.k-blocked{background:#9a6700}.o-pending .o,.k-pending{background:#8250df}
.o-waived .o,.k-waived{background:#0969da}
.k{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:3px}
.c{content-visibility:auto;contain-intrinsic-size:auto 26px;border-bottom:1px solid #eaeef2}
.c>summary{cursor:pointer;padding:2px 0;list-style-position:outside}
.c>div{padding:2px 0 8px 1.6em}
.c .id{color:var(--mut)}.c .s{color:var(--mut);font-size:12px}
.c .msg1{color:#cf222e}
.g{margin-left:.4em}
#filter{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid var(--bd);
z-index:1}
#filter input[type=search]{width:22em;padding:3px 6px}#filter label{margin-left:.8em}
.h{display:none}
ul{margin:.3em 0;padding-left:1.4em}
.bad{color:#cf222e;font-weight:700}.ok{color:#1a7f37;font-weight:700}
"""

# Filtering: rows are read once (lazily, on the first filter), then only the rows whose state
# changes get their class toggled. Text input is debounced.
_SCRIPT = """
(function(){"use strict";
var box=document.getElementById("filter"),q=document.getElementById("q"),
shown=document.getElementById("shown");if(!box||!q)return;
var phases=Array.prototype.slice.call(document.querySelectorAll("#checks>.p"));
var groups=[],gphase=[],rows=[],outs=[],grp=[],texts=null,i,j;
for(i=0;i<phases.length;i++){var gs=phases[i].querySelectorAll(".g");
for(j=0;j<gs.length;j++){groups.push(gs[j]);gphase.push(i);}}
for(i=0;i<groups.length;i++){var ch=groups[i].children;for(j=0;j<ch.length;j++){
if(ch[j].classList.contains("c")){rows.push(ch[j]);outs.push(ch[j].getAttribute("data-o"));
grp.push(i);}}}
var vis=rows.map(function(){return true;}),gvis=groups.map(function(){return true;}),
pvis=phases.map(function(){return true;});
function apply(){
if(texts===null){texts=rows.map(function(r){
return r.firstElementChild.textContent.toLowerCase();});}
var want={},boxes=box.querySelectorAll("input[type=checkbox]");
for(i=0;i<boxes.length;i++){want[boxes[i].value]=boxes[i].checked;}
var s=q.value.trim().toLowerCase(),n=0,gc=groups.map(function(){return 0;}),
pc=phases.map(function(){return 0;});
for(i=0;i<rows.length;i++){var ok=want[outs[i]]!==false&&(s===""||texts[i].indexOf(s)!==-1);
if(ok){n++;gc[grp[i]]++;}if(ok!==vis[i]){vis[i]=ok;rows[i].classList.toggle("h",!ok);}}
for(i=0;i<groups.length;i++){var gv=gc[i]>0;if(gv){pc[gphase[i]]++;}
if(gv!==gvis[i]){gvis[i]=gv;groups[i].classList.toggle("h",!gv);}}
for(i=0;i<phases.length;i++){var pv=pc[i]>0;if(pv!==pvis[i]){pvis[i]=pv;
phases[i].classList.toggle("h",!pv);}}
shown.textContent=n===rows.length?"all "+n+" checks shown":n+" of "+rows.length+" checks shown";}
var timer=0;q.addEventListener("input",function(){clearTimeout(timer);
timer=setTimeout(apply,150);});
box.addEventListener("change",function(e){if(e.target!==q){apply();}});
var ex=document.getElementById("expand"),co=document.getElementById("collapse");
function openAll(v){for(i=0;i<rows.length;i++){if(vis[i]){rows[i].open=v;}}}
if(ex){ex.addEventListener("click",function(){openAll(true);});}
if(co){co.addEventListener("click",function(){openAll(false);});}
})();
"""


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
    cells = "".join(f'<td class="n">{totals[o]}</td>' for o in OUTCOMES)
    rows.append(f'<tr><th>all</th>{cells}<td class="n">{sum(totals.values())}</td></tr>')
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
        ("Run by", meta.get("run_by")),
        ("Host", meta.get("host")),
        ("pytest-deployready", meta.get("plugin_version")),
        ("Python", meta.get("python")),
        ("Config", meta.get("config_file") or config.get("path") or "(defaults)"),
        ("Config digest", meta.get("config_digest") or config.get("digest")),
    ]
    targets: Mapping[str, Any] = meta.get("targets") or {}
    rows.extend((f"Target {name}", _no_credentials(value)) for name, value in targets.items())
    body = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows if v not in (None, "")
    )
    out.append(f'<h2>Environment</h2><table id="environment">{body}</table>')


def _thresholds(items: list[Mapping[str, Any]]) -> str:
    rows = []
    for t in items:
        ok = bool(t.get("passed"))
        mark = '<td class="ok">&#10003;</td>' if ok else '<td class="bad">&#10007;</td>'
        rows.append(
            f'<tr>{mark}<td>{_e(t.get("name"))}</td><td class="n">{_e(t.get("measured"))}</td>'
            f"<td>{_e(t.get('rule'))}</td><td>{_e(t.get('source') or '')}</td></tr>"
        )
    return (
        '<table class="th"><tr><th></th><th>threshold</th><th>measured</th><th>rule</th>'
        f"<th>source</th></tr>{''.join(rows)}</table>"
    )


def _thresholds_line(items: list[Mapping[str, Any]]) -> str:
    return "; ".join(
        f"{'&#10003;' if t.get('passed') else '&#10007;'} {_e(t.get('name'))}: measured "
        f"{_e(t.get('measured'))}, rule {_e(t.get('rule'))}"
        + (f" ({_e(t.get('source'))})" if t.get("source") else "")
        for t in items
    )


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
        bits.append("rollback trigger")
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
        out.append(f'<p class="s">attested: {_e(_compact_json(attestation))}</p>')
    rejected = c.get("attestation_rejected") or []
    if rejected:
        out.append(f'<p class="s">attestations not counted: {_e("; ".join(rejected))}</p>')
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


def render_record_html(record: dict[str, Any]) -> str:
    """The deployment record as a self-contained, server-side rendered HTML page.

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
    _suites(record, out)
    out.append(
        '<p class="meta" id="nav"><a href="#blocking-h">blocking</a> · <a href="#summary">summary'
        '</a> · <a href="#signoff">sign-off</a> · <a href="#waivers">waivers</a> · '
        '<a href="#environment">environment</a> · <a href="#checks-h">checks</a></p>'
    )
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
    out.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "".join(out)
