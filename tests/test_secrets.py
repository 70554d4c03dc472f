"""End to end: passwords, tokens and secret-looking values never reach any output.

A suite is planted with secrets everywhere a test can put them (stdout, stderr, assertion
messages, exception messages, evidence, ``record_property``, skip reasons, failing fixtures,
logging, a real HTTP API echoing the bearer token, an unreachable PostgreSQL URL with a
password), run with every output enabled, and each artefact — terminal output, the JSON record,
the self-contained HTML report and the JUnit XML — is searched for every secret, raw and in its
escaped forms. Positive checks make sure the artefacts do contain the non-secret parts (user
name, host:port, the checks themselves), so a run that produced nothing cannot pass.
"""

from __future__ import annotations

import html
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.runner import DeployRunner

pytest_plugins = ["pytester"]

#: values of secret-looking environment variables (masked because of their names)
ENV_SECRETS = {
    "DB_PASSWORD": "pw-Db-4f9c1e7a",
    "API_TOKEN": "tok-Api-8b2d5f03",
    "SERVICE_SECRET": "svc-Secret-61ae90d4",
    "STRIPE_KEY": "sk_live_Stripe5c7e21b9",
}
#: secrets in variables with ordinary names: only the URL and header patterns protect these
PATTERN_SECRETS = {
    "ADMIN_DSN": ("https://admin:oth-Pw-3e8b6f15@127.0.0.1:9/admin", "oth-Pw-3e8b6f15"),
    "UPSTREAM_HEADER": ("Authorization: Bearer brr-Header-7d41c2a9", "brr-Header-7d41c2a9"),
}
ALL_SECRETS = {
    **ENV_SECRETS,
    **{name: secret for name, (_, secret) in PATTERN_SECRETS.items()},
}
DB_USER = "deployer_user"
MASKED_DSN = f"postgresql://{DB_USER}:***@127.0.0.1:1/app"

CONFIG = """
[targets]
database_url = "postgresql://deployer_user:${DB_PASSWORD}@127.0.0.1:1/app"
api_base_url = "${ECHO_URL}"
api_token_env = "API_TOKEN"
"""

CONFTEST = """
import os

import pytest

SVC = os.environ["SERVICE_SECRET"]
STRIPE = os.environ["STRIPE_KEY"]
DSN = "postgresql://deployer_user:" + os.environ["DB_PASSWORD"] + "@127.0.0.1:1/app"


@pytest.fixture
def broken_fixture():
    raise RuntimeError(f"fixture cannot log in with {SVC} at {DSN}")


@pytest.fixture
def failing_teardown():
    yield STRIPE
    raise RuntimeError(f"teardown could not revoke {STRIPE}")
"""

