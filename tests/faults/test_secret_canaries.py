"""Secret canaries: every way a secret enters a run, grepped in every output, in every encoding.

A suite is planted with canary secrets in each way issue 10 found one leaking: a secret-named
environment variable, a URL whose password holds an unencoded ``@`` (PostgreSQL and Redis, the
real test servers), the userinfo of ``api_base_url`` (the client sends it as ``Authorization:
Basic``; a real HTTP server echoes it back), JSON bodies in evidence and assertion messages,
``key=value`` and YAML lines, ``Authorization``/``Cookie``/``Set-Cookie`` headers, a
configuration error that quotes an interpolated value, and the ``api_token_env = "${VAR}"``
mistake. Each run writes every output — terminal, ``--deploy-record``, ``--deploy-html``,
pytest-html ``--html`` and ``--junitxml`` — and each is searched for each canary in each
encoding the redactor claims to cover. A new output is one line in :data:`CHANNELS`, a new
encoding one line in :data:`ENCODINGS`, a new canary one line in :data:`CANARIES`.

The opposite error is tested too: the suite author's titles and section names are text, not
secrets, and are shown as written.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.servers.http import bound_socket, serve, stop
from tests.servers.postgres import PgServer
from tests.servers.redis import RedisServer

pytest_plugins = ["pytester"]

TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Canary:
    """A secret planted in the suite; ``basic_user`` when it travels as HTTP Basic credentials."""

    value: str
    basic_user: str | None = None


#: name -> canary. Values are unique, and none is a part of another.
CANARIES: dict[str, Canary] = {
    # values of secret-named environment variables, printed as they are (with characters that
    # every encoding changes)
    "env:SVC_AUTH": Canary("cnry-auth-Q1\"&<x>'"),
    "env:ORDERS_DB_PASS": Canary("cnry-dbpass-R2&amp"),
    # userinfo of api_base_url (variable with an ordinary name), sent as Authorization: Basic
    "userinfo": Canary("cnry-userinfo-77", basic_user="bot"),
    # PostgreSQL / Redis URLs whose password holds an unencoded "@"; the head and the tail
    "pg-at:head": Canary("cnry-pghead-55"),
    "pg-at:tail": Canary("cnry-pgtail-66"),
    "redis-at:head": Canary("cnry-rdhead-12"),
    "redis-at:tail": Canary("cnry-rdtail-34"),
    # values nobody registered: only the patterns protect these
    "json-body:evidence": Canary("cnry-json-ev&<33"),
    "json-dict:evidence": Canary("cnry-dict-44"),
    "json-body:message": Canary("cnry-json-msg-55"),
    "json-in-json:stdout": Canary("cnry-jij-65"),
    "nested:evidence": Canary("cnry-nested-64"),
    "yaml:stdout": Canary("cnry-yaml-66"),
    "kv:stdout": Canary("cnry-kv-77"),
    "basic:message": Canary("cnry-basic-88", basic_user="ops"),
    "bearer:message": Canary("cnry-bearer-99"),
    "cookie:message": Canary("cnry-cookie-11"),
    "set-cookie:message": Canary("cnry-setcookie-22"),
    "set-cookie:server": Canary("cnry-srvcookie-33"),
    "url-at:message": Canary("cnry-urltail-44"),
}

#: encoding name -> what the canary looks like in it (None: not applicable to this canary)
ENCODINGS: dict[str, Callable[[Canary], str | None]] = {
    "plain": lambda c: c.value,
    "repr": lambda c: repr(c.value)[1:-1],
    "json": lambda c: json.dumps(c.value)[1:-1],
    "json-in-json": lambda c: json.dumps(json.dumps(c.value)[1:-1])[1:-1],
    "html": lambda c: html.escape(c.value, quote=True),
    "html-noquote": lambda c: html.escape(c.value, quote=False),
    "percent": lambda c: quote(c.value, safe=""),
    "percent-plus": lambda c: quote_plus(c.value, safe=""),
    "basic-auth": lambda c: (
        base64.b64encode(f"{c.basic_user}:{c.value}".encode()).decode().rstrip("=")
        if c.basic_user is not None
        else None
    ),
}


def _file(name: str) -> Callable[[pytest.RunResult, Path], str | None]:
    def read(result: pytest.RunResult, directory: Path) -> str | None:
        path = directory / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    return read


#: output name -> its text after a run (None: not written)
CHANNELS: dict[str, Callable[[pytest.RunResult, Path], str | None]] = {
    "terminal": lambda result, _: "\n".join(result.outlines + result.errlines),
    "deploy-record": _file("rec.json"),
    "deploy-html": _file("rec.html"),
    "pytest-html": _file("report.html"),
    "junit": _file("junit.xml"),
}

OUTPUT_ARGS = (
    "--deploy-record=rec.json",
    "--deploy-html=rec.html",
    "--html=report.html",
    "--self-contained-html",
    "--junitxml=junit.xml",
    "-o",
    "junit_family=xunit1",  # xunit1 writes record_property values into the XML
    "-rA",
    "-p",
    "no:cacheprovider",
)


def leaks(result: pytest.RunResult, directory: Path, canaries: Mapping[str, Canary]) -> list[str]:
    """Every (channel, canary, encoding) found, with some context, the canary replaced."""
    found = []
    for channel, read in CHANNELS.items():
        raw = read(result, directory)
        if raw is None:
            continue
        for text in {raw, html.unescape(raw)}:
            for name, canary in canaries.items():
                for encoding, encode in ENCODINGS.items():
                    form = encode(canary)
                    if not form or (at := text.find(form)) < 0:
                        continue
                    context = text[max(0, at - 60) : at + len(form) + 30].replace(form, "<C>")
                    found.append(f"{channel}: {name} ({encoding}) in ...{context!r}...")
    return sorted(set(found))


def written(result: pytest.RunResult, directory: Path) -> set[str]:
    return {name for name, read in CHANNELS.items() if read(result, directory) is not None}


# -- a real HTTP server that echoes the request's headers and sets a cookie ------------------


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    async def echo(request: Request) -> Response:
        response = JSONResponse({"request_headers": dict(request.headers)})
        response.set_cookie("sid", CANARIES["set-cookie:server"].value, httponly=True)
        return response

    sock = bound_socket()
    running = serve(Starlette(routes=[Route("/echo", echo)]), sock)
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop(running)


# -- the planted suite -----------------------------------------------------------------------

CONFIG = """
[targets]
database_url = "postgresql://app:${PG_AT}@127.0.0.1:{pg_port}/app"
redis_url = "redis://:${REDIS_AT}@127.0.0.1:{redis_port}/0"
api_base_url = "http://bot:${ECHO_CRED}@{echo}"
"""

PLANTED = r"""
import base64
import json
import os

