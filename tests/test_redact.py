"""Unit tests of ``pytest_deployready._redact``: what is masked, what is kept."""

from __future__ import annotations

import json

import pytest

from pytest_deployready._redact import (
    MASK,
    Redactor,
    is_secret_key,
    is_secret_name,
    safe_url,
    url_host,
)

# -- URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://app:hunter22@db:5432/app", "postgresql://app:***@db:5432/app"),
        ("redis://:s3cr3tpw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("mysql+pymysql://root:rootpw@h/db", "mysql+pymysql://root:***@h/db"),
        ("ftp://u:p@h", "ftp://u:***@h"),
        (
            "cannot connect to https://admin:pa55word@127.0.0.1:9/x: refused",
            "cannot connect to https://admin:***@127.0.0.1:9/x: refused",
        ),
        (
            "primary postgresql://a:one1@h1/db, replica postgresql://b:two2@h2/db",
            "primary postgresql://a:***@h1/db, replica postgresql://b:***@h2/db",
        ),
    ],
)
def test_url_password_is_masked_user_and_host_kept(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:8080/health",
        "https://user@host/x",
        "postgresql://db.internal:5432/app",
        "time 12:30:45, ratio 3:1",
        "tokens=5 and the password is required",
    ],
)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert Redactor().redact(text) == text


# -- headers and key=value pairs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"),
        ("{'Authorization': 'Bearer zzz123'}", "{'Authorization': 'Bearer ***'}"),
        ('{"authorization": "Token qwe123"}', '{"authorization": "Token ***"}'),
        ("authorization=Basic dXNlcjpwYXNz", "authorization=Basic ***"),
        ("Proxy-Authorization: Digest abcdef", "Proxy-Authorization: Digest ***"),
        ("sent bearer eyJhbGciOi.payload.sig to the API", "sent bearer *** to the API"),
        ("GET /orders?access_token=AAA111&page=2", "GET /orders?access_token=***&page=2"),
        ('{"password": "hunter2x"}', '{"password": "***"}'),
        ("api_key: k-99999", "api_key: ***"),
        ("apikey=k-99999;secret=s-123", "apikey=***;secret=***"),
    ],
)
def test_header_and_key_values_are_masked(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


# -- environment variables -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "PGPASSWORD",
        "MYSQL_PASSWD",
        "API_TOKEN",
        "SERVICE_SECRET",
        "STRIPE_KEY",
        "KEY",
        "GPG_PRIVATE",
        "AWS_CREDENTIALS",
        "jwt_secret",
    ],
)
def test_secret_looking_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["PATH", "HOME", "KEYBOARD", "MONKEY", "PYTEST_ADDOPTS", "SSH_AUTH_SOCK", "USER"]
)
def test_ordinary_names_are_not_secret(name: str) -> None:
    assert not is_secret_name(name)


def test_values_of_secret_variables_are_masked_anywhere() -> None:
    r = Redactor.from_environ(
        {
            "DB_PASSWORD": "hunter22",
            "STRIPE_KEY": "sk_live_1234",
            "HOME": "/home/release",
            "DEPLOY_USER": "release-bot",
        }
    )
    assert r.secrets == {"hunter22", "sk_live_1234"}
    text = "pw=hunter22 in /home/release by release-bot, key sk_live_1234."
    assert r.redact(text) == "pw=*** in /home/release by release-bot, key ***."


def test_from_environ_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZZ_REDACT_TEST_TOKEN", "tok-from-process-env")
    assert Redactor.from_environ().redact("x tok-from-process-env y") == "x *** y"


# -- registered values ---------------------------------------------------------------------


def test_short_values_are_not_treated_as_secrets() -> None:
    r = Redactor(["ab", "abc", ""])
    assert r.secrets == frozenset()
    assert r.redact("ab abc") == "ab abc"


def test_a_secret_containing_another_is_masked_whole() -> None:
    r = Redactor(["abcd", "abcdefgh"])
    assert r.redact("x abcdefgh y abcd z") == "x *** y *** z"


def test_regex_metacharacters_in_a_secret_are_literal() -> None:
    r = Redactor(["a.b*c(d)"])
    assert r.redact("xa.b*c(d)y aXbbc(d)") == "x***y aXbbc(d)"


def test_add_ignores_none_and_duplicates() -> None:
    r = Redactor()
    r.add(None)
    r.add("s3cr3t-value")
    r.add("s3cr3t-value")
    assert r.secrets == {"s3cr3t-value"}