PLANTED = """
import logging
import os
import sys

import pytest

DBPW = os.environ["DB_PASSWORD"]
TOKEN = os.environ["API_TOKEN"]
SVC = os.environ["SERVICE_SECRET"]
STRIPE = os.environ["STRIPE_KEY"]
ADMIN_DSN = os.environ["ADMIN_DSN"]
HEADER = os.environ["UPSTREAM_HEADER"]
DSN = f"postgresql://deployer_user:{DBPW}@127.0.0.1:1/app"

pytestmark = pytest.mark.phase("pre")


def test_env_is_planted():
    assert DBPW.startswith("pw-") and TOKEN.startswith("tok-")
    assert SVC.startswith("svc-") and STRIPE.startswith("sk_live_")


def test_prints_and_passes():
    print("stdout:", DSN, TOKEN, SVC, STRIPE, ADMIN_DSN, HEADER)
    print("stderr:", DSN, TOKEN, SVC, STRIPE, ADMIN_DSN, HEADER, file=sys.stderr)
    logging.getLogger("planted").warning("passing with %s and %s", DSN, SVC)


def test_prints_and_fails():
    print("stdout:", DSN, TOKEN, SVC, STRIPE)
    print("stderr:", DSN, TOKEN, SVC, STRIPE, file=sys.stderr)
    assert False, f"token={TOKEN}"


def test_assertion_message():
    assert False, f"url={DSN}"


def test_assertion_comparison():
    assert STRIPE == "sk_test_expected"


def test_evidence(evidence):
    evidence.add("conn", DSN)
    evidence.add("keys", {"stripe": STRIPE, "service": SVC, "list": [TOKEN, HEADER]})


def test_exception_message():
    raise RuntimeError(f"login failed for {SVC} with {TOKEN}")


def test_record_property(record_property):
    record_property("dsn", DSN)
    record_property("token", TOKEN)


def test_skip_reason():
    pytest.skip(f"not today: {STRIPE}")


def test_failing_fixture(broken_fixture):
    pass


def test_failing_teardown(failing_teardown):
    assert failing_teardown


def test_url_with_password_in_message():
    raise ConnectionError(f"cannot connect to {ADMIN_DSN}")


def test_authorization_header_in_message():
    assert False, f"upstream rejected {HEADER}"


def test_locals():
    password = SVC
    dsn = DSN
    assert not password, dsn


def test_logging_then_fails():
    logging.getLogger("planted").error("connecting with %s (%s)", DSN, TOKEN)
    assert False


def test_database_unreachable(db):
    db.scalar("SELECT 1")


def test_api_echoes_token(api):
    response = api.get("/echo")
    assert response.status_code == 418, response.text
"""

#: outcomes of the planted suite: test_failing_teardown passes and errors at teardown
EXPECTED_OUTCOMES = {"passed": 5, "failed": 9, "skipped": 1, "errors": 3}


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers every GET with the request headers, as a misbehaving API might."""

    def do_GET(self) -> None:
        body = "".join(f"{k}: {v}\n" for k, v in self.headers.items()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def planted(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, echo_url: str) -> Path:
    """A project whose checks spill secrets everywhere; returns its directory."""
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    for name, value in ENV_SECRETS.items():
        monkeypatch.setenv(name, value)
    for name, (value, _) in PATTERN_SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ECHO_URL", echo_url)
    pytester.makefile(".toml", deployready=CONFIG)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_planted=PLANTED)
    return pytester.path


OUTPUT_ARGS = (
    "--deploy-record",
    "rec.json",
    "--html",
    "report.html",
    "--self-contained-html",
    "--junitxml",
    "junit.xml",
    "-o",
    "junit_family=xunit1",  # xunit1 writes record_property values into the XML
    "-rA",
)


def _forms(secret: str) -> set[str]:
    """The secret and the escaped forms in which a traceback, JSON or HTML would show it."""
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    forms |= {json.dumps(f)[1:-1] for f in list(forms)}
    return forms


def _artefacts(result: pytest.RunResult, directory: Path) -> dict[str, str]:
    texts = {"terminal": "\n".join(result.outlines + result.errlines)}
    for name in ("rec.json", "report.html", "junit.xml"):
        path = directory / name
        assert path.is_file(), f"{name} was not written:\n{texts['terminal'][-3000:]}"
        texts[name] = path.read_text(encoding="utf-8")
    return texts


def _leaks(texts: Mapping[str, str], secrets: Mapping[str, str]) -> list[str]:
    """Where each secret appears, with the secret itself replaced by its variable's name."""
    found = []
    for where, raw in texts.items():
        for text in (raw, html.unescape(raw)):
            for name, secret in secrets.items():
                for form in _forms(secret):
                    at = text.find(form)
                    if at >= 0:
                        context = text[max(0, at - 80) : at + len(form) + 40]
                        context = context.replace(form, f"<{name}>")
                        found.append(f"{where}: {name} in ...{context!r}...")
    return sorted(set(found))


def _html_blob(report_html: str) -> dict[str, Any]:
    match = re.search(r'data-jsonblob="([^"]*)"', report_html)
    assert match is not None, "pytest-html data-jsonblob not found"
    blob: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return blob


