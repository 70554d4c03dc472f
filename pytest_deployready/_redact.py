"""One redactor for every output path: terminal, HTML, JSON record and JUnit XML.

What is hidden (docs/secrets.md has the full list, with examples):

* known values: those of environment variables whose names look secret (``*PASSWORD*``,
  ``*SECRET*``, ``*TOKEN*``, ``*_KEY``, ``*AUTH``, ``*COOKIE*``, ...), target credentials and
  anything registered with :meth:`Redactor.add`, in every form they are printed in (as is,
  repr- and JSON-escaped, HTML-escaped, %-encoded; a URL's credentials also as the
  ``Authorization: Basic`` value an HTTP client sends for them);
* patterns, for values it was never told about: the password of any
  ``scheme://user:password@host`` URL (up to the last ``@`` before the host),
  ``Authorization``/``Cookie``/``Set-Cookie`` header values, ``Bearer``/``Basic`` credentials,
  and the value of any secret-named key (``password``, ``db_password``, ``token``,
  ``client_secret``, ``api_key``, ``authorization``, ``cookie``, ...) written as JSON,
  a Python dict, ``key=value`` or YAML ``key: value``;
* in data (:meth:`Redactor.redact_data`), the string value of any secret-named key.

Known values are masked everywhere; patterns only where text can hold output (not in the
suite author's titles and section names: ``redact(text, patterns=False)``).

Example::

    r = Redactor.from_environ({"DB_PASSWORD": "hunter22"})
    r.redact("postgresql://app:hunter22@db:5432/app")  # 'postgresql://app:***@db:5432/app'
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import os
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, quote_plus, unquote, urlsplit

if TYPE_CHECKING:
    import pytest

__all__ = [
    "MASK",
    "Redactor",
    "is_secret_key",
    "is_secret_name",
    "redact_file",
    "redact_record",
    "redact_report",
    "safe_url",
    "url_host",
]

MASK = "***"

_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN(?!IZER)|_KEY$|^KEY$|APIKEY|CREDENTIAL|PRIVATE"
    r"|COOKIE$|AUTH$|_PASS$|^PASS$|_PW$",
    re.I,
)
# scheme://user:password@host -> keep user, hide password: everything up to the last "@" of the
# authority, so a password with an unencoded "@" ("p@ss") is masked whole. The scheme starts
# where a word does and is short, so a long run of letters is not rescanned from every position.
_URL_PASSWORD = re.compile(
    r"(?P<pre>(?<![a-zA-Z0-9+.\-])[a-zA-Z][a-zA-Z0-9+.\-]{0,63}://[^\s:/\"'<>`]*:)"
    r"(?P<val>[^\s/?#\"'<>`]+)(?=@)"
)
# The words that make a key secret when a key ends with one of them (db_password, x-auth-token,
# client_secret, "apiKey"), written as a regular expression over lower-case text.
_SECRET_KEY_WORDS = (
    r"passw(?:or)?d|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|signing[_-]?key|credentials?|authorization|cookie|session[_-]?id"
    r"|(?<![a-z0-9])(?:pwd|auth)"
)
# A secret-named key, optionally quoted, then ":" or "=", then its value: "quoted", 'quoted' or
# bare, up to the end of the line or a quote or one of ,;&}]) (a YAML passphrase has spaces).
# Not "==": ``assert token == x`` is code, not a value.
_KEY_VALUE = re.compile(
    r"(?=[acpst])(?P<key>(?:" + _SECRET_KEY_WORDS + r"))(?![\w-])"
    r"(?P<sep>(?:\\*['\"])?[ \t]*[:=](?!=)[ \t]*)"
    r"(?:(?P<esc>\\+)[\"'](?P<escaped>[^\"'\\\n]*)(?P=esc)[\"']"  # JSON inside a JSON string
    r"|\"(?P<dq>(?:[^\"\\\n]|\\.)*)\"|'(?P<sq>(?:[^'\\\n]|\\.)*)'"
    r"|(?P<bare>(?:(?:basic|bearer|token|digest|negotiate|ntlm)[ \t]+)?"
    r"[^\s'\",;&}\])]+(?:[ \t]+[^\s'\",;&}\])]+)*))",
    re.I,
)
# <password>x</password> in XML bodies, and --password x / --api-key x on command lines.
_XML_ELEMENT = re.compile(
    r"(?P<pre><(?P<tag>[\w:.\-]*?(?:"
    + _SECRET_KEY_WORDS
    + r"))(?:\s[^>]*)?>)(?P<val>[^<]+)(?=</(?P=tag)>)",
    re.I,
)
_CLI_FLAG = re.compile(
    r"(?P<pre>(?<![\w-])--?[\w-]*?(?:" + _SECRET_KEY_WORDS + r")[ \t]+)(?P<val>[^\s'\"-][^\s'\"]*)",
    re.I,
)
# Cookie and Set-Cookie header lines: every cookie of the line, up to its end or a quote.
_COOKIE_HEADER = re.compile(r"(?P<pre>\b(?:set-)?cookie[ \t]*:[ \t]*)(?P<val>[^\n'\"]+)", re.I)
# The auth scheme an Authorization value starts with: kept, it is not the secret.
_SCHEME = re.compile(r"(?:basic|bearer|token|digest|negotiate|ntlm|apikey)\s+", re.I)
_BEARER = re.compile(r"(?P<pre>\bbearer\s+)(?P<val>[A-Za-z0-9\-._~+/]+=*)", re.I)
# Words that follow "bearer" in prose ("without a bearer token"): not credentials.
_BEARER_PROSE = frozenset(
    {"token", "tokens", "auth", "authentication", "authorization", "header", "headers", "scheme"}
)
_BASIC = re.compile(r"(?P<pre>\bbasic\s+)(?P<val>[A-Za-z0-9+/]{4,}={0,2})", re.I)
# Text without any of these can't match the patterns above. Lower-cased ASCII text is tested
# for them as plain substrings (``str.__contains__`` scans megabytes several times faster than
# a regex alternation does), _QUICK_KEYS only in text that holds "key" or "session" (every
# report has a "keywords" field); other text with the case-insensitive _QUICK.
_QUICK_WORDS = (
    "://", "auth", "bearer", "basic", "token", "secret", "passw", "passphrase", "pwd",
    "cookie", "credential",
)  # fmt: skip
_QUICK_KEYS = tuple(
    f"{word}{sep}{end}"
    for word, end in (("api", "key"), ("access", "key"), ("private", "key"), ("signing", "key"),
                      ("session", "id"))
    for sep in ("", "_", "-")
)  # fmt: skip
_QUICK = "|".join(re.escape(word) for word in (*_QUICK_WORDS, *_QUICK_KEYS))
# Values of secret-named variables that are settings, not secrets (TOKEN_TTL=3600,
# REQUIRE_AUTH=true): masking them would mask every "3600" and "true" in the output.
_SETTING_WORDS = frozenset({"true", "false", "yes", "no", "none", "null", "on", "off"})
# Values shorter than this are not treated as secrets (too many false positives).
_MIN_SECRET_LEN = 4


def is_secret_name(name: str) -> bool:
    """True when an environment variable's name looks like it holds a secret."""
    return bool(_SECRET_NAME.search(name))