def test_add_url_registers_the_password_only() -> None:
    r = Redactor()
    r.add_url("postgresql://deployer:pw-9f8e7d@127.0.0.1:5432/app")
    r.add_url(None)
    r.add_url("")
    r.add_url("http://127.0.0.1:8080")
    r.add_url("http://[::1")  # invalid: ignored, no exception
    # the password, and the Authorization: Basic value a client sends for the URL's userinfo
    assert r.secrets == {"pw-9f8e7d", "ZGVwbG95ZXI6cHctOWY4ZTdk"}
    assert r.redact("user deployer, password pw-9f8e7d") == "user deployer, password ***"


def test_add_url_also_masks_the_decoded_password() -> None:
    """A password with reserved characters is percent-encoded in the URL; both forms are secret."""
    r = Redactor()
    r.add_url("postgresql://app:p%40ss%2Fw0rd@127.0.0.1:5432/app")
    assert "p@ss/w0rd" not in r.redact("libpq: password p@ss/w0rd rejected")
    assert "p%40ss%2Fw0rd" not in r.redact("dsn p%40ss%2Fw0rd")


def test_escaped_forms_of_a_secret_are_masked() -> None:
    """Tracebacks show repr() and the record shows JSON: a secret with a backslash or a quote
    must not survive in its escaped form."""
    secret = 'sv\\c"se<&>t'
    r = Redactor([secret])
    escaped = {repr(secret)[1:-1], json.dumps(secret)[1:-1]}
    for text in (f"assert {secret!r} == 'x'", json.dumps({"value": secret})):
        redacted = r.redact(text)
        leaked = [form for form in escaped if form in redacted]
        assert not leaked, f"escaped secret survives in {redacted!r}"


# -- redact: general properties ------------------------------------------------------------


def test_empty_text_is_returned_as_is() -> None:
    assert Redactor(["abcd"]).redact("") == ""


def test_redaction_is_idempotent() -> None:
    r = Redactor(["hunter22"])
    text = (
        "postgresql://app:hunter22@db/app Authorization: Bearer tok123 "
        "token=abc hunter22 {'password': 'x1y2'}"
    )
    once = r.redact(text)
    assert "hunter22" not in once
    assert r.redact(once) == once


def test_mask_is_three_stars() -> None:
    assert MASK == "***"


def test_redact_data_walks_keys_lists_and_tuples() -> None:
    r = Redactor(["abcd"])
    data = {"abcd": ["abcd", ("q", "abcd"), 1, None, 2.5, True], "n": {"k": "x abcd"}}
    assert r.redact_data(data) == {
        "***": ["***", ("q", "***"), 1, None, 2.5, True],
        "n": {"k": "x ***"},
    }
    assert r.redact_data("abcd") == "***"
    assert r.redact_data(42) == 42


# -- may_redact: the search that decides whether to redact at all ---------------------------

_ODD_SECRETS = [
    "hunter22",
    "Ma\u017f\u017f-1234",
    "Kelvin\u212a-9",
    "\u0130dent-77",
    "caf\u00e9-pw77",
]


@pytest.mark.parametrize(
    "text",
    [
        "HUNTER22 in upper case",
        "MASS-1234",
        "kelvink-9",
        "IDENT-77 and idENT-77",
        "cafe-pw77",
        "caf\u00e9-pw77",
        "ma\u017f\u017f-1234 in text that is not ASCII",
        "nothing here at all",
        "a URL: https://host/x",
        "Authorization header",
        "the API-KEY is",
        "Private_Key and SIGNINGKEY",
        "session-id=1",
        "keywords and sessions hold no secret word",
        "monkey business",
        "",
    ],
)
def test_may_redact_agrees_with_a_case_insensitive_search(text: str) -> None:
    """ASCII text takes a faster path: it finds exactly what the case-insensitive search of
    every secret and secret pattern finds, non-ASCII letters that match ASCII ones included."""
    import re

    from pytest_deployready._redact import _QUICK

    r = Redactor(_ODD_SECRETS)
    reference = re.compile("|".join([*map(re.escape, r.secrets), _QUICK]), re.IGNORECASE)
    assert r.may_redact(text) is (reference.search(text) is not None)


def test_may_redact_is_false_only_when_redact_changes_nothing() -> None:
    r = Redactor(_ODD_SECRETS)
    parts = ["plain words", "postgresql://u:pw99@h/db", "x hunter22 y", "token=abc123"]
    for part in parts:
        assert r.may_redact(part) is (r.redact(part) != part)
    assert r.may_redact("\n".join(parts))
    assert not r.may_redact("\n".join(p for p in parts if r.redact(p) == p))