import pytest

pytestmark = pytest.mark.phase("pre")
C = {canaries!r}


def basic(name):
    user = {{"basic:message": "ops"}}[name]
    return base64.b64encode(f"{{user}}:{{C[name]}}".encode()).decode()


def test_env_values_printed():
    print("auth is", os.environ["SVC_AUTH"], "and", os.environ["ORDERS_DB_PASS"])
    assert False, f"env {{os.environ['SVC_AUTH']}} {{os.environ['ORDERS_DB_PASS']}}"


def test_database_url_with_at_in_password(db):
    db.server_version()


def test_redis_url_with_at_in_password(redis):
    redis.ping_ms()


def test_url_with_at_in_password_in_message():
    assert False, "could not use postgresql://app:pw1@" + C["url-at:message"] + "@db.internal/app"


def test_api_userinfo_echoed(api, evidence):
    response = api.get("/echo")
    evidence.add("echo", response.text)
    evidence.add("response_headers", dict(response.headers))
    evidence.add("echo_json", response.json())
    assert False, f"echo: {{response.text}} headers: {{dict(response.headers)}}"


def test_json_bodies(evidence):
    evidence.add("login_body", '{{"user": "bob", "password": "' + C["json-body:evidence"] + '"}}')
    evidence.add("login", {{"user": "bob", "password": C["json-dict:evidence"]}})
    body = '{{"client_id": "web", "client_secret": "' + C["json-body:message"] + '"}}'
    assert False, f"token endpoint refused {{body}}"


def test_yaml_and_key_value_lines(evidence):
    evidence.add("rotation", {{"password": {{"old": C["nested:evidence"], "new": None}}}})
    inner = json.dumps({{"event": "login", "password": C["json-in-json:stdout"]}})
    print(json.dumps({{"log": inner}}))
    print("db_password: " + C["yaml:stdout"])
    print("api_key=" + C["kv:stdout"])
    assert False


def test_headers_in_message(record_property):
    record_property("authorization", "Bearer " + C["bearer:message"])
    raise AssertionError(
        "request failed:\n"
        f"Authorization: Basic {{basic('basic:message')}}\n"
        f"Authorization: Bearer {{C['bearer:message']}}\n"
        f"Cookie: session={{C['cookie:message']}}; theme=dark\n"
        f"Set-Cookie: sid={{C['set-cookie:message']}}; Path=/; HttpOnly"
    )