# A key is a name: "X-Api-Key", "db_password" (not a line of text that ends in "token").
_SECRET_KEY = re.compile(r"^[\w.\-]*(?:" + _SECRET_KEY_WORDS + r")$", re.I)


def is_secret_key(key: str) -> bool:
    """True when a data key names a secret: ``password``, ``db_password``, ``X-Api-Key``.

    Example::

        is_secret_key("client_secret"), is_secret_key("token_type")  # (True, False)
    """
    return bool(_SECRET_KEY.match(key))


def safe_url(url: str) -> str:
    """The URL with its password (and user) removed: ``scheme://host:port/path``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.scheme or not parts.netloc:
        return _URL_PASSWORD.sub(lambda m: m.group("pre") + MASK, url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return f"{parts.scheme}://{netloc}{parts.path}"


def url_host(url: str, default_port: int | None = None) -> str:
    """``host:port`` of a URL, for messages such as ``cannot reach Redis at host:port``."""
    try:
        parts = urlsplit(url)
        port = parts.port or default_port
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or "localhost"
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


class Redactor:
    """Replaces secrets in text and in JSON-like data with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._quick: re.Pattern[str] | None = None
        self._quick_ascii: tuple[str, ...] | None = None
        for s in secrets:
            self.add(s)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Redactor:
        """A redactor that knows the values of every secret-looking environment variable."""
        env = os.environ if environ is None else environ
        return cls(
            value
            for name, value in env.items()
            if is_secret_name(name) and value.lower() not in _SETTING_WORDS and not value.isdigit()
        )

    def add(self, secret: str | None) -> None:
        """Register a literal value that must never be shown."""
        if secret is None:
            return
        secret = str(secret)
        if len(secret) < _MIN_SECRET_LEN or secret in self._secrets:
            return
        # Also the forms a secret takes when printed inside a repr() or a JSON string, in XML
        # or HTML, or %-encoded in a URL.
        forms = {
            secret,
            repr(secret)[1:-1],
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            html.escape(secret, quote=False),  # as it stands in JUnit XML or HTML
            html.escape(secret, quote=True),
            quote(secret, safe=""),
            quote_plus(secret, safe=""),
        }
        self._secrets.update(f for f in forms if len(f) >= _MIN_SECRET_LEN)
        self._quick = self._quick_ascii = None
        # Longest first so that a secret containing another is masked whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def add_url(self, url: str | None) -> None:
        """Register the password of a URL (``scheme://user:password@host``), in every form.

        The password is what comes between the user's ``:`` and the *last* ``@`` before the
        host (``p@ss`` in ``postgresql://app:p@ss@db/app``), as written and %-decoded. A
        client that splits at the first ``@`` prints the rest as a host name
        (``could not translate host name "ss@db"``): the pieces around each ``@`` are
        registered too. And the ``Authorization: Basic`` value an HTTP client sends for the
        URL's credentials, ``base64(user:password)``.
        """
        if not url:
            return
        try:
            parts = urlsplit(url)
            user, password = parts.username, parts.password
        except ValueError:
            return
        if not password:
            return
        for pw in {password, unquote(password)}:  # %40 in the URL is @ in the password
            self.add(pw)
            pieces = pw.split("@")
            for i in range(1, len(pieces)):
                self.add("@".join(pieces[:i]))
                self.add("@".join(pieces[i:]))
        for u, pw in {(user or "", password), (unquote(user or ""), unquote(password))}:
            basic = base64.b64encode(f"{u}:{pw}".encode()).decode("ascii")
            self.add(basic)
            self.add(basic.rstrip("="))

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def may_redact(self, text: str) -> bool:
        """False when :meth:`redact` leaves ``text``, and every part of it, unchanged.

        One search for what every secret and secret pattern starts from, so the strings of a
        whole structure can be checked at once, joined::

            if r.may_redact("\\n".join(strings)):
                strings = [r.redact(s) for s in strings]
        """
        if not text:
            return False
        if self._quick is None or self._quick_ascii is None:
            secrets = sorted(self._secrets)
            self._quick = re.compile(
                "|".join([*(re.escape(s) for s in secrets), _QUICK]), re.IGNORECASE
            )
            folded = {f for s in secrets if (f := _ascii_fold(s)) is not None}
            self._quick_ascii = (*sorted(folded), *_QUICK_WORDS)
        if text.isascii():  # most text: substring tests on the lower-cased text, no regex
            low = text.lower()
            if any(word in low for word in self._quick_ascii):
                return True
            return ("key" in low or "session" in low) and any(k in low for k in _QUICK_KEYS)
        return self._quick.search(text) is not None

    def redact(self, text: str, *, patterns: bool = True) -> str:
        """Return ``text`` with every known secret and secret-looking value masked.

        ``patterns=False`` masks only the known secret values, for files that hold code
        (an HTML page's scripts) where ``token: x``-like text is not a secret.
        """
        # One search decides whether any of the substitutions below could change the text
        # (most strings: no), instead of five substitutions on every string.
        if not self.may_redact(text):
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        if not patterns:
            return text
        text = _URL_PASSWORD.sub(_mask_value, text)
        text = _COOKIE_HEADER.sub(_mask_value, text)
        text = _KEY_VALUE.sub(_mask_key_value, text)
        text = _XML_ELEMENT.sub(_mask_value, text)
        text = _CLI_FLAG.sub(_mask_value, text)
        text = _BEARER.sub(_mask_bearer, text)
        text = _BASIC.sub(_mask_basic, text)
        return text

    def redact_data(self, data: Any, *, patterns: bool = True) -> Any:
        """Redact every string (keys included) inside JSON-like data.

        The string value of a secret-named key (:func:`is_secret_key`) is masked whole, and
        so is the value of a ``[name, value]`` pair (``record_property``) with such a name:
        ``{"password": "x"}`` becomes ``{"password": "***"}``. ``patterns=False`` masks known
        values only, for the suite author's own text (titles, section names).
        """
        if isinstance(data, str):
            return self.redact(data, patterns=patterns)
        if isinstance(data, Mapping):
            return {
                self.redact(str(k), patterns=patterns): self._value(str(k), v, patterns)
                for k, v in data.items()
            }
        if isinstance(data, tuple | list):
            if len(data) == 2 and isinstance(data[0], str):  # a (name, value) pair
                key, value = data
                pair = [self.redact(key, patterns=patterns), self._value(key, value, patterns)]
                return tuple(pair) if isinstance(data, tuple) else pair
            items = [self.redact_data(v, patterns=patterns) for v in data]
            return tuple(items) if isinstance(data, tuple) else items
        return data

    def _value(self, key: str, value: Any, patterns: bool) -> Any:
        if patterns and is_secret_key(key):
            return _mask_strings(key, value)
        return self.redact_data(value, patterns=patterns)