# -- the planted suite ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param((), id="serial"),
        pytest.param(("-vv", "-l", "--tb=long"), id="verbose-showlocals"),
        pytest.param(("-n", "2"), id="xdist"),
    ],
)
def test_no_secret_in_any_artefact(
    deploy_run: DeployRunner, planted: Path, extra: tuple[str, ...]
) -> None:
    result = deploy_run.run(*OUTPUT_ARGS, *extra)
    texts = _artefacts(result, planted)

    leaks = _leaks(texts, ALL_SECRETS)
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)

    # Not vacuous: the run happened, and the non-secret parts are all there.
    result.assert_outcomes(**EXPECTED_OUTCOMES)
    terminal = texts["terminal"]
    assert MASKED_DSN in terminal
    assert "https://admin:***@127.0.0.1:9/admin" in terminal
    assert "Authorization: Bearer ***" in terminal
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in terminal
    assert "deployready verdict: NO_GO" in terminal

    record = json.loads(texts["rec.json"])
    checks = {c["id"].rsplit("::", 1)[-1]: c for c in record["checks"]}
    assert len(checks) == 17
    assert checks["test_evidence"]["evidence"]["conn"] == MASKED_DSN
    assert checks["test_evidence"]["evidence"]["keys"]["stripe"] == "***"
    assert checks["test_failing_fixture"]["outcome"] == "error"
    assert DB_USER in checks["test_failing_fixture"]["message"]
    assert record["metadata"]["targets"]["database"] == "127.0.0.1:1"

    blob = _html_blob(texts["report.html"])
    logs = "\n".join(run["log"] for runs in blob["tests"].values() for run in runs)
    assert MASKED_DSN in logs
    assert "stdout:" in logs and "stderr:" in logs
    assert "127.0.0.1:1" in blob["environment"]["Targets"]

    junit = ET.fromstring(texts["junit.xml"])
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert props == {"dsn": MASKED_DSN, "token": "***"}
    assert len(list(junit.iter("failure"))) == 9
    assert any(MASKED_DSN in (e.text or "") for e in junit.iter("error"))


def test_in_process_run_is_redacted_too(deploy_run: DeployRunner, planted: Path) -> None:
    """The same guarantees when pytest runs in-process (no subprocess boundary)."""
    result = deploy_run.run(*OUTPUT_ARGS, subprocess=False)
    texts = _artefacts(result, planted)
    leaks = _leaks(texts, ALL_SECRETS)
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)
    result.assert_outcomes(**EXPECTED_OUTCOMES)


# -- more places a secret can travel -------------------------------------------------------


def _planted_module(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(
        test_planted="import os, warnings\nimport pytest\n"
        'TOKEN = os.environ["API_TOKEN"]\nSVC = os.environ["SERVICE_SECRET"]\n'
        'STRIPE = os.environ["STRIPE_KEY"]\n'
        'DSN = "postgresql://deployer_user:" + os.environ["DB_PASSWORD"] + "@127.0.0.1:1/app"\n'
        'pytestmark = pytest.mark.phase("pre")\n\n' + body
    )


def _assert_no_leaks(deploy_run: DeployRunner, *args: str) -> pytest.RunResult:
    result = deploy_run.run(*OUTPUT_ARGS, *args)
    leaks = _leaks(_artefacts(result, deploy_run.pytester.path), ALL_SECRETS)
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)
    return result


def test_xfail_reasons_are_redacted(
    pytester: pytest.Pytester, deploy_run: DeployRunner, planted: Path
) -> None:
    _planted_module(
        pytester,
        "def test_imperative():\n"
        '    pytest.xfail(f"waiting for rotation of {TOKEN}")\n\n'
        '@pytest.mark.xfail(reason=f"known: {SVC} expired")\n'
        "def test_marker():\n"
        "    assert False\n",
    )
    result = _assert_no_leaks(deploy_run, "-v")
    result.assert_outcomes(xfailed=2)
    assert "waiting for rotation of ***" in result.stdout.str()


