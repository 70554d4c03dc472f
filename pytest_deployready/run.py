"""Per-run state: configuration, selection, collected results, the decision and the record.

One :class:`DeployRun` lives in ``config.stash[RUN_KEY]`` for the whole pytest run; the hooks
in ``plugin.py`` only forward to it. Under pytest-xdist the workers annotate their reports and
the controller, which sees every report, folds them into the one record.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_deployready.config import DeployConfig, load_config
from pytest_deployready.errors import TargetNotConfigured, TargetUnreachable
from pytest_deployready.phases import CheckInfo, check_info, parse_phase_option, sort_key
from pytest_deployready.record import CheckResult, CheckResults
from pytest_deployready.redact import Redactor
from pytest_deployready.signals import RunSignals
from pytest_deployready.verdict import (
    CheckSummary,
    Decision,
    Outcome,
    Verdict,
    decide,
)
from pytest_deployready.vocabulary import ACTIVATING_MARKER, BLOCKING_SEVERITIES

if TYPE_CHECKING:  # the rest is imported where it is used: an unrelated run never needs it
    from pytest_deployready.attest import Attestation, Attestations
    from pytest_deployready.baseline import Baseline
    from pytest_deployready.outputs import OutputPaths
    from pytest_deployready.thresholds import Measurement
    from pytest_deployready.waivers import WaiverMatch

__all__ = ["CHECK_KEY", "RUN_KEY", "DeployRun", "ItemState"]

R = TypeVar("R", pytest.TestReport, pytest.CollectReport)


@dataclass
class ItemState:
    """What a check accumulates while it runs (kept in ``item.stash[CHECK_KEY]``)."""

    info: CheckInfo
    phase: str | None
    measurements: list[Measurement] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    forced_outcome: Outcome | None = None
    forced_message: str = ""
    waiver: WaiverMatch | None = None
    attestation: Attestation | None = None
    attestation_rejected: list[str] = field(default_factory=list)
    static: dict[str, Any] | None = None  # the report data that never changes, built once
    last_data: dict[str, Any] | None = None  # the last report data beyond the static part


RUN_KEY = pytest.StashKey["DeployRun"]()
#: the reason in the record written before the first check, which the end of the run replaces
PLACEHOLDER_REASON = "run in progress or did not finish"
CHECK_KEY = pytest.StashKey[ItemState]()


def _utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class DeployRun:
    """Everything pytest-deployready knows about the current run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.is_worker = hasattr(config, "workerinput")
        opt = config.option
        # Any --deploy-* option given opts in, including options added after this was written.
        self.explicit = any(v for k, v in vars(opt).items() if k.startswith("deploy_"))
        self.continue_after_blocking: bool = bool(opt.deploy_continue)
        self._deploy_config: DeployConfig | None = None
        self.config_file_found = False
        self.active = False
        self.selected_phases: list[str] = []
        self.deselected: Counter[str] = Counter()
        self.results = CheckResults()
        self.results.unknown_check = self.unknown_check
        self.blocking_phases: dict[str, list[str]] = {}
        # pytest-xdist: a directory the controller's scheduler and the workers share
        # (pytest_deployready.xdist_phases); None in a serial run.
        self.shared_dir: Path | None = None
        shared = getattr(config, "workerinput", {}).get("deployready_shared")
        if shared:
            self.shared_dir = Path(shared)
        self._blocking_read: tuple[str, dict[str, list[str]]] | None = None
        self.decision: Decision | None = None
        self.complete = True
        self.started_at = _utcnow()
        self.finished_at: str | None = None
        self.record_path: Path | None = None
        self.html_path: Path | None = None
        self.record_error: str | None = None
        self.outputs: OutputPaths | None = None  # the output-path guard, set by load()
        self.signals = RunSignals()  # SIGTERM and SIGHUP end the run as SIGINT does
        self.placeholder_written = False
        self.summary_path: Path | None = None  # --deploy-summary: Markdown for a ticket or CI
        self.sign_key: Path | None = None  # --deploy-sign-key: Ed25519 key signing the record
        self.usage_error: str | None = None
        self.exit_code = 0
        self.redactor = Redactor.from_environ()
        self.attestations: Attestations | None = None
        self.foreign_markers: frozenset[str] = frozenset()
        self.baseline: Baseline | None = None
        self.selected_targets: list[str] = []
        self.today = dt.date.today()
        #: the check being set up or run: the per-check fixtures write into its state
        self.current_check: pytest.Item | None = None

    # -- configuration ---------------------------------------------------------------------

    # -- lifecycle: what the hooks in plugin.py ask of the run ----------------------------

    def register_markers(self) -> None:
        """Register our markers (only ``phase`` in a run that did not opt in)."""
        from pytest_deployready.phases import register_markers

        self.foreign_markers = register_markers(self.config, opted_in=self.explicit)

    def activate(self) -> None:
        """Collection found a deployment run (an opt-in by the ``phase`` marker alone)."""
        self.active = True

    def defer_usage_error(self, message: str) -> None:
        """An xdist worker's usage error: the controller reports it (a raise would crash it)."""
        self.usage_error = message

    def shared_directory(self) -> Path:
        """pytest-xdist: the directory the controller and the workers share (made once)."""
        if self.shared_dir is None:
            import tempfile

            self.shared_dir = Path(tempfile.mkdtemp(prefix="deployready-xdist-"))
        return self.shared_dir

    def start_check(self, item: pytest.Item) -> None:
        """A check is being set up: the per-check fixtures write into its state."""
        self.current_check = item

    def end_check(self, item: pytest.Item) -> None:
        """Its teardown is over: nothing writes into it any more."""
        if self.current_check is item:
            self.current_check = None

    def merge_worker_output(self, data: Mapping[str, Any]) -> None:
        """xdist controller: a worker's deselection counts, activation and usage error."""
        self.usage_error = self.usage_error or data["usage_error"]
        if not self.deselected:
            self.deselected.update(data["deselected"])
        self.active = self.active or bool(data["active"])

    def withdraw_verdict(self) -> None:
        """A usage error at start-up: the run never started, so no summary and no verdict."""
        self.decision = None

    def load(self) -> None:
        """Read the configuration; a config file makes the run a deployment run."""
        opt = self.config.option
        start_dirs = [Path(a.split("::", 1)[0]) for a in self.config.args]
        start_dirs = [p if p.is_dir() else p.parent for p in start_dirs]
        explicit = Path(opt.deploy_config) if opt.deploy_config else None
        self._deploy_config = load_config(
            self.config.rootpath,
            explicit=explicit,
            env_name=opt.deploy_env,
            start_dirs=[Path(self.config.invocation_params.dir, p) for p in start_dirs],
            threshold_overrides=opt.deploy_threshold or (),
        )
        cfg = self._deploy_config
        self.config_file_found = cfg.path is not None
        self.explicit = self.explicit or self.config_file_found
        self.active = self.explicit
        t = cfg.targets
        for url in (
            t.database_url,
            t.redis_url,
            t.prometheus_url,
            t.alertmanager_url,
            t.metrics_url,
            *(h.url for h in t.hosts),  # ssh://user:password@host
        ):
            self.redactor.add_url(url)
        for api in cfg.targets.api_targets():
            self.redactor.add_url(api.base_url)
            if api.token_env:
                self.redactor.add(os.environ.get(api.token_env))
        if opt.deploy_phase:
            self.selected_phases = parse_phase_option(opt.deploy_phase, cfg.phases)
        if opt.deploy_baseline:
            from pytest_deployready.baseline import load_baseline

            self.baseline = load_baseline(
                Path(self.config.invocation_params.dir, opt.deploy_baseline)
            )
        if opt.deploy_attest:
            from pytest_deployready.attest import load_attestations

            self.attestations = load_attestations(
                Path(self.config.invocation_params.dir, opt.deploy_attest)
            )
        if opt.deploy_target:
            known = [t.name for t in cfg.targets.api_targets()]
            for name in (n.strip() for v in opt.deploy_target for n in v.split(",")):
                if name not in known:
                    raise pytest.UsageError(
                        f"--deploy-target: unknown target {name!r}; configured targets: "
                        f"{', '.join(known) or 'none (add targets.apis to the config)'}"
                    )
                if name not in self.selected_targets:
                    self.selected_targets.append(name)
        self._check_outputs(cfg)

    def _check_outputs(self, cfg: DeployConfig) -> None:
        """Every output path, checked before any check runs (``outputs.OutputPaths``)."""
        from pytest_deployready.outputs import OutputPathError, OutputPaths

        opt = self.config.option
        base = self.config.invocation_params.dir
        guard = self.outputs = OutputPaths(base, self.config.getini("python_files"))
        try:
            guard.protect("the configuration file", cfg.path)
            for value, what in (
                (opt.deploy_attest, "the attestation file"),
                (opt.deploy_baseline, "the baseline record"),
            ):
                guard.protect(what, Path(base, value) if value else None)
            for option, dest in (("--junitxml", "xmlpath"), ("--html", "htmlpath")):
                if getattr(opt, dest, None):
                    guard.foreign_output(option, getattr(opt, dest))
            record = opt.deploy_record or cfg.report.record
            if record:
                self.record_path = guard.output("--deploy-record", record)
            html = opt.deploy_html or cfg.report.html
            if html:
                self.html_path = guard.output("--deploy-html", html)
            summary = opt.deploy_summary or cfg.report.summary
            if summary:
                self.summary_path = guard.output("--deploy-summary", summary)
            if opt.deploy_sign_key:
                self._check_sign_key(Path(base, opt.deploy_sign_key))
                guard.protect("the signing key", self.sign_key)
                from pytest_deployready.signing import envelope_path

                assert self.record_path is not None
                guard.output("the record's signature", str(envelope_path(self.record_path)))
        except OutputPathError as exc:
            self.record_path = self.html_path = self.summary_path = None  # nothing is written
            raise pytest.UsageError(str(exc)) from None

    def _check_sign_key(self, key: Path) -> None:
        """--deploy-sign-key: a usable Ed25519 key, and a JSON record to sign."""
        if self.record_path is None:
            raise pytest.UsageError(
                "--deploy-sign-key signs the JSON record: give --deploy-record too"
            )
        try:
            from pytest_deployready.signing import SignatureError, check_key
        except ImportError:  # pragma: no cover - cryptography is the sign extra
            raise pytest.UsageError(
                "--deploy-sign-key needs the cryptography package: "
                "pip install 'pytest-deployready[sign]'"
            ) from None
        try:
            check_key(key)
        except SignatureError as exc:
            raise pytest.UsageError(f"--deploy-sign-key: {exc}") from None
        except ImportError:
            raise pytest.UsageError(
                "--deploy-sign-key needs the cryptography package: "
                "pip install 'pytest-deployready[sign]'"
            ) from None
        self.sign_key = key

    def check_collected(self, modules: list[Path]) -> None:
        """End of collection, before any check: no output is a collected test module."""
        from pytest_deployready.outputs import OutputPathError

        if self.outputs is None:
            return
        try:
            self.outputs.check_collected(modules)
        except OutputPathError as exc:
            self.record_path = self.html_path = None
            raise pytest.UsageError(str(exc)) from None

    @functools.cached_property
    def git_commit(self) -> str | None:
        """The commit of the checkout under test (read once)."""
        from pytest_deployready.metadata import git_commit

        return git_commit(self.config.rootpath)

    @functools.cached_property
    def metadata(self) -> dict[str, Any]:
        """Git commit and branch, who ran it, versions, targets: read once per run."""
        from pytest_deployready.metadata import run_metadata

        return run_metadata(self.config.rootpath, self.deploy_config, commit=self.git_commit)

    @property
    def deploy_config(self) -> DeployConfig:
        if self._deploy_config is None:
            self.load()
        assert self._deploy_config is not None
        return self._deploy_config

    # -- collection ------------------------------------------------------------------------

    def uses_plugin(self, items: list[pytest.Item]) -> bool:
        """True when a collected test carries our ``phase`` marker (the project did not
        register a ``phase`` marker of its own): the suite opted in without a config file."""
        if ACTIVATING_MARKER in self.foreign_markers:
            return False
        return any(item.get_closest_marker(ACTIVATING_MARKER) is not None for item in items)

    def select(self, items: list[pytest.Item]) -> list[pytest.Item]:
        """Annotate every item, drop the ones outside the selected phases, order by phase."""
        cfg = self.deploy_config
        keep: list[pytest.Item] = []
        dropped: list[pytest.Item] = []
        for item in items:
            info = check_info(item, cfg.phases, cfg.default_severity, self.foreign_markers)
            phase = info.phase_in(self.selected_phases)
            if self.selected_phases and phase is None:
                self.deselected["unmarked" if not info.phases else "other phases"] += 1
                dropped.append(item)
                continue
            callspec = getattr(item, "callspec", None)
            target = callspec.params.get("api") if callspec is not None else None
            item.stash[CHECK_KEY] = ItemState(info=info, phase=phase, target=target)
            keep.append(item)
        if self.baseline is not None:  # refuse another suite's record before any check runs
            self.baseline.check_suite(
                (it.nodeid for it in items), title=cfg.report.title, digest=cfg.digest
            )
        if dropped:
            self.config.hook.pytest_deselected(items=dropped)
        keep.sort(key=lambda it: sort_key(it.stash[CHECK_KEY].phase, cfg.phases))
        self._check_distribution(keep)
        return keep

    def _check_distribution(self, items: list[pytest.Item]) -> None:
        """Refuse an xdist run of several phases without our scheduler (``pytest.UsageError``).

        Only our scheduler (``--dist load`` in a run the controller knows is a deployment run)
        keeps phases apart; otherwise a later phase could run beside, or before, a failing
        earlier one and give another verdict than serially. Checked on the workers, which see
        the selection.
        """
        worker = getattr(self.config, "workerinput", None)
        if worker is None or worker.get("deployready_phased") or self.continue_after_blocking:
            return
        found = {s.phase for it in items if (s := it.stash.get(CHECK_KEY, None)) and s.phase}
        if len(found) < 2:
            return
        shown = ", ".join(p for p in self.deploy_config.phases if p in found)
        dist = worker.get("deployready_dist", "load")
        if dist == "load":
            raise pytest.UsageError(
                f"-n: the phases of a suite opted in by phase markers alone cannot be kept in "
                f"order (selected: {shown}); add a deployready.toml (it may be empty) or a "
                "--deploy-* option, select one phase with --deploy-phase, or pass --deploy-continue"
            )
        raise pytest.UsageError(
            f"--dist {dist} cannot keep the phases of a deployment run in order "
            f"(selected: {shown}); use --dist load, select one phase with --deploy-phase, "
            "or pass --deploy-continue"
        )

    # -- running ---------------------------------------------------------------------------

    def blocked_reason(self, item: pytest.Item) -> str | None:
        """Why a check must not run: an earlier phase has a blocking failure."""
        if self.continue_after_blocking:
            return None
        state = item.stash.get(CHECK_KEY, None)
        if state is None or state.phase is None:
            return None
        blocking = self.blocking_phases
        if self.shared_dir is not None:  # an xdist worker: the controller saw every failure
            blocking = self._shared_blocking(state.phase)
        if not blocking:
            return None
        phases = self.deploy_config.phases
        mine = sort_key(state.phase, phases)
        for phase, failed in blocking.items():
            if sort_key(phase, phases) < mine:
                shown = ", ".join(failed[:3]) + (" ..." if len(failed) > 3 else "")
                return (
                    f"blocked: phase {phase!r} has blocking failures ({shown}); "
                    "use --deploy-continue to run later phases anyway"
                )
        return None

    def _shared_blocking(self, phase: str) -> dict[str, list[str]]:
        """The controller's blocking failures, read once per phase on an xdist worker.

        The controller writes them before it sends the first check of a phase, and not again
        until the next phase opens: one read serves every check of the phase.
        """
        if self._blocking_read is None or self._blocking_read[0] != phase:
            from pytest_deployready.xdist_phases import read_blocking

            assert self.shared_dir is not None
            self._blocking_read = (phase, read_blocking(self.shared_dir))
        return self._blocking_read[1]

    def share_phases(self, items: list[pytest.Item]) -> None:
        """xdist worker: tell the controller's scheduler each check's phase rank."""
        if self.shared_dir is None:
            return
        from pytest_deployready.xdist_phases import CHECKS_FILE, PHASES_FILE, write_json

        phases = self.deploy_config.phases
        ranks = {
            item.nodeid: sort_key(state.phase, phases)
            for item in items
            if (state := item.stash.get(CHECK_KEY, None)) is not None
        }
        write_json(self.shared_dir / PHASES_FILE, ranks)
        checks = {
            item.nodeid: {**self._static(state), "severity": state.info.severity}
            for item in items
            if (state := item.stash.get(CHECK_KEY, None)) is not None
        }
        write_json(self.shared_dir / CHECKS_FILE, checks)

    def unknown_check(self, nodeid: str) -> dict[str, Any]:
        """What the record says of a check known only from xdist's crash report.

        The workers wrote every check's phase and severity after collection; without that
        (the file is missing) it is treated as a check of the default severity, at least
        ``major``, so an unknown crash always blocks.
        """
        if self.shared_dir is not None:
            from pytest_deployready.xdist_phases import read_checks

            info = read_checks(self.shared_dir).get(nodeid)
            if info is not None:
                return info
        severity = self.deploy_config.default_severity
        return {"severity": severity if severity in BLOCKING_SEVERITIES else "major"}

    def prepare(self, item: pytest.Item) -> str | None:
        """Before a check runs: the reason it must not run (blocked, waived, pending), or None."""
        state = item.stash.get(CHECK_KEY, None)
        if state is None:
            return None
        reason = self.blocked_reason(item)
        if reason is not None:
            state.forced_outcome, state.forced_message = Outcome.BLOCKED, reason
            return reason
        cfg = self.deploy_config
        if cfg.waivers:
            from pytest_deployready.waivers import find_waiver

            state.waiver = find_waiver(cfg.waivers, item.nodeid, self.today)
        active = state.waiver.active if state.waiver is not None else None
        if active is not None and not active.run:
            state.forced_outcome = Outcome.WAIVED
            state.forced_message = f"waived (not run): {active.justification}"
            return state.forced_message
        role = state.info.manual_role
        if role is None:
            return None
        if self.attestations is not None:
            match = self.attestations.for_check(
                item.nodeid, state.info.title, self.git_commit, role
            )
            state.attestation, state.attestation_rejected = match.attestation, match.rejected
        if state.attestation is None:
            state.forced_outcome = Outcome.PENDING
            rejected = state.attestation_rejected
            why = f"; {rejected[-1]}" if rejected else ""
            state.forced_message = f"manual: pending attestation by {role}{why}"
            return state.forced_message
        return None  # attested: the body (often just a docstring) runs and passes

    def annotate(self, item: pytest.Item, report: pytest.TestReport) -> None:
        """Attach what the record needs to a report (travels to the xdist controller)."""
        state = item.stash.get(CHECK_KEY, None)
        if state is None:
            return
        if state.static is None:
            state.static = self._static(state)
        data: dict[str, Any] = {}
        # Measurements and evidence only once there are some (setup has none). They reach no
        # output on their way: the record is redacted as a whole before it is written.
        if state.measurements:
            data["thresholds"] = [m.as_dict() for m in state.measurements]
        if state.evidence:
            data["evidence"] = dict(state.evidence)
        if state.forced_outcome is not None:
            data["outcome"] = str(state.forced_outcome)
            data["message"] = state.forced_message
        waiver = state.waiver
        if waiver is not None and (waiver.active or waiver.expired):
            data["waiver"] = waiver.describe()
            if report.failed and waiver.active is not None:
                data["outcome"] = str(Outcome.WAIVED)
                data["message"] = f"waived: {waiver.active.justification}"
        if state.attestation is not None:
            data["attestation"] = self.redactor.redact_data(state.attestation.as_dict())
        if state.attestation_rejected:
            data["attestation_rejected"] = state.attestation_rejected
        # Read-only, so shared where nothing changed: a report with nothing of its own gets
        # the check's static part, and a teardown the data of the call before it.
        if not data:
            shared = state.static
        else:
            shared = {**state.static, **data}
            if shared == state.last_data:
                shared = state.last_data
            state.last_data = shared
        report.deployready = shared  # type: ignore[attr-defined]

    @staticmethod
    def _static(state: ItemState) -> dict[str, Any]:
        """The part of a check's report data that never changes."""
        info = state.info
        return {
            "title": info.title,
            "section": info.section,
            "phase": state.phase,
            "phases": info.phases,
            "severity": info.severity,
            "rollback_trigger": info.rollback_trigger,
            "rollback_reason": info.rollback_reason,
            "manual_role": info.manual_role,
            "target": state.target,
        }

    def unreachable_is_error(self, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        """A target that cannot be reached is an ``error`` of the check, told in one line."""
        excinfo = call.excinfo
        if excinfo is None or not isinstance(
            excinfo.value, TargetUnreachable | TargetNotConfigured
        ):
            return
        report.longrepr = str(excinfo.value)
        if call.when == "call":
            report.deployready_error = True  # type: ignore[attr-defined]

    def redact_report(self, report: R) -> R:
        """Mask secrets in everything a report carries to the terminal, HTML and JUnit.

        The report goes through pytest's own (xdist) serialisation, is redacted as data and
        rebuilt, so a failure keeps its structure (crash line, traceback entries, sections).
        """
        if (
            report.longrepr is None
            and not report.sections
            and not getattr(report, "user_properties", None)
        ):
            return report  # nothing that could hold a secret (the common passing check)
        if not self.redactor.may_redact("\n".join(_report_strings(report))):
            return report  # one search over every string it carries found nothing to mask
        hook = self.config.hook
        data = hook.pytest_report_to_serializable(config=self.config, report=report)
        if data is None:
            return report
        clean = self.redactor.redact_data(data)
        if clean == data:
            return report
        rebuilt: R = hook.pytest_report_from_serializable(config=self.config, data=clean)
        return rebuilt

    def redact_file(self, path: str) -> None:
        """Rewrite a written artefact (JUnit XML, HTML) with its secrets masked.

        Only a regular file (or one a symlink points to) is read and replaced: a FIFO would
        block the read, and a device node must never become a file.
        """
        from pytest_deployready.outputs import read_regular, rewrite_file

        target = Path(self.config.invocation_params.dir, path)
        text = read_regular(target)
        if text is None:
            return
        clean = self.redactor.redact(text, patterns=False)
        if clean != text:
            try:
                rewrite_file(target, clean)
            except OSError as exc:
                error = f"could not mask secrets in {target}: {exc.strerror or exc}"
                self.record_error = f"{self.record_error}; {error}" if self.record_error else error

    def observe(self, report: pytest.TestReport) -> None:
        """Fold a report into the results (controller or serial run only)."""
        ours = self.active
        if not ours and report.failed and getattr(report, "deployready", None) is None:
            ours = self._collected_by_workers(report.nodeid)
        check = self.results.add_report(report, ours=ours)
        if check is None:
            return
        self.active = True
        self._note_blocking(check)

    def _collected_by_workers(self, nodeid: str) -> bool:
        """xdist controller: the workers selected this check (a deployment run's check)."""
        if self.shared_dir is None:
            return False
        from pytest_deployready.xdist_phases import read_checks

        return nodeid in read_checks(self.shared_dir)

    def _note_blocking(self, check: CheckResult) -> None:
        """Remember a blocking failure of a phase: later phases' checks are then ``blocked``."""
        if (
            check.outcome in (Outcome.FAILED, Outcome.ERROR)
            and check.severity in BLOCKING_SEVERITIES
            and check.phase is not None
        ):
            failed = self.blocking_phases.setdefault(check.phase, [])
            if check.id not in failed:
                failed.append(check.id)

    # -- the end ---------------------------------------------------------------------------

    def finish(self, exitstatus: int, session: pytest.Session) -> Decision:
        """Decide the verdict and write the record."""
        interrupted = exitstatus in (
            pytest.ExitCode.INTERRUPTED,
            pytest.ExitCode.INTERNAL_ERROR,
            pytest.ExitCode.USAGE_ERROR,
        )
        self.complete = not interrupted and not session.shouldfail and not session.shouldstop
        self.finished_at = _utcnow()
        for check in self.results.adopt_unannotated():
            self._note_blocking(check)
        if self.complete:  # a complete run gave every check its teardown report, or it crashed
            self.results.mark_unfinished("the check never finished (no teardown report)")
        else:
            self.results.mark_unfinished()
        summaries = [
            CheckSummary(c.phase, c.severity, c.outcome, c.rollback_trigger, c.id, ran=c.ran)
            for c in self.results
        ]
        phases = self.selected_phases or sorted(
            {c.phase for c in self.results if c.phase is not None},
            key=lambda p: sort_key(p, self.deploy_config.phases),
        )
        self.decision = decide(summaries, phases, complete=self.complete)
        # The verdict decides the exit code of a run that ran; pytest's own code stands for an
        # interrupted run (2), an internal error (3) and a usage error (4).
        verdict_decides = exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.TESTS_FAILED,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        )
        self.exit_code = self.decision.exit_code if verdict_decides else int(exitstatus)
        hook = self.config.hook
        hook.pytest_deployready_verdict(
            verdict=str(self.decision.verdict), reasons=self.decision.reasons, config=self.config
        )
        if self.signals.received and not self.complete:
            self.decision.reasons.insert(0, f"the run was interrupted by {self.signals.received}")
        if self.record_path is None and self.html_path is None and self.summary_path is None:
            return self.decision
        record = self.record(phases)
        hook.pytest_deployready_record(record=record, config=self.config)
        try:
            self._write_outputs(record)
        except (TypeError, ValueError) as exc:  # a hook put something JSON cannot hold
            self.record_error = f"could not write the record: {exc}"
        except OSError as exc:
            self.record_error = f"could not write the record: {exc.strerror or exc}"
            if exc.filename:
                self.record_error += f": {exc.filename}"
        return self.decision

    def write_placeholder(self, *, over_records_only: bool = False) -> None:
        """Before the first check: the record says "incomplete" until the end replaces it.

        A run killed where no handler runs (SIGKILL, a segfault) then leaves a record with
        ``complete: false`` and verdict NO_GO, never the previous run's GO. Temporary files a
        killed run left for the same paths are removed first. ``over_records_only`` (at
        session start, before collection could refuse a path): only when every path is absent
        or holds a previous record; otherwise at the end of collection.
        """
        if self.placeholder_written or (
            self.record_path is None and self.html_path is None and self.summary_path is None
        ):
            return
        from pytest_deployready.outputs import holds_record, remove_stale_temp_files

        paths = [p for p in (self.record_path, self.html_path) if p is not None]
        if over_records_only and not all(holds_record(p) for p in paths):
            return
        remove_stale_temp_files(paths)
        saved = self.decision, self.complete, self.exit_code
        self.decision = Decision(Verdict.NO_GO, [PLACEHOLDER_REASON])
        self.complete, self.exit_code = False, int(pytest.ExitCode.INTERRUPTED)
        try:
            record = self.record(self.selected_phases)
        finally:
            self.decision, self.complete, self.exit_code = saved
        try:
            self._write_outputs(record)
        except (OSError, TypeError, ValueError) as exc:
            raise pytest.UsageError(f"cannot write the record: {exc}") from None
        self.placeholder_written = True

    def _write_outputs(self, record: dict[str, Any]) -> None:
        """The JSON record and the HTML page, from the same record, replaced together."""
        from pytest_deployready.record import dumps_record, write_record_files

        text, record = self._redacted(dumps_record(record), record)
        extra: dict[Path, str] = {}
        if self.summary_path is not None:
            from pytest_deployready.summary import render_summary

            shown = self.record_path or self.html_path
            extra[self.summary_path] = render_summary(record, str(shown) if shown else None)
        if self.sign_key is not None and self.record_path is not None:
            from pytest_deployready.signing import envelope_path, sign_record

            envelope = sign_record(text, self.sign_key, self.record_path.name)
            extra[envelope_path(self.record_path)] = json.dumps(envelope, indent=2) + "\n"
        write_record_files(
            record, text, json_path=self.record_path, html_path=self.html_path, extra=extra
        )

    def record(self, phases: list[str]) -> dict[str, Any]:
        """The deployment record as a JSON-ready dict (assembled by ``record.build_record``)."""
        from pytest_deployready.record import build_record

        assert self.decision is not None
        cfg = self.deploy_config
        attest = self.attestations
        return build_record(
            title=cfg.report.title,
            decision=self.decision,
            exit_code=self.exit_code,
            complete=self.complete,
            environment=cfg.environment,
            started_at=self.started_at,
            finished_at=self.finished_at,
            phase_order=list(cfg.phases),
            selected_phases=phases,
            continue_after_blocking=self.continue_after_blocking,
            results=self.results,
            deselected=self.deselected,
            metadata=self.metadata,
            config_file=str(cfg.path) if cfg.path else None,
            config_digest=cfg.digest,
            baseline=self.baseline.as_record() if self.baseline is not None else None,
            attestations=self.attestation_entries(),
            attestation_file=(
                {"path": str(attest.path), "sha256": attest.digest}
                if attest is not None and attest.path is not None
                else None
            ),
            waivers=self.waiver_statuses(),
            signoff=self.signoff_table(),
            targets=self.target_summary(),
        )

    def _redacted(self, text: str, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The record's JSON text and data with every secret masked.

        One search over the whole text decides whether anything could need masking (most
        records: nothing); then the record is masked value by value, so a secret-named key
        masks its value (``{"password": "..."}`` in evidence) and the suite author's own text
        (titles, section and phase names) is masked for known secret values only, never by
        pattern: "refuses requests without a bearer token" stays as written.
        """
        redactor = self.redactor
        if not redactor.may_redact(text):
            return text, record
        from pytest_deployready.record import dumps_record

        data: dict[str, Any] = {}
        for key, value in record.items():
            if key == "checks" and isinstance(value, list):
                data[key] = [_redacted_check(redactor, check) for check in value]
            else:
                data[key] = redactor.redact_data(value, patterns=key not in _AUTHOR_RECORD_KEYS)
        return dumps_record(data), data

    def waiver_statuses(self) -> list[dict[str, Any]]:
        checks = [(c.id, str(c.outcome)) for c in self.results]
        from pytest_deployready.waivers import waiver_report

        return waiver_report(self.deploy_config.waivers, checks, self.today)

    def signoff_table(self) -> list[dict[str, Any]]:
        """One row per configured sign-off role, filled from ``check = "signoff"`` attestations."""
        rows = []
        for role in self.deploy_config.signoff:
            a, rejected = None, []
            if self.attestations is not None:
                match = self.attestations.signoff(role, self.git_commit)
                a, rejected = match.attestation, match.rejected
            rows.append(
                {
                    "role": role,
                    "signed": a is not None,
                    "by": a.by if a else None,
                    "at": a.at if a else None,
                    "note": a.note if a else "",
                    "rejected": rejected,
                }
            )
        return rows

    def attestation_entries(self) -> list[dict[str, Any]]:
        """Every attestation read, whether it counted for this commit and matched a check."""
        if self.attestations is None:
            return []
        checks = [(c.id, c.title) for c in self.results]
        unmatched = self.attestations.unmatched(checks, self.deploy_config.signoff)
        entries: list[dict[str, Any]] = []
        for index, a in enumerate(self.attestations.entries):
            entry = a.as_dict()
            entry["counts"] = a.applies_to_commit(self.git_commit)
            entry["matches"] = index not in unmatched
            if index in unmatched:
                entry["warning"] = unmatched[index]
            entries.append(entry)
        return entries

    def target_summary(self) -> dict[str, dict[str, int]]:
        """Outcome counts per target, for checks that ran once per target."""
        summary: dict[str, dict[str, int]] = {}
        for c in self.results:
            if c.target is not None:
                row = summary.setdefault(c.target, {})
                row[str(c.outcome)] = row.get(str(c.outcome), 0) + 1
        return summary

    @property
    def verdict(self) -> Verdict | None:
        return self.decision.verdict if self.decision else None


#: the suite author's own text in the record: titles, section, phase and marker names. Known
#: secret values are masked in them, secret-looking patterns are not (they are not output).
_AUTHOR_RECORD_KEYS = frozenset({"title", "phases"})
_AUTHOR_CHECK_KEYS = frozenset({"title", "section", "phase", "phases", "severity", "manual_role"})


def _redacted_check(redactor: Redactor, check: object) -> object:
    """One check of the record, masked; its author's text by known values only."""
    if not isinstance(check, Mapping):
        return redactor.redact_data(check)
    return {
        redactor.redact(str(key)): redactor.redact_data(
            value, patterns=key not in _AUTHOR_CHECK_KEYS
        )
        for key, value in check.items()
    }


def _report_strings(report: pytest.TestReport | pytest.CollectReport) -> list[str]:
    """Every string of a report's serialised form (pytest's ``_report_to_json``), without it.

    The same attributes, and the same dataclass fields of an exception's representation, read
    where they are instead of copied, so the redactor can search them first: a report whose
    strings hold nothing to mask is not serialised at all.
    """
    out: list[str] = [report.nodeid]
    attrs = dict(vars(report))
    attrs.pop("_id", None)  # the nodeid above
    longrepr = attrs.pop("longrepr", None)
    if hasattr(longrepr, "toterminal") and not (
        hasattr(longrepr, "reprtraceback") and hasattr(longrepr, "reprcrash")
    ):
        out.append(str(longrepr))  # serialised as its text
    else:
        _strings(longrepr, out, into_dataclasses=True)  # serialised with dataclasses.asdict
    _strings(attrs, out, into_dataclasses=False)  # serialised as they are
    return out


def _strings(value: object, out: list[str], *, into_dataclasses: bool) -> None:
    """Append every string in ``value`` (mapping keys as ``str()``) to ``out``."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list | tuple):
        for v in value:
            _strings(v, out, into_dataclasses=into_dataclasses)
    elif value is None or isinstance(value, int | float):
        return  # the common scalars, before the slower checks below
    elif isinstance(value, Mapping):
        for k, v in value.items():
            out.append(str(k))
            _strings(v, out, into_dataclasses=into_dataclasses)
    elif into_dataclasses and is_dataclass(value) and not isinstance(value, type):
        # Its fields (what dataclasses.asdict copies): the instance's attributes hold them all.
        if hasattr(value, "__dict__"):
            attrs = list(vars(value).values())
        else:
            attrs = [getattr(value, f.name) for f in fields(value)]
        _strings(attrs, out, into_dataclasses=True)
    elif isinstance(value, os.PathLike):
        out.append(os.fspath(value))


#: ini settings pytest has acted on before :func:`settle_rootdir` runs, beyond ``addopts``
_EARLY_INI_KEYS = ("minversion", "pythonpath", "required_plugins")


def settle_rootdir(config: pytest.Config, args: list[str]) -> None:
    """Undo a rootdir that pytest derived from the value of a plugin's option.

    pytest picks the rootdir (and its ini file) from the command line's path-like arguments
    before it loads plugins from entry points, so it takes the value of ``--deploy-record
    /elsewhere/rec.json`` (space form; the ``=`` form is one argument) for a test path, and an
    existing file outside the suite moves the rootdir: check ids gain a prefix and exact-id
    waivers stop matching. In a run with a ``--deploy-*`` option (any other run keeps pytest's
    choice), called once every plugin's options are known (with ``args``, the
    list pytest parses next), this decides the rootdir again from the same arguments without
    the options' values, and adopts it with its ini file and that file's ``addopts``. When
    the ini file pytest already acted on otherwise (``pythonpath``, ``-p`` in ``addopts``,
    ...) would differ, it cannot be undone: a usage error says to write ``OPTION=VALUE``.
    """
    import copy
    import shlex

    try:
        from _pytest.config.findpaths import determine_setup
    except ImportError:  # pragma: no cover - a pytest that moved it: keep pytest's choice
        return
    argv = list(config.invocation_params.args)
    env_addopts = os.environ.get("PYTEST_ADDOPTS", "")
    if env_addopts:
        argv = shlex.split(env_addopts) + argv
    if not any(v for k, v in vars(config.known_args_namespace).items() if k.startswith("deploy_")):
        return  # no --deploy-* option: pytest's choice stands, as without the plugin
    parser = config._parser
    try:
        ns = parser.parse_known_args(argv, namespace=copy.copy(config.option))
    except pytest.UsageError:
        return  # pytest reports it in its own parse, next
    rootpath, inipath, inicfg, ignored = determine_setup(
        inifile=ns.inifilename,
        override_ini=ns.override_ini,
        args=ns.file_or_dir,
        rootdir_cmd_arg=ns.rootdir or None,
        invocation_dir=config.invocation_params.dir,
    )
    if rootpath == config.rootpath and inipath == config.inipath:
        return
    old_cfg = config._inicfg

    def value(cfg: Mapping[str, Any], key: str) -> Any:
        return getattr(cfg.get(key), "value", cfg.get(key))

    def addopts(cfg: Mapping[str, Any]) -> list[str]:
        raw = value(cfg, "addopts") or []
        return shlex.split(raw) if isinstance(raw, str) else [str(a) for a in raw]

    old_addopts, new_addopts = addopts(old_cfg), addopts(inicfg)
    plugins = [a for a in (*old_addopts, *new_addopts) if a.startswith("-p")]
    if (
        any(value(inicfg, k) != value(old_cfg, k) for k in _EARLY_INI_KEYS)
        or (plugins and old_addopts != new_addopts)
        or args[: len(old_addopts)] != old_addopts
    ):
        raise pytest.UsageError(
            f"pytest read an option's value as a test path and chose rootdir {config.rootpath} "
            f"instead of {rootpath}; write options as --OPTION=VALUE (e.g. --deploy-record=PATH)"
        )
    if old_addopts != new_addopts:  # the ini file pytest read added these: swap them
        args[:] = new_addopts + args[len(old_addopts) :]
    config._rootpath, config._inipath, config._inicfg = rootpath, inipath, inicfg
    config._ignored_config_files = ignored
    config._inicache.clear()
    parser.extra_info["rootdir"] = str(rootpath)
    parser.extra_info["inifile"] = str(inipath)
    known = parser.parse_known_args(args, namespace=copy.copy(config.option))
    if known.confcutdir is None:  # pytest's default, from the rootdir and ini file
        known.confcutdir = str(inipath.parent if inipath else rootpath)
    config.known_args_namespace = known