def _mask_strings(key: str, value: Any) -> Any:
    """Every non-empty string in ``value`` (held by the secret-named ``key``) masked."""
    if isinstance(value, str):
        return _masked(key, value) if value else value
    if isinstance(value, Mapping):
        return {k: _mask_strings(key, v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        items = [_mask_strings(key, v) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    return value


def _ascii_fold(secret: str) -> str | None:
    """What ``secret`` matches in ASCII text under ``re.IGNORECASE``, lower-cased, or None.

    A few non-ASCII letters match ASCII ones (the long s and ``s``, the Kelvin sign and ``k``,
    the dotted and dotless I and ``i``); a secret with any other non-ASCII character never
    matches ASCII text.
    """
    out = []
    for ch in secret:
        if ch.isascii():
            out.append(ch.lower())
            continue
        same = [a for a in string.ascii_lowercase if re.fullmatch(re.escape(ch), a, re.IGNORECASE)]
        if not same:
            return None
        out.append(same[0])
    return "".join(out)


def _masked(key: str, value: str) -> str:
    """``value`` of the secret-named ``key`` masked, keeping an auth scheme (``Bearer ***``)."""
    if value.startswith(MASK) or value.lower() in ("null", "none", "true", "false"):
        return value
    scheme = _SCHEME.match(value)
    if scheme is not None and scheme.end() < len(value):
        rest = value[scheme.end() :]
        return value if rest.startswith(MASK) else value[: scheme.end()] + MASK
    return MASK


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("val")
    if value.startswith(MASK):
        return match.group(0)
    return match.group("pre") + MASK


def _mask_key_value(match: re.Match[str]) -> str:
    group = next(g for g in ("escaped", "dq", "sq", "bare") if match.group(g) is not None)
    value = match.group(group)
    if not value:
        return match.group(0)
    start, end = match.span(group)
    text = match.string
    masked = _masked(match.group("key"), value)
    if masked == value:
        return match.group(0)
    return text[match.start() : start] + masked + text[end : match.end()]


def _mask_bearer(match: re.Match[str]) -> str:
    if match.group("val").lower() in _BEARER_PROSE:  # "without a bearer token"
        return match.group(0)
    return _mask_value(match)


def _mask_basic(match: re.Match[str]) -> str:
    """``Basic <base64>`` is masked when the value decodes to ``user:password``."""
    value = match.group("val")
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return _mask_value(match) if b":" in decoded else match.group(0)


# -- whole structures: a pytest report, the deployment record ------------------------------

R = TypeVar("R", "pytest.TestReport", "pytest.CollectReport")


def redact_report(redactor: Redactor, report: R, config: pytest.Config) -> R:
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
    if not redactor.may_redact("\n".join(_report_strings(report))):
        return report  # one search over every string it carries found nothing to mask
    hook = config.hook
    data = hook.pytest_report_to_serializable(config=config, report=report)
    if data is None:
        return report
    clean = redactor.redact_data(data)
    if clean == data:
        return report
    rebuilt: R = hook.pytest_report_from_serializable(config=config, data=clean)
    return rebuilt


def redact_record(
    redactor: Redactor, text: str, record: dict[str, Any], dumps: Callable[[dict[str, Any]], str]
) -> tuple[str, dict[str, Any]]:
    """The record's JSON text and data with every secret masked (``dumps`` renders it).

    One search over the whole text decides whether anything could need masking (most
    records: nothing); then the record is masked value by value, so a secret-named key
    masks its value (``{"password": "..."}`` in evidence) and the suite author's own text
    (titles, section and phase names) is masked for known secret values only, never by
    pattern: "refuses requests without a bearer token" stays as written.
    """
    if not redactor.may_redact(text):
        return text, record
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key == "checks" and isinstance(value, list):
            data[key] = [_redacted_check(redactor, check) for check in value]
        else:
            data[key] = redactor.redact_data(value, patterns=key not in _AUTHOR_RECORD_KEYS)
    return dumps(data), data


def redact_file(redactor: Redactor, target: Path) -> str | None:
    """Rewrite a written artefact (JUnit XML, HTML) with its secrets masked; the error, if any.

    Only a regular file (or one a symlink points to) is read and replaced: a FIFO would
    block the read, and a device node must never become a file.
    """
    from pytest_deployready._outputs import read_regular, rewrite_file

    text = read_regular(target)
    if text is None:
        return None
    clean = redactor.redact(text, patterns=False)
    if clean != text:
        try:
            rewrite_file(target, clean)
        except OSError as exc:
            return f"could not mask secrets in {target}: {exc.strerror or exc}"
    return None


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
    kind = type(value)  # the exact built-in types first: most of a report is made of them
    if kind is str:
        out.append(value)  # type: ignore[arg-type]
    elif kind is list or kind is tuple:
        for v in value:  # type: ignore[attr-defined]
            _strings(v, out, into_dataclasses=into_dataclasses)
    elif value is None or kind is int or kind is float or kind is bool:
        return
    elif kind is dict:
        for k, v in value.items():  # type: ignore[attr-defined]
            out.append(str(k))
            _strings(v, out, into_dataclasses=into_dataclasses)
    elif isinstance(value, str):
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