# -- safe_url and url_host -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://app:pw@db:5432/app", "postgresql://db:5432/app"),
        ("https://u:p@h", "https://h"),
        ("http://[::1]:8080/x?q=1#frag", "http://[::1]:8080/x"),
        ("https://api.example.com/v1?token=abc", "https://api.example.com/v1"),
        ("redis://:pw@127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("not a url", "not a url"),
    ],
)
def test_safe_url(url: str, expected: str) -> None:
    assert safe_url(url) == expected


@pytest.mark.parametrize(
    ("url", "default_port", "expected"),
    [
        ("postgresql://app:pw@db/app", 5432, "db:5432"),
        ("postgresql://app:pw@db:6543/app", 5432, "db:6543"),
        ("redis://:pw@127.0.0.1:6379/0", None, "127.0.0.1:6379"),
        ("http://api.internal/health", None, "api.internal"),
        ("http://h:99999", None, "<invalid url>"),
        ("nohost", None, "localhost"),
    ],
)
def test_url_host(url: str, default_port: int | None, expected: str) -> None:
    assert url_host(url, default_port) == expected


def test_url_host_brackets_ipv6_like_safe_url() -> None:
    """``::1:8080`` is ambiguous; ``safe_url`` already writes ``[::1]:8080``."""
    assert url_host("http://[::1]:8080/health") == "[::1]:8080"


def test_where_strings_never_contain_credentials() -> None:
    url = "postgresql://deployer:pw-5e6f7a@db.internal:5432/app"
    for shown in (safe_url(url), url_host(url, 5432)):
        assert "pw-5e6f7a" not in shown
        assert "deployer" not in shown
        assert "db.internal:5432" in shown


