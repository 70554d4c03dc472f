"""Hooks, in lifecycle order; the work is done in ``_run.py`` and ``_report.py``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from pytest_deployready import hooks
from pytest_deployready._run import RUN_KEY, DeployRun

# -- options and hooks ---------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("deployready", "deployment readiness (pytest-deployready)")
    group.addoption(
        "--deploy-phase",
        action="append",
        dest="deploy_phase",
        type=_nonempty("--deploy-phase"),
        default=None,
        metavar="PHASES",
        help="run only checks of these phases (comma list, repeatable, or 'all'); "
        "other phases and unmarked tests are deselected.",
    )
    group.addoption(
        "--deploy-continue",
        action="store_true",
        dest="deploy_continue",
        default=False,
        help="run later phases even after a blocking failure in an earlier phase.",
    )
    group.addoption(
        "--deploy-config",
        dest="deploy_config",
        type=_nonempty("--deploy-config"),
        default=None,
        metavar="PATH",
        help="configuration file (default: deployready.toml, or [tool.deployready] in "
        "pyproject.toml).",
    )
    group.addoption(
        "--deploy-env",
        dest="deploy_env",
        type=_nonempty("--deploy-env"),
        default=None,
        metavar="NAME",
        help="environment overlay [env.NAME] to apply (default: $DEPLOYREADY_ENV).",
    )
    group.addoption(
        "--deploy-threshold",
        action="append",
        dest="deploy_threshold",
        default=None,
        type=_threshold_override,
        metavar="NAME=RULE",
        help="override a threshold rule, e.g. --deploy-threshold 'api_p95_ms=< 300' (repeatable).",
    )
    group.addoption(
        "--deploy-record",
        dest="deploy_record",
        type=_nonempty("--deploy-record"),
        default=None,
        metavar="PATH",
        help="write the JSON deployment record to PATH (also written when interrupted).",
    )

    group.addoption(
        "--deploy-html",
        dest="deploy_html",
        type=_nonempty("--deploy-html"),
        default=None,
        metavar="PATH",
        help="write the deployment record as a self-contained HTML page (fast at thousands "
        "of checks; --html still gives the pytest-html report).",
    )
    group.addoption(
        "--deploy-attest",
        dest="deploy_attest",
        type=_nonempty("--deploy-attest"),
        default=None,
        metavar="FILE",
        help="attestations of manual checks and sign-offs (TOML or YAML); "
        "append with 'deployready attest'.",
    )
    group.addoption(
        "--deploy-target",
        action="append",
        dest="deploy_target",
        type=_nonempty("--deploy-target"),
        default=None,
        metavar="NAMES",
        help="run per-target checks only against these configured targets (comma list, "
        "repeatable; default: all).",
    )
    group.addoption(
        "--deploy-baseline",
        dest="deploy_baseline",
        type=_nonempty("--deploy-baseline"),
        default=None,
        metavar="RECORD",
        help="a previous run's JSON record: rules such as '<= baseline * 0.7' compare with it.",
    )
    group.addoption(
        "--deploy-summary",
        dest="deploy_summary",
        default=None,
        type=_nonempty("--deploy-summary"),
        metavar="PATH",
        help="write a short Markdown summary (verdict, blocking checks, triggers, sign-off) for "
        "a ticket comment or $GITHUB_STEP_SUMMARY.",
    )
    group.addoption(
        "--deploy-sign-key",
        dest="deploy_sign_key",
        default=None,
        type=_nonempty("--deploy-sign-key"),
        metavar="KEY",
        help="sign the JSON record with this Ed25519 private key (PEM): a DSSE envelope is "
        "written next to it as RECORD.dsse.json.",
    )


def _nonempty(option: str) -> Callable[[str], str]:
    """A ``type=`` for an option's value: an empty one is a usage error, never "not given".

    Example: ``group.addoption("--deploy-env", type=_nonempty("--deploy-env"))`` makes
    ``--deploy-env=''`` exit 4 instead of silently running without the overlay.
    """

    def check(text: str) -> str:
        if not text.strip():
            raise pytest.UsageError(f"{option}: empty value; give a value or leave the option out")
        return text

    return check


def _threshold_override(text: str) -> tuple[str, str]:
    """``--deploy-threshold NAME=RULE``, checked as it is parsed (a bad one is exit 4)."""
    from pytest_deployready.config import parse_threshold_override

    with _usage_errors():
        return parse_threshold_override(_nonempty("--deploy-threshold")(text))
    raise AssertionError("unreachable")  # pragma: no cover - for type checkers


@contextlib.contextmanager
def _usage_errors() -> Iterator[None]:
    """The plugin boundary: the package's usage problems become pytest's usage error (exit 4)."""
    from pytest_deployready.errors import UsageProblem

    try:
        yield
    except UsageProblem as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    """Check ids must not depend on where outputs go: see ``rootdir.settle_rootdir``."""
    from pytest_deployready._rootdir import settle_rootdir

    settle_rootdir(early_config, args)


# -- configure -----------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    run = DeployRun(config)
    config.stash[RUN_KEY] = run
    with _usage_errors():
        run.load()  # a config file opts in: known from here on
    run.register_markers()
    if run.explicit:
        run.install_signals()  # SIGTERM and SIGHUP end the run with a record, as SIGINT does
    from pytest_deployready import _fixtures as fixtures

    config.pluginmanager.register(fixtures, "deployready-fixtures")
    config.pluginmanager.register(fixtures.CheckFixtures(run), "deployready-check-fixtures")
    if run.explicit:  # not in other suites: pytest-testinfra has a `host` fixture too
        config.pluginmanager.register(fixtures.HostFixture(), "deployready-host-fixture")
    if not run.is_worker:
        config.pluginmanager.register(RunObserver(run), "deployready-observer")
    if run.explicit and not run.is_worker:
        from pytest_deployready._report import HtmlReport, add_metadata

        if config.pluginmanager.hasplugin("html"):
            config.pluginmanager.register(HtmlReport(run), "deployready-html")
        if config.pluginmanager.hasplugin("metadata"):
            from pytest_metadata.plugin import metadata_key

            add_metadata(run, config.stash[metadata_key])


def _late_html(config: pytest.Config, run: DeployRun) -> None:
    """Markers alone made this a deployment run, after pytest-html built its table header."""
    if run.is_worker or not config.pluginmanager.hasplugin("html"):
        return
    from pytest_deployready._report import HtmlReport, adopt_html_report

    html = HtmlReport(run)
    if adopt_html_report(config, html):
        config.pluginmanager.register(html, "deployready-html")


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = config.stash[RUN_KEY]
    if not run.explicit:
        return None
    from pytest_deployready._report import header_lines

    return header_lines(run)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist starts its workers
def pytest_sessionstart(session: pytest.Session) -> None:
    """Session start: the record paths say "incomplete" (over a previous record only)."""
    run = session.config.stash[RUN_KEY]
    if not run.is_worker and run.explicit and not session.config.option.collectonly:
        run.write_placeholder(over_records_only=True)


# -- collection ----------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = metafunc.config.stash[RUN_KEY]
    if "host" in metafunc.fixturenames and run.explicit:
        hosts = [h.name for h in run.deploy_config.targets.hosts]
        if len(hosts) > 1:
            metafunc.parametrize("host", hosts, indirect=True, ids=hosts, scope="session")
    if "api" not in metafunc.fixturenames:
        return
    names = [t.name for t in run.deploy_config.targets.api_targets()]
    if run.selected_targets:
        names = [n for n in names if n in run.selected_targets]
    if len(names) > 1 or run.selected_targets:
        metafunc.parametrize("api", names, indirect=True, ids=names, scope="session")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    run = config.stash[RUN_KEY]
    if not (run.explicit or run.uses_plugin(items)):
        return
    if not run.explicit:
        _late_html(config, run)
    run.activate()
    try:
        with _usage_errors():
            items[:] = run.select(items)
            run.share_phases(items)
    except pytest.UsageError as exc:
        if not run.is_worker:
            raise
        # An exception here would crash the xdist worker; the controller reports it instead.
        run.defer_usage_error(str(exc))
        config.hook.pytest_deselected(items=list(items))
        items[:] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before the first check: outputs are no test module; the record says "incomplete"."""
    run = session.config.stash[RUN_KEY]
    if run.is_worker or not run.active:
        return
    run.install_signals()  # a run that markers alone made a deployment run
    run.check_collected([item.path for item in session.items])
    if not session.config.option.collectonly:
        run.write_placeholder()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """pytest-xdist controller: the same, before the first check is sent to a worker."""
    run = node.config.stash[RUN_KEY]
    if not run.explicit:
        return
    root = node.config.rootpath
    run.check_collected([root / nodeid.split("::", 1)[0] for nodeid in ids])
    run.write_placeholder()