def test_warning_messages_are_redacted(
    pytester: pytest.Pytester, deploy_run: DeployRunner, planted: Path
) -> None:
    _planted_module(
        pytester,
        'def test_warns():\n    warnings.warn(f"deprecated key {STRIPE} for {DSN}")\n',
    )
    result = _assert_no_leaks(deploy_run)
    result.assert_outcomes(passed=1, warnings=1)
    assert "deprecated key ***" in result.stdout.str()


def test_parametrize_ids_are_redacted(
    pytester: pytest.Pytester, deploy_run: DeployRunner, planted: Path
) -> None:
    _planted_module(
        pytester,
        '@pytest.mark.parametrize("value", [DSN, TOKEN, "visible-id"])\n'
        "def test_param(value):\n"
        "    assert value\n",
    )
    result = _assert_no_leaks(deploy_run, "-v")
    result.assert_outcomes(passed=3)
    assert "test_param[visible-id] PASSED" in result.stdout.str()


def test_junit_xml_attributes_are_redacted(
    pytester: pytest.Pytester, deploy_run: DeployRunner, planted: Path
) -> None:
    _planted_module(
        pytester,
        'def test_attribute(record_xml_attribute):\n    record_xml_attribute("dsn", DSN)\n',
    )
    result = _assert_no_leaks(deploy_run)
    result.assert_outcomes(passed=1, warnings=1)  # record_xml_attribute is experimental


def test_collection_errors_are_redacted(
    pytester: pytest.Pytester, deploy_run: DeployRunner, planted: Path
) -> None:
    _planted_module(
        pytester, 'raise RuntimeError(f"cannot import with {SVC} at {DSN}")\n\ndef test_x(): pass\n'
    )
    result = _assert_no_leaks(deploy_run)
    result.assert_outcomes(errors=1)
    assert MASKED_DSN in result.stdout.str()


