"""Per-run state: what pytest-deployready knows about the current run, from start to verdict.

One :class:`DeployRun` lives in ``config.stash[RUN_KEY]`` for the whole pytest run; the hooks
in ``_plugin.py`` call its methods, and it hands each job to the module that does it: the
configuration (``config``, ``run_options``), selection (``selection``), whether a check runs
(``gate``), a check's report data (``checks``), the results and the record (``record``),
masking (``redact``) and the verdict (``verdict``). Under pytest-xdist the workers annotate
their reports and the controller, which sees every report, folds them into the one record.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from pytest_deployready._checks import (
    CHECK_KEY,
    ItemState,
    annotate,
    new_state,
    unreachable_is_error,
)
from pytest_deployready._gate import PhaseBlocking, admit
from pytest_deployready._phases import parse_phase_option, sort_key
from pytest_deployready._record import CheckResults, gc_paused
from pytest_deployready._redact import Redactor, redact_report
from pytest_deployready._signals import RunSignals
from pytest_deployready._verdict import CheckSummary, Decision, Verdict, decide
from pytest_deployready._vocabulary import BLOCKING_SEVERITIES
from pytest_deployready.config import DeployConfig, load_config

if TYPE_CHECKING:  # the rest is imported where it is used: an unrelated run never needs it
    from pytest_deployready._attest import Attestations
    from pytest_deployready._baseline import Baseline
    from pytest_deployready._metadata import GitState
    from pytest_deployready._outputs import OutputPaths

__all__ = ["CHECK_KEY", "PLACEHOLDER_REASON", "RUN_KEY", "DeployRun", "ItemState"]

R = TypeVar("R", pytest.TestReport, pytest.CollectReport)

RUN_KEY = pytest.StashKey["DeployRun"]()
#: the reason in the record written before the first check, which the end of the run replaces
PLACEHOLDER_REASON = "run in progress or did not finish"


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
        # pytest-xdist: a directory the controller's scheduler and the workers share
        # (pytest_deployready._xdist_phases); None in a serial run.
        self.shared_dir: Path | None = None
        shared = getattr(config, "workerinput", {}).get("deployready_shared")
        if shared:
            self.shared_dir = Path(shared)
        #: blocking failures per phase (a worker reads the controller's from shared_dir)
        self.blocking = PhaseBlocking((), self.shared_dir)
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
        #: the check being set up or run, and its state: the per-check fixtures write into it
        self.current_check: pytest.Item | None = None
        self.current_state: ItemState | None = None

    # -- configuration ---------------------------------------------------------------------

    def load(self) -> None:
        """Read the configuration; a config file makes the run a deployment run."""
        from pytest_deployready._run_options import (
            check_outputs,
            register_target_secrets,
            selected_targets,
        )

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
        self.blocking.phases = cfg.phases
        register_target_secrets(self.redactor, cfg)
        if opt.deploy_phase:
            self.selected_phases = parse_phase_option(opt.deploy_phase, cfg.phases)
        if opt.deploy_baseline:
            from pytest_deployready._baseline import load_baseline

            self.baseline = load_baseline(
                Path(self.config.invocation_params.dir, opt.deploy_baseline)
            )
        if opt.deploy_attest:
            from pytest_deployready._attest import load_attestations

            self.attestations = load_attestations(
                Path(self.config.invocation_params.dir, opt.deploy_attest)
            )
        if opt.deploy_target:
            self.selected_targets = selected_targets(opt.deploy_target, cfg)
        out = check_outputs(self.config, cfg)  # a usage error writes nothing
        self.outputs = out.guard
        self.record_path, self.html_path = out.record_path, out.html_path
        self.summary_path, self.sign_key = out.summary_path, out.sign_key

    @property
    def deploy_config(self) -> DeployConfig:
        if self._deploy_config is None:
            self.load()
        assert self._deploy_config is not None
        return self._deploy_config

    @functools.cached_property
    def git(self) -> GitState:
        """The checkout under test: commit, branch, uncommitted changes (read once)."""
        from pytest_deployready._metadata import git_state

        return git_state(self.config.rootpath)

    @property
    def git_commit(self) -> str | None:
        """The commit of the checkout under test."""
        return self.git.commit

    @functools.cached_property
    def metadata(self) -> dict[str, Any]:
        """Git commit and branch, who ran it, versions, targets: read once per run."""
        from pytest_deployready._metadata import run_metadata

        return run_metadata(self.config.rootpath, self.deploy_config, git=self.git)

    # -- lifecycle: what the hooks in plugin.py ask of the run ----------------------------

    def register_markers(self) -> None:
        """Register our markers (only ``phase`` in a run that did not opt in)."""
        from pytest_deployready._phases import register_markers

        self.foreign_markers = register_markers(self.config, opted_in=self.explicit)

    def install_signals(self) -> None:
        """SIGTERM and SIGHUP end the run with a record, as SIGINT does."""
        self.signals.install()

    def restore_signals(self) -> None:
        self.signals.restore()

    def activate(self) -> None:
        """Collection found a deployment run (an opt-in by the ``phase`` marker alone)."""
        self.active = True

    def defer_usage_error(self, message: str) -> None:
        """An xdist worker's usage error: the controller reports it (a raise would crash it)."""
        self.usage_error = message

    def worker_output(self) -> dict[str, Any]:
        """xdist worker: what the controller needs from it (:meth:`merge_worker_output`)."""
        return {
            "deselected": dict(self.deselected),
            "active": self.active,
            "usage_error": self.usage_error,
        }

    def merge_worker_output(self, data: Mapping[str, Any]) -> None:
        """xdist controller: a worker's deselection counts, activation and usage error."""
        self.usage_error = self.usage_error or data["usage_error"]
        if not self.deselected:
            self.deselected.update(data["deselected"])
        self.active = self.active or bool(data["active"])

    def withdraw_verdict(self) -> None:
        """A usage error at start-up: the run never started, so no summary and no verdict."""
        self.decision = None

    def shared_directory(self) -> Path:
        """pytest-xdist: the directory the controller and the workers share (made once)."""
        if self.shared_dir is None:
            import tempfile

            self.shared_dir = Path(tempfile.mkdtemp(prefix="deployready-xdist-"))
        return self.shared_dir

    def remove_shared_directory(self) -> None:
        """xdist controller, at the end: the shared directory goes."""
        if not self.is_worker and self.shared_dir is not None:
            import shutil

            shutil.rmtree(self.shared_dir, ignore_errors=True)

    @property
    def blocking_phases(self) -> dict[str, list[str]]:
        """Phase -> its failed blocking checks (what ``xdist_phases`` shares with workers)."""
        return self.blocking.failed

    def check_collected(self, modules: list[Path]) -> None:
        """End of collection, before any check: no output is a collected test module."""
        from pytest_deployready._outputs import OutputPathError

        if self.outputs is None:
            return
        try:
            self.outputs.check_collected(modules)
        except OutputPathError as exc:
            self.record_path = self.html_path = None
            raise pytest.UsageError(str(exc)) from None

    # -- collection ------------------------------------------------------------------------

    def uses_plugin(self, items: list[pytest.Item]) -> bool:
        """True when a collected test carries our ``phase`` marker: the suite opted in."""
        from pytest_deployready._selection import uses_plugin

        return uses_plugin(items, self.foreign_markers)

    def select(self, items: list[pytest.Item]) -> list[pytest.Item]:
        """Annotate every item, drop the ones outside the selected phases, order by phase."""
        from pytest_deployready._selection import check_distribution, select

        cfg = self.deploy_config
        keep, dropped = select(
            items,
            cfg,
            selected_phases=self.selected_phases,
            foreign=self.foreign_markers,
            deselected=self.deselected,
        )
        if self.baseline is not None:  # refuse another suite's record before any check runs
            self.baseline.check_suite(
                (it.nodeid for it in items), title=cfg.report.title, digest=cfg.digest
            )
        if dropped:
            self.config.hook.pytest_deselected(items=dropped)
        if not self.continue_after_blocking:
            check_distribution(keep, getattr(self.config, "workerinput", None), cfg.phases)
        return keep

    def share_phases(self, items: list[pytest.Item]) -> None:
        """xdist worker: tell the controller's scheduler each check's phase rank."""
        if self.shared_dir is None:
            return
        from pytest_deployready._selection import share_phases

        share_phases(items, self.shared_dir, self.deploy_config.phases)

    def unknown_check(self, nodeid: str) -> dict[str, Any]:
        """What the record says of a check known only from xdist's crash report.

        The workers wrote every check's phase and severity after collection; without that
        (the file is missing) it is treated as a check of the default severity, at least
        ``major``, so an unknown crash always blocks.
        """
        if self.shared_dir is not None:
            from pytest_deployready._xdist_phases import read_checks

            info = read_checks(self.shared_dir).get(nodeid)
            if info is not None:
                return info
        severity = self.deploy_config.default_severity
        return {"severity": severity if severity in BLOCKING_SEVERITIES else "major"}

    # -- running ---------------------------------------------------------------------------

    def start_check(self, item: pytest.Item) -> str | None:
        """A check is being set up: the per-check fixtures write into its state from now on.

        Returns the reason it must not run (blocked, waived, pending), or None.
        """
        self.current_check = item
        self.current_state = new_state(item) if self.active else None
        return self.prepare(item, self.current_state)

    def end_check(self, item: pytest.Item) -> None:
        """Its teardown is over: nothing writes into it any more."""
        if self.current_check is item:
            self.current_check = self.current_state = None

    def state_of(self, item: pytest.Item) -> ItemState | None:
        """The state of ``item`` if it is a check: the one it runs with (or a new one when its
        setup never reached ``start_check``, e.g. another plugin's hook failed first)."""
        if self.current_check is item and self.current_state is not None:
            return self.current_state
        return new_state(item)

    def prepare(self, item: pytest.Item, state: ItemState | None) -> str | None:
        """Before a check runs: the reason it must not run (blocked, waived, pending), or None."""
        if state is None:
            return None
        attested = self.attestations is not None and state.manual_role is not None
        return admit(
            item,
            state,
            blocked=(
                self.blocking.reason(state.phase)
                if state.phase is not None and not self.continue_after_blocking
                else None
            ),
            config=self.deploy_config,
            attestations=self.attestations,
            commit=self.git_commit if attested else None,
            today=self.today,
        )

    def report_made(
        self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> pytest.TestReport:
        """A setup, call or teardown report: one line for an unreachable target, secrets
        masked, the record's data attached. The teardown report ends the check."""
        state = self.state_of(item) if self.active else None
        if call.when == "teardown":
            self.end_check(item)
        if not self.active:
            return report
        unreachable_is_error(call, report)
        report = self.redact_report(report)
        if state is not None:
            annotate(state, report, self.redactor)
        return report

    def redact_report(self, report: R) -> R:
        """Mask secrets in everything a report carries (``redact.redact_report``)."""
        return redact_report(self.redactor, report, self.config)

    def redact_text(self, text: str) -> str:
        """``text`` with every secret masked (warnings, parameter ids, header lines)."""
        return self.redactor.redact(text)

    def redact_file(self, path: str) -> None:
        """Rewrite a written artefact (JUnit XML, HTML) with its secrets masked.

        Only a regular file (or one a symlink points to) is read and replaced: a FIFO would
        block the read, and a device node must never become a file.
        """
        from pytest_deployready._redact import redact_file

        error = redact_file(self.redactor, Path(self.config.invocation_params.dir, path))
        if error is not None:
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
        self.blocking.note(check)

    def observe_collect_error(self, report: pytest.CollectReport) -> None:
        """A module or class that failed to collect is an ``error`` check of its own."""
        if self.explicit and report.failed:
            self.results.add_collect_error(report)

    def _collected_by_workers(self, nodeid: str) -> bool:
        """xdist controller: the workers selected this check (a deployment run's check)."""
        if self.shared_dir is None:
            return False
        from pytest_deployready._xdist_phases import read_checks

        return nodeid in read_checks(self.shared_dir)

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
            self.blocking.note(check)
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
        with gc_paused():
            record = self.record(phases)
        hook.pytest_deployready_record(record=record, config=self.config)
        try:
            with gc_paused():
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
        from pytest_deployready._outputs import holds_record, remove_stale_temp_files

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
        from pytest_deployready._record import write_outputs

        write_outputs(
            record,
            self.redactor,
            json_path=self.record_path,
            html_path=self.html_path,
            summary_path=self.summary_path,
            sign_key=self.sign_key,
        )

    def record(self, phases: list[str]) -> dict[str, Any]:
        """The deployment record as a JSON-ready dict (assembled by ``record.build_record``)."""
        from pytest_deployready._record import build_record, target_summary

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
            targets=target_summary(self.results),
        )

    def waiver_statuses(self) -> list[dict[str, Any]]:
        """Every configured waiver: whether it applied, expired, or matched nothing."""
        from pytest_deployready._waivers import waiver_report

        checks = ((c.id, str(c.outcome)) for c in self.results)
        return waiver_report(self.deploy_config.waivers, checks, self.today)

    def signoff_table(self) -> list[dict[str, Any]]:
        """One row per configured sign-off role (``record.signoff_rows``)."""
        from pytest_deployready._record import signoff_rows

        return signoff_rows(self.deploy_config.signoff, self.attestations, self.git_commit)

    def attestation_entries(self) -> list[dict[str, Any]]:
        """Every attestation read (``record.attestation_entries``)."""
        from pytest_deployready._record import attestation_entries

        if self.attestations is None:
            return []
        return attestation_entries(
            self.attestations, self.results, self.deploy_config.signoff, self.git_commit
        )

    @property
    def verdict(self) -> Verdict | None:
        return self.decision.verdict if self.decision else None