# -- pytest-xdist: phases in order across workers --------------------------------------------


def _shared_dir(config: pytest.Config) -> Any:
    return config.stash[RUN_KEY].shared_directory()


def _orders_phases(config: pytest.Config) -> bool:
    """A deployment run known on the controller (config file or option) under ``--dist load``
    gets our scheduler. Workers refuse a run of several phases that did not get it
    (``DeployRun.select``): other modes, and a suite opted in by ``phase`` markers alone."""
    run = config.stash[RUN_KEY]
    return bool(run.explicit and config.getoption("dist", "no") == "load")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """A deployment run under ``-n N``: one phase at a time, blocking across workers."""
    if not _orders_phases(config):
        return None
    from pytest_deployready._xdist_phases import PhaseScheduling

    run = config.stash[RUN_KEY]
    return PhaseScheduling(config, log, _shared_dir(config), blocking=lambda: run.blocking_phases)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Every worker gets the shared directory: phase ranks, blocking failures, check data."""
    node.workerinput["deployready_shared"] = str(_shared_dir(node.config))
    node.workerinput["deployready_phased"] = _orders_phases(node.config)
    node.workerinput["deployready_dist"] = node.config.getoption("dist", "no")  # workers: "no"


# -- running -------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before pytest sets up its fixtures (we run first): the per-check fixtures write into it.
    reason = item.config.stash[RUN_KEY].start_check(item)
    if reason is not None:
        # Reported at the check's own location, as @pytest.mark.skip would be.
        raise pytest.skip.Exception(reason, _use_item_location=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Secrets masked and the record's data attached; the teardown report ends the check
    (made after its fixtures are torn down: no per-check fixture writes into it any more)."""
    report = yield
    return item.config.stash[RUN_KEY].report_made(item, call, report)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    run = collector.config.stash[RUN_KEY]
    if run.explicit and report.failed:
        report = run.redact_report(report)
    return report


