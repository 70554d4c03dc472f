"""HS256 JSON Web Tokens for the demo API, with nothing but :mod:`hmac` and :mod:`json`.

Example::

    token = encode({"sub": "1", "role": "release-bot"}, secret, ttl_s=3600)
    claims = decode(token, secret)  # raises TokenError when forged or expired
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

__all__ = ["TokenError", "decode", "encode"]


class TokenError(ValueError):
    """The token is malformed, forged or expired."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(claims: dict[str, Any], secret: str, *, ttl_s: int = 3600) -> str:
    """Sign ``claims`` (plus ``iat``, ``exp`` and ``jti``) with HS256.

    Example::

        encode({"sub": "42", "role": "user"}, "0" * 64)
    """
    now = int(time.time())
    body = {"iat": now, "exp": now + ttl_s, "jti": uuid.uuid4().hex, **claims}
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def decode(token: str, secret: str) -> dict[str, Any]:
    """Verify an HS256 token and return its claims.

    Example::

        decode(encode({"sub": "1"}, key), key)["sub"]  # '1'
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed token")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(payload_b64))
        signature = _unb64(signature_b64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("malformed token") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenError("unsupported algorithm")
    expected = hmac.new(
        secret.encode(), f"{header_b64}.{payload_b64}".encode("ascii"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(expected, signature):
        raise TokenError("bad signature")
    if not isinstance(claims, dict):
        raise TokenError("malformed claims")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp < time.time():
        raise TokenError("token expired")
    return claims
