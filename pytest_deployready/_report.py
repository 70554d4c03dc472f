"""What people read: the terminal summary, the final verdict line and the pytest-html glue.

The HTML integration (columns, verdict banner, summaries, environment table) is a plugin
object registered only for deployment runs, so an unrelated ``pytest --html`` run is unchanged.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import pytest

from pytest_deployready._formatting import failed_attempts
from pytest_deployready._record import CheckResult
from pytest_deployready._run import DeployRun
from pytest_deployready._verdict import Outcome, Verdict
from pytest_deployready._vocabulary import OUTCOME_ORDER, VERDICT_COLOURS

__all__ = ["HtmlReport", "add_metadata", "header_lines", "terminal_summary", "verdict_line"]

_COLUMNS = tuple(str(o) for o in OUTCOME_ORDER)
_VERDICT_MARKUP: dict[Verdict, dict[str, bool]] = {
    Verdict.GO: {"green": True, "bold": True},
    Verdict.GO_WITH_WARNINGS: {"yellow": True, "bold": True},
    Verdict.NO_GO: {"red": True, "bold": True},
    Verdict.ROLLBACK: {"red": True, "bold": True},
}
_VERDICT_COLOUR = VERDICT_COLOURS
#: Up to this many pending manual checks are listed one per line; more are summarised.
_PENDING_LISTED = 10


# -- terminal ------------------------------------------------------------------------------


def header_lines(run: DeployRun) -> list[str]:
    """Report header: config file, environment, selection and where overrides came from."""
    cfg = run.deploy_config
    lines = [
        f"deployready: config {cfg.path or '(none, defaults)'} ({cfg.digest[:19]}), "
        f"environment {cfg.environment or '(none)'}, "
        f"phases {','.join(run.selected_phases) if run.selected_phases else 'all'}"
    ]
    overridden = cfg.overridden()
    if overridden:
        parts = [f"{key} from {source}" for key, source in sorted(overridden.items())]
        lines.append("deployready: overrides: " + "; ".join(parts))
    if run.baseline is not None:
        lines.append(f"deployready: baseline {run.baseline.describe()}")
    if run.record_path is not None:
        lines.append(f"deployready: record {run.record_path}")
    if run.html_path is not None:
        lines.append(f"deployready: html record {run.html_path}")
    return [run.redactor.redact(line) for line in lines]


def _by_phase(checks: Iterable[CheckResult]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for c in checks:
        row = table.setdefault(c.phase or "(no phase)", dict.fromkeys(_COLUMNS, 0))
        row[str(c.outcome)] += 1
    return table


def _input_warnings(run: DeployRun) -> list[str]:
    """Inputs that do not fit the run: a doubtful baseline, attestations that match no check."""
    lines = []
    if run.baseline is not None:
        lines += [f"warning: baseline {run.baseline.path}: {w}" for w in run.baseline.warnings]
    for entry in run.attestation_entries():
        if entry.get("matches") is False:
            lines.append(f"warning: {entry['warning']}")
    return lines


def terminal_summary(run: DeployRun, tr: Any) -> None:
    """The 'deployment readiness' section of the terminal summary."""
    decision = run.decision
    if decision is None:
        return
    tr.write_sep("=", "deployment readiness")
    table = _by_phase(run.results)
    order = [*run.deploy_config.phases, "(no phase)"]
    width = max([len("phase"), *(len(p) for p in table)])
    tr.write_line("  ".join(["phase".ljust(width), *(c.rjust(7) for c in _COLUMNS)]))
    for phase in sorted(table, key=lambda p: order.index(p) if p in order else len(order)):
        row = table[phase]
        tr.write_line("  ".join([phase.ljust(width), *(str(row[c]).rjust(7) for c in _COLUMNS)]))
    if run.deselected:
        detail = ", ".join(f"{why}: {n}" for why, n in sorted(run.deselected.items()))
        tr.write_line(f"deselected: {sum(run.deselected.values())} ({detail})")
    pending = [c for c in run.results if c.outcome is Outcome.PENDING]
    many_pending = len(pending) > _PENDING_LISTED
    for c in run.results:
        if many_pending and c.outcome is Outcome.PENDING:
            continue  # summarised below
        text = c.message.splitlines()[0] if c.message else ""
        if c.blocking or (c.rollback_trigger and c.outcome in (Outcome.FAILED, Outcome.ERROR)):
            label, markup = "BLOCKING", {"red": True}
        elif c.outcome in (Outcome.FAILED, Outcome.ERROR):
            label, markup = "WARNING ", {"yellow": True}
        elif c.outcome is Outcome.BLOCKED:
            label, markup = "BLOCKED ", {"yellow": True}
        elif c.outcome is Outcome.WAIVED:
            label, markup = "WAIVED  ", {"cyan": True}
        elif c.reruns and c.outcome is Outcome.PASSED:
            label, markup = "RERUN   ", {"yellow": True}
            text = f"passed on a rerun, after {failed_attempts(c.reruns)}"
        else:
            continue
        where = f"[{c.phase or '-'}, {c.severity}{_trigger(c)}]"
        message = f": {text}" if text else ""
        # The phase is the author's text: masked for known secret values, not by pattern.
        redact = run.redactor.redact
        where = redact(where, patterns=False)
        tr.write_line(f"{label} {redact(c.id)} {where}{redact(message)}", **markup)
    attest_file = run.config.option.deploy_attest or "attestations.toml"
    if pending and not many_pending:
        tr.write_line(f"{len(pending)} manual check(s) pending attestation; attest each with:")
        for c in pending:
            tr.write_line(
                f"  deployready attest '{c.id}' --by NAME --role '{c.manual_role}' "
                f"--file {attest_file}   [{c.severity}]",
                yellow=c.blocking,
            )
    elif pending:  # hundreds of lines help nobody: counts, one example, the record has the list
        blocking = sum(1 for c in pending if c.blocking)
        tr.write_line(
            f"{len(pending)} manual check(s) pending attestation ({blocking} blocking), "
            "by phase and role:",
            yellow=bool(blocking),
        )
        groups: dict[tuple[str, str], int] = {}
        for c in pending:
            key = (c.phase or "(no phase)", c.manual_role or "-")
            groups[key] = groups.get(key, 0) + 1
        shown = sorted(
            groups.items(),
            key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else len(order), -kv[1]),
        )
        cut = len(shown) if len(shown) <= _PENDING_LISTED - 2 else _PENDING_LISTED - 3
        for (phase_name, role), n in shown[:cut]:
            tr.write_line(f"  {phase_name:<10} {role:<20} {n:>5}")
        if cut < len(shown):
            rest = sum(n for _, n in shown[cut:])
            tr.write_line(f"  ... {len(shown) - cut} more phase/role group(s): {rest}")
        first = pending[0]
        where = str(run.record_path or "the record (pass --deploy-record PATH)")
        tr.write_line(
            f"  the full list is in {where}; attest each with e.g. "
            f"deployready attest '{first.id}' --by NAME --role '{first.manual_role}' "
            f"--file {attest_file}"
        )
    for w in run.waiver_statuses():
        if w["status"] == "expired":
            tr.write_line(
                f"waiver for {w['check']} expired on {w['expires']} and no longer applies",
                yellow=True,
            )
        elif w["status"] == "unused":
            tr.write_line(f"waiver for {w['check']} matches no check", yellow=True)
    for line in _input_warnings(run):
        tr.write_line(run.redactor.redact(line), yellow=True)
    unsigned = [row["role"] for row in run.signoff_table() if not row["signed"]]
    if unsigned:
        tr.write_line(f"sign-off missing: {', '.join(unsigned)}")
    for reason in decision.reasons:
        tr.write_line(f"reason: {reason}")
    if run.record_error:
        tr.write_line(f"ERROR: {run.record_error}", red=True)


def verdict_line(run: DeployRun) -> tuple[str, dict[str, bool]]:
    """The last line of the run: the verdict and where the record is."""
    assert run.decision is not None
    verdict = run.decision.verdict
    if run.record_error is not None:
        where = "record: NOT WRITTEN (see the error above)"
    elif run.record_path is not None or run.html_path is not None:
        paths = [str(p) for p in (run.record_path, run.html_path) if p is not None]
        where = "record: " + ", ".join(paths)
    else:
        where = "record: not written (pass --deploy-record PATH)"
    incomplete = "" if run.complete else " (incomplete run)"
    return f"deployready verdict: {verdict}{incomplete} — {where}", _VERDICT_MARKUP[verdict]


def add_metadata(run: DeployRun, metadata: dict[str, Any]) -> None:
    """Fill pytest-metadata's table (the HTML report's environment section)."""
    cfg = run.deploy_config
    meta = run.metadata
    metadata.update(
        {
            "Deployment environment": cfg.environment or "(none)",
            "Git commit": meta["git_commit"] or "(unknown)",
            "Git branch": meta["git_branch"] or "(unknown)",
            "Run by": meta["run_by"],
            "pytest-deployready": meta["plugin_version"],
            "Config": f"{meta['config_file'] or '(defaults)'} ({cfg.digest})",
            "Targets": ", ".join(f"{k}={v}" for k, v in meta["targets"].items()) or "(none)",
        }
    )


_UNSIGNED = '<td style="color:#cf222e;font-weight:bold">UNSIGNED</td><td></td><td></td>'


# -- pytest-html ---------------------------------------------------------------------------


def _trigger(c: CheckResult) -> str:
    """``, rollback trigger: p95 > 1500 ms`` for a trigger, else nothing."""
    if not c.rollback_trigger:
        return ""
    return f", rollback trigger: {c.rollback_reason}" if c.rollback_reason else ", rollback trigger"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _measured_vs_rule(thresholds: list[dict[str, Any]]) -> str:
    """``✓ api_p95_ms: 231.4 ms (< 200)``: units and precision as on the record page."""
    from pytest_deployready._formatting import format_measured

    parts = []
    for t in thresholds:
        mark = "&#10003;" if t.get("passed") else "&#10007;"
        name, rule = str(t.get("name") or ""), str(t.get("rule") or "")
        if t.get("measured") is None and t.get("invalid"):
            shown = f"invalid: {t['invalid']}"
        else:
            shown = format_measured(t.get("measured"), name, rule)
        against = ""
        if t.get("baseline") is not None:
            pct = t.get("change_pct")
            change = (
                f", change {'+' if pct > 0 else ''}{pct:g} %"
                if isinstance(pct, int | float)
                else ""
            )
            against = f"; baseline {format_measured(t['baseline'], name)}{change}"
        parts.append(f"{mark} {_e(name)}: {_e(shown)} ({_e(rule)}{_e(against)})")
    return "<br>".join(parts)


def adopt_html_report(config: pytest.Config, html: HtmlReport) -> bool:
    """Add our columns and environment to a pytest-html report that has already started.

    pytest-html builds its table header at session start, before collection tells us that
    a marker-only suite is a deployment run. Its report object is not public API, so this
    is guarded: if pytest-html changes, such runs just keep its plain report.
    """
    for plugin in config.pluginmanager.get_plugins():
        report = getattr(plugin, "_report", None)
        if not type(plugin).__module__.startswith("pytest_html") or report is None:
            continue
        try:
            header = list(report.table_header)
            html.pytest_html_results_table_header(cells=header)
            report.table_header = header
            if config.pluginmanager.hasplugin("metadata"):
                from pytest_metadata.plugin import metadata_key

                add_metadata(html.run, config.stash[metadata_key])
                report.set_data("environment", plugin._generate_environment())
        except (AttributeError, TypeError):
            return False
        return True
    return False


class HtmlReport:
    """pytest-html hooks: extra columns, the verdict banner, summaries and environment."""

    def __init__(self, run: DeployRun) -> None:
        self.run = run

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = self.run.deploy_config.report.title

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, '<th class="sortable" data-column-type="title">Title</th>')
        cells.insert(3, '<th class="sortable" data-column-type="phase">Phase</th>')
        cells.insert(4, '<th class="sortable" data-column-type="severity">Severity</th>')
        cells.insert(5, '<th class="sortable" data-column-type="section">Section</th>')
        cells.insert(6, "<th>Measured vs rule</th>")

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        info: dict[str, Any] = getattr(report, "deployready", None) or {}
        cells.insert(2, f'<td class="col-title">{_e(info.get("title") or "")}</td>')
        cells.insert(3, f'<td class="col-phase">{_e(info.get("phase") or "")}</td>')
        cells.insert(4, f'<td class="col-severity">{_e(info.get("severity") or "")}</td>')
        cells.insert(5, f'<td class="col-section">{_e(info.get("section") or "")}</td>')
        cells.insert(6, f"<td>{_measured_vs_rule(info.get('thresholds') or [])}</td>")

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
    ) -> None:
        run = self.run
        decision = run.decision
        if decision is None:
            return
        colour = _VERDICT_COLOUR[decision.verdict]
        reasons = "".join(f"<li>{_e(r)}</li>" for r in decision.reasons)
        incomplete = "" if run.complete else " — incomplete run"
        prefix.append(
            f'<div id="deployready-verdict" style="background:{colour};color:#fff;'
            f'padding:12px 16px;font-size:1.4em;font-weight:bold;border-radius:4px">'
            f"Verdict: {_e(decision.verdict)}{_e(incomplete)}</div>"
            f"<ul>{reasons}</ul>"
        )
        rows = "".join(
            f"<tr><td>{_e(phase)}</td>" + "".join(f"<td>{row[c]}</td>" for c in _COLUMNS) + "</tr>"
            for phase, row in _by_phase(run.results).items()
        )
        head = "".join(f"<th>{_e(c)}</th>" for c in _COLUMNS)
        prefix.append(
            '<h3>Summary by phase</h3><table id="deployready-phases">'
            f"<tr><th>phase</th>{head}</tr>{rows}</table>"
        )
        baseline = run.baseline
        if baseline is not None:
            commit = f", commit {baseline.git_commit[:12]}" if baseline.git_commit else ""
            prefix.append(
                f'<p id="deployready-baseline">Compared with <code>{_e(baseline.path)}</code>: '
                f"{_e(baseline.verdict)}{_e(commit)}, {_e(baseline.started_at or '')}</p>"
            )
        prefix.append(self._check_list("Blocking failures", "deployready-blocking", blocking=True))
        prefix.append(self._check_list("Warnings", "deployready-warnings", blocking=False))
        cfg = run.deploy_config
        if cfg.waivers:
            items = "".join(
                f"<li>{_e(w['check'])}: {_e(w['justification'])} "
                f"(expires {_e(w['expires'] or 'never')}; {_e(w['status'])})</li>"
                for w in run.waiver_statuses()
            )
            prefix.append(f'<h3>Waivers</h3><ul id="deployready-waivers">{items}</ul>')
        if cfg.signoff:
            rows = "".join(
                f"<tr><td>{_e(r['role'])}</td>"
                + (
                    f"<td>signed by {_e(r['by'])}</td><td>{_e(r['at'] or '')}</td>"
                    f"<td>{_e(r['note'])}</td>"
                    if r["signed"]
                    else _UNSIGNED
                )
                + "</tr>"
                for r in run.signoff_table()
            )
            prefix.append(
                '<h3>Sign-off</h3><table id="deployready-signoff">'
                f"<tr><th>role</th><th>signed</th><th>when</th><th>note</th></tr>{rows}</table>"
            )

    def _check_list(self, title: str, element_id: str, *, blocking: bool) -> str:
        problems = (Outcome.FAILED, Outcome.ERROR)
        checks = [
            c
            for c in self.run.results
            if (c.blocking if blocking else (c.outcome in problems and not c.blocking))
        ]
        if not checks:
            return f'<h3>{_e(title)}</h3><p id="{element_id}">none</p>'
        redact = self.run.redactor.redact
        items = "".join(
            f"<li><b>{_e(c.title or c.id)}</b> <code>{_e(c.id)}</code> "
            f"[{_e(c.phase or '-')}, {_e(c.severity)}"
            f"{_trigger(c)}]: "
            f"{_e(redact(c.message.splitlines()[0] if c.message else ''))}</li>"
            for c in checks
        )
        return f'<h3>{_e(title)}</h3><ul id="{element_id}">{items}</ul>'