class RunObserver:
    """Hooks that receive reports without a config: bound to the run (controller or serial)."""

    def __init__(self, run: DeployRun) -> None:
        self.run = run

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.run.observe_collect_error(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.run.observe(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: Any) -> None:
        """Warnings are printed in the summary: mask secrets in their text too."""
        if not (self.run.explicit or self.run.active):
            return  # not a deployment run: the project's warnings are its own business
        message = warning_message.message
        text = str(message)
        clean = self.run.redact_text(text)
        if clean != text:
            try:
                warning_message.message = type(message)(clean)
            except TypeError:  # a warning class with a constructor of its own
                warning_message.message = UserWarning(clean)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist: deselection counts travel from the workers to the controller."""
        data = getattr(node, "workeroutput", {}).get("deployready")
        if not data:
            return
        self.run.merge_worker_output(data)


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """A parameter holding a secret must not show it in the test id."""
    run = config.stash.get(RUN_KEY, None)
    if run is None or not run.explicit or not isinstance(val, str):
        return None
    clean = run.redact_text(val)
    return clean if clean != val else None


# -- the end -------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash[RUN_KEY]
    if run.is_worker:
        session.config.workeroutput["deployready"] = run.worker_output()  # type: ignore[attr-defined]
        return
    if run.usage_error is not None:  # raised on an xdist worker: report it as pytest would
        sys.stderr.write(f"ERROR: {run.usage_error}\n\n")
        exitstatus = session.exitstatus = pytest.ExitCode.USAGE_ERROR
    if not run.active or session.config.option.collectonly:
        return  # --collect-only lists checks: nothing ran, so there is no verdict to give
    from pytest_deployready._signals import deferred

    with deferred(redeliver=False) as received:  # the record is finished first
        run.finish(exitstatus, session)
    if received:
        sys.stderr.write(
            f"deployready: {received[0]} arrived while the record was written; "
            "the record was finished first\n"
        )
    session.exitstatus = run.exit_code
    if exitstatus == pytest.ExitCode.USAGE_ERROR:
        run.withdraw_verdict()  # the run never started: no summary and no verdict line


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash[RUN_KEY]
    if run.active and not run.is_worker:
        from pytest_deployready._report import terminal_summary

        terminal_summary(run, terminalreporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is not None:
        run.restore_signals()
        run.remove_shared_directory()
    if run is None or run.is_worker or not run.active:
        return
    # Last line of defence: JUnit XML and the pytest-html page may hold text that never went
    # through a report (record_xml_attribute, environment values); mask it in the files.
    for option in ("xmlpath", "htmlpath"):
        path = getattr(config.option, option, None)
        if path:
            run.redact_file(path)
    if run.decision is None:
        return
    from pytest_deployready._report import verdict_line

    tr = config.pluginmanager.getplugin("terminalreporter")
    if tr is not None:
        line, markup = verdict_line(run)
        tr.write_line(line, **markup)