"""

ENV = {
    "SVC_AUTH": CANARIES["env:SVC_AUTH"].value,
    "ORDERS_DB_PASS": CANARIES["env:ORDERS_DB_PASS"].value,
    "ECHO_CRED": CANARIES["userinfo"].value,
    "PG_AT": CANARIES["pg-at:head"].value + "@" + CANARIES["pg-at:tail"].value,
    "REDIS_AT": CANARIES["redis-at:head"].value + "@" + CANARIES["redis-at:tail"].value,
}
#: what the planted module may hold (not the canaries only environment variables carry)
UNREGISTERED = {
    name: c.value
    for name, c in CANARIES.items()
    if not name.startswith(("env:", "userinfo", "pg-at:", "redis-at:"))
}


@pytest.fixture
def planted(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    pg_server: PgServer,
    redis_server: RedisServer,
    echo_url: str,
) -> Path:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    pytester.makefile(
        ".toml",
        deployready=CONFIG.replace("{pg_port}", str(pg_server.port))
        .replace("{redis_port}", str(redis_server.port))
        .replace("{echo}", echo_url),
    )
    pytester.makepyfile(test_planted=PLANTED.format(canaries=UNREGISTERED))
    return pytester.path


@pytest.mark.parametrize(
    "extra",
    [pytest.param((), id="serial"), pytest.param(("-n", "2", "-l", "--tb=long"), id="xdist-long")],
)
def test_no_canary_in_any_output(
    pytester: pytest.Pytester, planted: Path, extra: tuple[str, ...]
) -> None:
    result = pytester.runpytest_subprocess(*OUTPUT_ARGS, *extra, timeout=TIMEOUT_S)
    found = leaks(result, planted, CANARIES)
    assert not found, "canaries leaked:\n" + "\n".join(found)

    # Not vacuous: every output was written and the checks ran and failed as planted.
    assert written(result, planted) == set(CHANNELS)
    result.assert_outcomes(failed=6, errors=2)
    record = json.loads((planted / "rec.json").read_text(encoding="utf-8"))
    checks = {c["id"].rsplit("::", 1)[-1]: c for c in record["checks"]}
    echo = checks["test_api_userinfo_echoed"]["evidence"]
    assert echo["echo_json"]["request_headers"]["authorization"] == "Basic ***"
    assert "***" in echo["response_headers"]["set-cookie"]
    assert checks["test_json_bodies"]["evidence"]["login"] == {"user": "bob", "password": "***"}
    assert '"password": "***"' in checks["test_json_bodies"]["evidence"]["login_body"]
    at = checks["test_database_url_with_at_in_password"]
    assert at["outcome"] == "error" and "PostgreSQL" in at["message"]
    terminal = "\n".join(result.outlines)
    assert "postgresql://app:***@db.internal/app" in terminal
    assert "Cookie: ***" in terminal and "Authorization: Basic ***" in terminal


# -- configuration errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "env", "key"),
    [
        pytest.param(
            '[thresholds]\napi_p95_ms = "${DB_PASSWORD}"\n',
            {"DB_PASSWORD": "cnry-rule-pw-<41>"},
            "thresholds.api_p95_ms",
            id="rule-from-secret-variable",
        ),
        pytest.param(
            '[thresholds]\napi_p95_ms = "< ${SVC_AUTH}"\n',
            {"SVC_AUTH": "cnry-rule-auth-42"},
            "thresholds.api_p95_ms",
            id="rule-tail-from-secret-variable",
        ),
        pytest.param(
            '[thresholds]\napi_p95_ms = "${DSN}"\n',
            {"DSN": "postgresql://u:cnry-dsn-43@h/db"},
            "thresholds.api_p95_ms",
            id="url-password-in-rule",
        ),
        pytest.param(
            '[targets]\napi_base_url = "http://127.0.0.1:9"\napi_token_env = "${SVC_AUTH}"\n',
            {"SVC_AUTH": "cnry.token-env/44"},
            "targets.api_token_env",
            id="token-env-mistake",
        ),
        pytest.param(
            '[targets]\napi_base_url = "http://127.0.0.1:9"\napi_token_env = "${SVC_AUTH}"\n',
            {"SVC_AUTH": "cnryTokenEnvIdentifier45"},
            "targets.api_token_env",
            id="token-env-mistake-identifier-token",
        ),
        pytest.param(
            '[[targets.apis]]\nname = "eu"\nbase_url = "http://127.0.0.1:9"\n'
            'token_env = "${EU_CRED}"\n',
            {"EU_CRED": "cnry-eu-token-46"},
            "targets.apis[0].token_env",
            id="apis-token-env-mistake",
        ),
        pytest.param(
            '[targets]\napi_base_url = "http://127.0.0.1:9"\napi_token_env = "cnryPastedToken47"\n',
            {"OPS_TOKEN_COPY": "cnryPastedToken47"},
            "targets.api_token_env",
            id="token-pasted-into-token-env",
        ),
    ],
)
def test_config_errors_never_show_the_value(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    env: dict[str, str],
    key: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pytester.makefile(".toml", deployready=config)
    pytester.makepyfile('import pytest\n\n@pytest.mark.phase("pre")\ndef test_x(api):\n    pass\n')
    result = pytester.runpytest_subprocess(*OUTPUT_ARGS, timeout=TIMEOUT_S)
    # the value, or for a URL its password
    canaries = {name: Canary(re.sub(r"^.*://[^:]*:(.*)@.*$", r"\1", v)) for name, v in env.items()}
    found = leaks(result, pytester.path, canaries)
    assert not found, "canaries leaked:\n" + "\n".join(found)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if "deployready config error" in line]
    assert len(errors) == 1 and key in errors[0], result.errlines
    assert "Traceback" not in "\n".join(result.errlines)


def test_a_valid_token_env_is_accepted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a false alarm: a variable's name, written or built with ${...}, is what is asked for."""
    monkeypatch.setenv("SVC_TOKEN", "cnry-fine-48")
    monkeypatch.setenv("TOKEN_VARIABLE", "SVC_TOKEN")
    pytester.makefile(
        ".toml",
        deployready='[[targets.apis]]\nname = "a"\nbase_url = "http://127.0.0.1:9"\n'
        'token_env = "SVC_TOKEN"\n[[targets.apis]]\nname = "b"\n'
        'base_url = "http://127.0.0.1:9"\ntoken_env = "${TOKEN_VARIABLE}"\n',
    )
    pytester.makepyfile('import pytest\n\n@pytest.mark.phase("pre")\ndef test_x():\n    pass\n')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=TIMEOUT_S)
    result.assert_outcomes(passed=1)