def test_escaped_forms_of_a_secret_do_not_leak(
    pytester: pytest.Pytester,
    deploy_run: DeployRunner,
    planted: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A password with a backslash and quotes is shown escaped by repr() and JSON."""
    special = 'sv\\c"Se<&>t-0b1c'
    monkeypatch.setenv("SERVICE_SECRET", special)
    _planted_module(
        pytester,
        'def test_compare():\n    assert SVC == "x"\n\n'
        "def test_in_list():\n    assert [SVC] == []\n",
    )
    result = deploy_run.run(*OUTPUT_ARGS)
    result.assert_outcomes(failed=2)
    leaks = _leaks(_artefacts(result, pytester.path), {"SERVICE_SECRET": special})
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)


# -- redaction must not damage the reports -------------------------------------------------

FIDELITY_MODULE = """
import os
import pytest

DSN = os.environ["PLANTED_DSN"]

@pytest.mark.phase("pre")
def test_assertion_message():
    assert False, f"url={DSN}"

@pytest.mark.phase("pre")
def test_exception():
    raise ConnectionError(f"cannot connect to {DSN}")
"""


def _normalise(text: str) -> str:
    text = re.sub(r"\d+\.\d+s\b", "N.NNs", text)
    text = re.sub(r'(time|timestamp|hostname)="[^"]*"', r'\1=""', text)
    return text


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("-rA",), id="default-tb"),
        pytest.param(("--tb=line",), id="tb-line"),
        pytest.param(("--tb=short", "-rf"), id="tb-short"),
    ],
)
def test_redacted_failures_read_like_unredacted_ones(
    pytester: pytest.Pytester,
    deploy_run: DeployRunner,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    """Masking a secret changes the secret and nothing else: short summary lines, --tb=line
    output and JUnit ``message`` attributes keep the crash message.

    The reference run has the already-masked text in its variable (a 3-character password is
    too short to be treated as a secret), so it needs no redaction at all.
    """
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makefile(".toml", deployready=CONFIG.replace("${ECHO_URL}", "http://127.0.0.1:1"))
    pytester.makepyfile(test_fidelity=FIDELITY_MODULE)
    outputs = []
    for password in (ENV_SECRETS["DB_PASSWORD"], "***"):
        monkeypatch.setenv("DB_PASSWORD", password)
        monkeypatch.setenv("API_TOKEN", "***")
        monkeypatch.setenv("PLANTED_DSN", f"postgresql://{DB_USER}:{password}@127.0.0.1:1/app")
        result = deploy_run.run("--junitxml", "junit.xml", *args)
        result.assert_outcomes(failed=2)
        junit = (pytester.path / "junit.xml").read_text(encoding="utf-8")
        outputs.append((_normalise(result.stdout.str()), _normalise(junit)))
    (redacted_out, redacted_xml), (reference_out, reference_xml) = outputs
    assert ENV_SECRETS["DB_PASSWORD"] not in redacted_out + redacted_xml
    assert redacted_out.splitlines() == reference_out.splitlines()
    assert redacted_xml == reference_xml


# -- the search before serialising a report ------------------------------------------------

PRECHECK_MODULE = """
import logging
import sys

import pytest


@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")


@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("teardown broke")


def test_assertion(record_property):
    record_property("prop", {"nested": ["value-in-property"]})
    print("out-line")
    print("err-line", file=sys.stderr)
    logging.getLogger("x").warning("log-line")
    local_value = "a-local"
    assert local_value == "b", "assertion-message"


def test_chained():
    try:
        raise KeyError("inner-cause")
    except KeyError as exc:
        raise ValueError("outer-error") from exc


def test_missing_fixture(no_such_fixture):
    pass


def test_setup_error(broken):
    pass


def test_teardown_error(bad_teardown):
    pass


def test_skipped():
    pytest.skip("skip-reason")


@pytest.mark.xfail(reason="xfail-reason")
def test_xfailed():
    assert False
"""


def _serialised_strings(data: object) -> set[str]:
    if isinstance(data, str):
        return {data}
    if isinstance(data, Mapping):
        return {str(k) for k in data} | {s for v in data.values() for s in _serialised_strings(v)}
    if isinstance(data, list | tuple):
        return {s for v in data for s in _serialised_strings(v)}
    return set()


def _pytest_names() -> set[str]:
    """What serialisation itself adds: the names of pytest's report attributes and of its
    exception representations' classes and fields, not anything a check put there."""
    import dataclasses

    from _pytest._code import code

    classes = [
        c for c in vars(code).values() if isinstance(c, type) and dataclasses.is_dataclass(c)
    ]
    names = {c.__name__ for c in classes}
    names |= {f.name for c in classes for f in dataclasses.fields(c)}
    return names | {"$report_type", "TestReport", "CollectReport", "type", "data", "chain"}


@pytest.mark.parametrize("tb", ["auto", "long", "short", "line", "native", "no"])
def test_report_strings_hold_every_serialised_string(pytester: pytest.Pytester, tb: str) -> None:
    """A report is only serialised for redaction when the redactor finds something in its
    strings: those must include every string the serialised report would carry."""
    from pytest_deployready._redact import _report_strings

    pytester.makepyfile(
        test_precheck=PRECHECK_MODULE, test_broken_import="raise RuntimeError('import-error')"
    )
    reprec = pytester.inline_run(
        "-p", "no:deployready", "-l", f"--tb={tb}", "--continue-on-collection-errors"
    )
    reports = reprec.getreports("pytest_runtest_logreport pytest_collectreport")
    config = reprec.getcall("pytest_sessionfinish").session.config
    failing = [r for r in reports if r.failed or r.skipped]
    assert len(failing) == 8  # 2 failed, 3 errors, a skip, an xfail and the broken import
    for report in reports:
        data = config.hook.pytest_report_to_serializable(config=config, report=report)
        structure = _pytest_names() | set(data)  # set(data): the report's attribute names
        missing = _serialised_strings(data) - structure - set(_report_strings(report))
        assert not missing, f"{report.nodeid} {report.when}: {sorted(missing)[:5]}"
