"""A scaffolded suite reaches GO once every item is attested by its role, for every checklist.

scaffold -> run (every check pending: NO_GO) -> one attestation per check with the role its
``manual`` marker asks for -> run with ``--deploy-attest`` -> GO, exit 0. Run for every seed
checklist and every file of the scaffold corpus (held-out ones included).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_deployready._rules import parse_rule
from pytest_deployready.config import load_config
from pytest_deployready.scaffold import parse_checklist, read_checklist, write_suite
from tests.runner import DeployRunner

DATA = Path(__file__).resolve().parent / "data"
CHECKLISTS = sorted(
    [
        *(DATA / "seed-checklists").glob("*.md"),
        *(DATA / "scaffold_corpus").glob("*.md"),
        *(DATA / "scaffold_corpus").glob("*.txt"),
        *(DATA / "scaffold_corpus" / "heldout").glob("*.md"),
    ]
)


def toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@pytest.mark.parametrize("path", CHECKLISTS, ids=[p.name for p in CHECKLISTS])
def test_fully_attested_scaffold_reaches_go(
    pytester: pytest.Pytester, deploy_run: DeployRunner, path: Path
) -> None:
    checklist = parse_checklist(read_checklist(path))
    result = write_suite(checklist, pytester.path / "checks", source=path.name)

    cfg = load_config(pytester.path / "checks", env_name=None)
    assert list(cfg.phases) == checklist.phases()  # only the phases that occur
    for spec in cfg.thresholds.values():
        parse_rule(spec.rule.text)  # every rule read from the checklist is valid

    run, record = deploy_run(
        "checks", "-p", "no:cacheprovider", record=pytester.path / "record.json", timeout=120
    )
    assert record["verdict"] == "NO_GO" and run.ret != 0
    checks = record["checks"]
    assert len(checks) == result.checks
    assert all(c["outcome"] == "pending" for c in checks)
    roles: dict[str, set[str]] = {}
    for c in checks:  # sibling items share one role: a section is attested by one person
        roles.setdefault(c["section"], set()).add(c["manual"])
    assert all(len(r) == 1 for r in roles.values()), roles

    entries = [
        f'[[attestation]]\ncheck = {toml_str(c["id"])}\nby = "Sam"\n'
        f'role = {toml_str(c["manual"])}\nat = "2026-12-07T10:00:00Z"\n'
        for c in checks
    ]
    (pytester.path / "attestations.toml").write_text("\n".join(entries), encoding="utf-8")
    run, record = deploy_run(
        "checks",
        "-p",
        "no:cacheprovider",
        "--deploy-attest",
        str(pytester.path / "attestations.toml"),
        record=pytester.path / "record.json",
        timeout=120,
    )
    assert record["verdict"] == "GO", [c for c in record["checks"] if c["outcome"] != "passed"]
    assert run.ret == 0
    assert {c["outcome"] for c in record["checks"]} == {"passed"}
