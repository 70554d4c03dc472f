"""One redactor for every output path: terminal, HTML, JSON record and JUnit XML.

What is hidden:

* the password part of any ``scheme://user:password@host`` URL;
* values after ``Authorization:``/``Bearer``/``token=``-like markers;
* the values of environment variables whose names look secret (``*PASSWORD*``,
  ``*SECRET*``, ``*TOKEN*``, ``*_KEY``), wherever they appear;
* any value registered explicitly with :meth:`Redactor.add`.

Example::

    r = Redactor.from_environ({"DB_PASSWORD": "hunter22"})
    r.redact("postgresql://app:hunter22@db:5432/app")  # 'postgresql://app:***@db:5432/app'
"""

from __future__ import annotations

import html
import json
import os
import re
import string
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["MASK", "Redactor", "is_secret_name", "safe_url", "url_host"]

MASK = "***"

_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|SECRET|TOKEN(?!IZER)|_KEY$|^KEY$|CREDENTIAL|PRIVATE", re.I
)
# scheme://user:password@host -> keep user, hide password.
_URL_PASSWORD = re.compile(r"(?P<pre>[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]*:)(?P<pw>[^\s@/]+)(?=@)")
# Authorization: Bearer abc / "authorization": "Token abc" / token=abc / api_key: abc
_HEADER_VALUE = re.compile(
    r"(?P<pre>\b(?:authorization|proxy-authorization)['\"]?\s*[:=]\s*['\"]?"
    r"(?:bearer|token|basic|digest)?\s*)(?P<val>[^\s'\",;]+)",
    re.I,
)
_BEARER = re.compile(r"(?P<pre>\bbearer\s+)(?P<val>[A-Za-z0-9\-._~+/]+=*)", re.I)
_KEY_VALUE = re.compile(
    r"(?P<pre>\b(?:access_token|api[_-]?key|apikey|token|secret|password|passwd|pwd)"
    r"['\"]?\s*[=:]\s*['\"]?)(?P<val>[^\s'\",;&]+)",
    re.I,
)
# Text without any of these can't match the patterns above.
_QUICK = r"://|authoriz|bearer|token|secret|passw|pwd|api[_-]?key|apikey"
# Values shorter than this are not treated as secrets (too many false positives).
_MIN_SECRET_LEN = 4


def is_secret_name(name: str) -> bool:
    """True when an environment variable's name looks like it holds a secret."""
    return bool(_SECRET_NAME.search(name))


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
        self._quick_ascii: re.Pattern[str] | None = None
        for s in secrets:
            self.add(s)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Redactor:
        """A redactor that knows the values of every secret-looking environment variable."""
        env = os.environ if environ is None else environ
        return cls(value for name, value in env.items() if is_secret_name(name))

    def add(self, secret: str | None) -> None:
        """Register a literal value that must never be shown."""
        if secret is None:
            return
        secret = str(secret)
        if len(secret) < _MIN_SECRET_LEN or secret in self._secrets:
            return
        # Also the forms a secret takes when printed inside a repr() or a JSON string.
        forms = {
            secret,
            repr(secret)[1:-1],
            json.dumps(secret)[1:-1],
            html.escape(secret, quote=False),  # as it stands in JUnit XML or HTML
            html.escape(secret, quote=True),
        }
        self._secrets.update(f for f in forms if len(f) >= _MIN_SECRET_LEN)
        self._quick = self._quick_ascii = None
        # Longest first so that a secret containing another is masked whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def add_url(self, url: str | None) -> None:
        """Register the password of a URL (``scheme://user:password@host``)."""
        if not url:
            return
        try:
            password = urlsplit(url).password
        except ValueError:
            return
        self.add(password)
        if password:
            self.add(unquote(password))  # %40 in the URL is @ in the password

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
            folded = (_ascii_fold(s) for s in secrets)
            self._quick_ascii = re.compile(
                "|".join([*(re.escape(s) for s in folded if s is not None), _QUICK])
            )
        if text.isascii():  # most text: the same search, several times faster without IGNORECASE
            return self._quick_ascii.search(text.lower()) is not None
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
        text = _URL_PASSWORD.sub(lambda m: m.group("pre") + MASK, text)
        text = _HEADER_VALUE.sub(_mask_value, text)
        text = _BEARER.sub(_mask_value, text)
        text = _KEY_VALUE.sub(_mask_value, text)
        return text

    def redact_data(self, data: Any) -> Any:
        """Redact every string (keys included) inside JSON-like data."""
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, Mapping):
            return {self.redact(str(k)): self.redact_data(v) for k, v in data.items()}
        if isinstance(data, tuple):
            return tuple(self.redact_data(v) for v in data)
        if isinstance(data, list):
            return [self.redact_data(v) for v in data]
        return data


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


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("val")
    if value == MASK or value.startswith(MASK):
        return match.group(0)
    return match.group("pre") + MASK