# -- the author's text is not a secret ----------------------------------------------------------

TITLES = {
    "test_bearer": "refuses requests without a bearer token",
    "test_password_key": 'rejects a login whose "password": "" is empty',
    "test_authorization": "Authorization: Bearer header is required on /admin",
    "test_api_key": "rotates api_key=monthly and secret: yearly",
    "test_cookie": "Set-Cookie: sid is HttpOnly",
}
SECTION = "Auth: token=rotation and password: policy"


@pytest.fixture
def authored(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RELEASE_SECRET", "cnry-in-title-49")
    body = ["import pytest", "", 'pytestmark = [pytest.mark.phase("pre")]', ""]
    for name, title in TITLES.items():
        body += [
            f"@pytest.mark.section({SECTION!r})",
            f"def {name}():",
            f"    {title!r}",
            "    assert False, 'failed'",
            "",
            "",
        ]
    body += [
        "def test_known_secret_in_title():",
        "    'uses cnry-in-title-49 as its key'",
        "",
    ]
    pytester.makepyfile(test_authored="\n".join(body))
    pytester.makefile(".toml", deployready="")
    return pytester.path


@pytest.mark.parametrize(
    "extra", [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")]
)
def test_titles_and_sections_are_shown_as_written(
    pytester: pytest.Pytester, authored: Path, extra: tuple[str, ...]
) -> None:
    result = pytester.runpytest_subprocess(*OUTPUT_ARGS, *extra, timeout=TIMEOUT_S)
    result.assert_outcomes(failed=len(TITLES), passed=1)
    record = json.loads((authored / "rec.json").read_text(encoding="utf-8"))
    checks = {c["id"].rsplit("::", 1)[-1]: c for c in record["checks"]}
    deploy_html = (authored / "rec.html").read_text(encoding="utf-8")
    pytest_html = html.unescape((authored / "report.html").read_text(encoding="utf-8"))
    for name, title in TITLES.items():
        assert checks[name]["title"] == title
        assert checks[name]["section"] == SECTION
        assert html.escape(title) in deploy_html
    assert html.escape(SECTION) in deploy_html
    assert SECTION in pytest_html
    terminal = "\n".join(result.outlines)
    junit = (authored / "junit.xml").read_text(encoding="utf-8")
    for name in TITLES:
        assert f"test_authored.py::{name}" in terminal
        assert f'name="{name}"' in junit
    # exact known secret values are still masked everywhere, titles included
    assert checks["test_known_secret_in_title"]["title"] == "uses *** as its key"
    found = leaks(result, authored, {"RELEASE_SECRET": Canary("cnry-in-title-49")})
    assert not found, "\n".join(found)
    assert re.search(r"without a bearer token", deploy_html)
