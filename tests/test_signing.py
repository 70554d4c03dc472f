"""Signing a record (Ed25519, DSSE envelope around an in-toto statement) and checking it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from pytest_deployready._signing import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    SignatureError,
    check_key,
    envelope_path,
    sign_record,
    verify_envelope,
)

RECORD = (
    '{\n  "verdict": "GO",\n  "complete": true,\n  "exit_code": 0,\n  "summary": {"total": 3}\n}\n'
)


def _keys(tmp_path: Path, name: str = "k") -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / f"{name}.pem"
    public = tmp_path / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def test_a_signed_record_verifies_and_says_what_it_signed(tmp_path: Path) -> None:
    private, public = _keys(tmp_path)
    envelope = sign_record(RECORD, private, "record.json")
    assert envelope["payloadType"] == PAYLOAD_TYPE
    statement = verify_envelope(envelope, public, RECORD)
    assert statement["predicateType"] == PREDICATE_TYPE
    assert statement["subject"][0]["name"] == "record.json"
    assert statement["predicate"]["verdict"] == "GO" and statement["predicate"]["total"] == 3


def test_an_edited_record_or_payload_or_another_key_is_refused(tmp_path: Path) -> None:
    private, public = _keys(tmp_path)
    _, other_public = _keys(tmp_path, "other")
    envelope = sign_record(RECORD, private)
    with pytest.raises(SignatureError, match="for another record"):
        verify_envelope(envelope, public, RECORD.replace('"GO"', '"NO_GO"'))
    with pytest.raises(SignatureError, match="no valid signature"):
        verify_envelope(envelope, other_public, RECORD)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["verdict"] = "GO_WITH_WARNINGS"
    forged = {**envelope, "payload": base64.b64encode(json.dumps(statement).encode()).decode()}
    with pytest.raises(SignatureError, match="no valid signature"):
        verify_envelope(forged, public, RECORD)
    with pytest.raises(SignatureError, match="not a DSSE envelope"):
        verify_envelope({"payload": "x"}, public, RECORD)


def test_unusable_keys_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(SignatureError, match=r"cannot use .* as a signing key: no such file"):
        check_key(tmp_path / "missing.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(SignatureError, match="cannot use"):
        check_key(garbage)
    rsa = tmp_path / "rsa.pem"
    rsa.write_bytes(
        generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(SignatureError, match="not an Ed25519 private key"):
        check_key(rsa)


def test_envelope_path_is_next_to_the_record() -> None:
    assert envelope_path(Path("out/record.json")) == Path("out/record.json.dsse.json")
