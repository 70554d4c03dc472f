"""Signing the deployment record: an Ed25519 signature in a DSSE envelope (in-toto statement).

``--deploy-sign-key KEY.pem`` signs the JSON record the run writes; the envelope goes next to
it as ``RECORD.json.dsse.json``. ``deployready verify --key PUB.pem PAGE.html RECORD.json``
checks it. The envelope is the DSSE format (``payloadType``, base64 ``payload``, ``signatures``
over the pre-authentication encoding ``PAE``); its payload is an in-toto Statement v1 whose
``subject`` is the record file (name and sha256) and whose predicate type is
:data:`PREDICATE_TYPE`: the verdict, completeness, exit code, commit and counts of the run.

What a signature adds to the page's digest: the digest shows the page and the record agree;
the signature shows that the holder of the private key produced that record. It does not show
that the checks were right, or that the run was not repeated until it passed.

Example::

    envelope = sign_record(record_text, Path("release-key.pem"))
    statement = verify_envelope(envelope, Path("release-key.pub.pem"), record_text)
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from pytest_deployready.errors import DeployReadyError

__all__ = [
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "SignatureError",
    "check_key",
    "envelope_path",
    "sign_record",
    "verify_envelope",
]

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: The predicate type of a deployment record statement (an identifier, documented in
#: docs/record.md; not a URL to fetch).
PREDICATE_TYPE = "https://pytest-deployready.dev/record/v1"


class SignatureError(DeployReadyError):
    """A key that cannot be used, or an envelope that does not verify."""


def envelope_path(record_path: Path) -> Path:
    """Where the envelope of a record goes: ``record.json`` → ``record.json.dsse.json``."""
    return record_path.with_name(record_path.name + ".dsse.json")


def _pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _load_private(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"cannot use {path} as a signing key: {_why(exc)}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{path} is not an Ed25519 private key (PEM, no password)")
    return key


def _load_public(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise SignatureError(f"cannot use {path} as a public key: {_why(exc)}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError(f"{path} is not an Ed25519 public key (PEM)")
    return key


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc).split("\n")[0] or type(exc).__name__


def _keyid(public_key: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def check_key(path: Path) -> None:
    """Fail now (a usage error at start-up) if ``path`` cannot sign."""
    _load_private(path)


def sign_record(
    record_text: str, key_path: Path, record_name: str = "record.json"
) -> dict[str, Any]:
    """A DSSE envelope signing ``record_text`` with the Ed25519 key in ``key_path``."""
    key = _load_private(key_path)
    record = json.loads(record_text)
    summary = record.get("summary") or {}
    metadata = record.get("metadata") or {}
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [
            {
                "name": record_name,
                "digest": {"sha256": hashlib.sha256(record_text.encode("utf-8")).hexdigest()},
            }
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "verdict": record.get("verdict"),
            "complete": record.get("complete"),
            "exit_code": record.get("exit_code"),
            "title": record.get("title"),
            "environment": record.get("environment"),
            "started_at": record.get("started_at"),
            "finished_at": record.get("finished_at"),
            "git_commit": metadata.get("git_commit"),
            "git_dirty": metadata.get("git_dirty"),
            "total": summary.get("total"),
            "blocking": summary.get("blocking"),
        },
    }
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    signature = key.sign(_pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [
            {"keyid": _keyid(key.public_key()), "sig": base64.b64encode(signature).decode()}
        ],
    }


def verify_envelope(envelope: Any, public_key_path: Path, record_text: str) -> dict[str, Any]:
    """The signed statement, once the signature and the record's digest check out."""
    from cryptography.exceptions import InvalidSignature

    key = _load_public(public_key_path)
    try:
        payload_type = str(envelope["payloadType"])
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = list(envelope["signatures"])
    except (KeyError, TypeError, ValueError):
        raise SignatureError("the signature file is not a DSSE envelope") from None
    if payload_type != PAYLOAD_TYPE:
        raise SignatureError(f"unexpected payload type {payload_type!r}")
    keyid = _keyid(key)
    good = False
    for entry in signatures:
        if not isinstance(entry, dict) or entry.get("keyid") not in (None, "", keyid):
            continue
        try:
            key.verify(
                base64.b64decode(entry.get("sig", ""), validate=True), _pae(payload_type, payload)
            )
        except (InvalidSignature, ValueError):
            continue
        good = True
    if not good:
        raise SignatureError(
            "no valid signature by this key: the record was altered or signed by another key"
        )
    statement: dict[str, Any] = json.loads(payload)
    digest = hashlib.sha256(record_text.encode("utf-8")).hexdigest()
    subjects = statement.get("subject") or []
    if not any((s.get("digest") or {}).get("sha256") == digest for s in subjects):
        raise SignatureError("the signature is valid but for another record (its sha256 differs)")
    return statement