# -- structured secrets: secret-named keys in every notation --------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"user": "bob", "password": "hunter2x"}', '{"user": "bob", "password": "***"}'),
        ('{"db_password":"p w&<1"}', '{"db_password":"***"}'),
        (
            "{'client_secret': 'cs-1234', 'token_type': 'Bearer'}",
            "{'client_secret': '***', 'token_type': 'Bearer'}",
        ),
        ("refresh_token=rt-1234&scope=read", "refresh_token=***&scope=read"),
        ("X-Api-Key: k-99999", "X-Api-Key: ***"),
        ("x-auth-token: at-12345", "x-auth-token: ***"),
        ("apiKey: 'k-9999'", "apiKey: '***'"),
        ("db_password: correct horse battery", "db_password: ***"),
        ("PGPASSWORD=pg-12345 psql", "PGPASSWORD=***"),  # rather too much than too little
        ("session_id=s-123456", "session_id=***"),
        ('"authorization": "Basic dXNlcjpwYXNz"', '"authorization": "Basic ***"'),
        ("Cookie: session=abc123; theme=dark", "Cookie: ***"),
        ("set-cookie: sid=abc123; Path=/; HttpOnly", "set-cookie: ***"),
        ("{'cookie': 'a=b; c=d'}", "{'cookie': '***'}"),
        ("sent Basic b3BzOnB3LTEyMzQ= upstream", "sent Basic *** upstream"),
    ],
)
def test_secret_named_keys_and_headers_are_masked(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "refuses requests without a bearer token",
        "a Bearer token is required",
        "basic authentication is disabled",  # "authentication" is not base64 of user:password
        "max_tokens: 500, tokens=5, token_type=Bearer",
        "assert token == expected",
        "password_hash: $2b$12$abc is stored",
        "oauth: enabled",
        "the cookie jar is empty",
    ],
)
def test_prose_and_code_are_not_masked(text: str) -> None:
    assert Redactor().redact(text) == text


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("X-Api-Key", True),
        ("client_secret", True),
        ("Authorization", True),
        ("Set-Cookie", True),
        ("x-auth-token", True),
        ("session_id", True),
        ("token_type", False),
        ("max_tokens", False),
        ("oauth", False),
        ("E   assert token", False),
        ("monkey", False),
    ],
)
def test_is_secret_key(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_redact_data_masks_values_of_secret_named_keys_and_pairs() -> None:
    r = Redactor()
    data = {
        "login": {"user": "bob", "password": "p1-anything"},
        "headers": {"Authorization": "Bearer abcdef", "Cookie": "a=b", "Accept": "*/*"},
        "user_properties": [["token", "t-123456"], ["build", "42"]],
        "keywords": {"test_token": 1},
        "empty": {"password": ""},
    }
    assert r.redact_data(data) == {
        "login": {"user": "bob", "password": "***"},
        "headers": {"Authorization": "Bearer ***", "Cookie": "***", "Accept": "*/*"},
        "user_properties": [["token", "***"], ["build", "42"]],
        "keywords": {"test_token": 1},
        "empty": {"password": ""},
    }
    # the author's text: known values only
    r.add("known-secret")
    title = "without a bearer token, not known-secret"
    assert r.redact_data(title, patterns=False) == "without a bearer token, not ***"


# -- URLs whose password holds an unencoded "@" ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://app:p@ss@db.internal/app", "postgresql://app:***@db.internal/app"),
        ("redis://:a@b@c@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("http://u:pw1@h:80/x?mail=a@b.c", "http://u:***@h:80/x?mail=a@b.c"),
        ("smtp://me@corp.example:pw12@mail/", "smtp://me@corp.example:***@mail/"),
    ],
)
def test_url_password_is_masked_up_to_the_last_at(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_add_url_knows_the_password_as_parsed_its_pieces_and_its_basic_form() -> None:
    import base64

    r = Redactor()
    r.add_url("postgresql://app:head-pw@tail-pw@db.internal/app")
    # libpq splits at the first "@" and reports the rest as the host name
    assert r.redact('could not resolve host "tail-pw@db.internal"') == (
        'could not resolve host "***@db.internal"'
    )
    assert r.redact("password head-pw@tail-pw") == "password ***"
    basic = base64.b64encode(b"app:head-pw@tail-pw").decode()
    assert r.redact(f"sent {basic}") == "sent ***"
    assert r.redact(f"sent {basic.rstrip('=')}") == "sent ***"


def test_add_url_decodes_percent_encoded_credentials() -> None:
    import base64

    r = Redactor()
    r.add_url("http://bot%40ci:p%40ss-word@127.0.0.1:9")
    for shown in ("p@ss-word", "p%40ss-word", base64.b64encode(b"bot@ci:p@ss-word").decode()):
        assert r.redact(f"x {shown} y") == "x *** y", shown


def test_known_values_are_masked_percent_encoded() -> None:
    r = Redactor(["pw/with space&more"])
    assert r.redact("q=pw%2Fwith%20space%26more") == "q=***"
    assert r.redact("q=pw%2Fwith+space%26more") == "q=***"


def test_new_secret_names() -> None:
    for name in ("SVC_AUTH", "BASIC_AUTH", "SESSION_COOKIE", "ORDERS_DB_PASS", "REDIS_PW"):
        assert is_secret_name(name), name
    for name in ("SSH_AUTH_SOCK", "AUTHOR", "PASSENGER_COUNT", "COMPASS"):
        assert not is_secret_name(name), name


def test_json_inside_a_json_string_is_masked() -> None:
    inner = json.dumps({"user": "bob", "password": "in-json-123"})
    for text in (json.dumps({"body": inner}), json.dumps({"log": json.dumps({"body": inner})})):
        clean = Redactor().redact(text)
        assert "in-json-123" not in clean
        assert json.loads(clean)  # still JSON
        assert "bob" in clean


def test_everything_under_a_secret_named_key_is_masked() -> None:
    data = {"password": {"old": "o-1234", "new": ["n-1234"]}, "count": {"token": None}}
    assert Redactor().redact_data(data) == {
        "password": {"old": "***", "new": ["***"]},
        "count": {"token": None},
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "<login><user>bob</user><password>x-123</password></login>",
            "<login><user>bob</user><password>***</password></login>",
        ),
        ('<ns:ApiKey type="a">k-1234</ns:ApiKey>', '<ns:ApiKey type="a">***</ns:ApiKey>'),
        ("curl -H x --api-key k-123 https://h", "curl -H x --api-key *** https://h"),
        ("vault login --token s.abcdef", "vault login --token ***"),
        ("cmd --no-password --token-file /run/t", "cmd --no-password --token-file /run/t"),
    ],
)
def test_xml_elements_and_command_line_flags(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_settings_in_secret_named_variables_are_not_secrets() -> None:
    r = Redactor.from_environ(
        {"TOKEN_TTL": "360000", "REQUIRE_AUTH": "true", "SKIP_SECRET": "False", "API_TOKEN": "t-9x"}
    )
    assert (
        r.redact("ttl 360000, auth true, skip False, t-9x")
        == "ttl 360000, auth true, skip False, ***"
    )
