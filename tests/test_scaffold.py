"""``deployready scaffold``: mojibake repair, checklist parsing, the generated suite, the CLI."""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready._cli import main
from pytest_deployready.config import load_config
from pytest_deployready.scaffold import (
    Checklist,
    guess_role,
    heading_phase,
    parse_checklist,
    read_checklist,
    repair_mojibake,
    unique_test_name,
    write_suite,
)
from tests.runner import DeployRunner

SEEDS = Path(__file__).resolve().parent / "data" / "seed-checklists"  # copies of shared/
SEED_NAMES = [
    "ai-chat-phase2-release.md",
    "cache-layer-rollout.md",
    "marketplace-production-release.md",
    "production-readiness.md",
    "purchase-orders-rollout.md",
]
#: Checkbox lines plus code checks per seed (the reading before issue 13), counted by hand.
CHECKBOXES_AND_CODE = {
    "ai-chat-phase2-release.md": 109,
    "cache-layer-rollout.md": 97,
    "marketplace-production-release.md": 94,
    "production-readiness.md": 76,
    "purchase-orders-rollout.md": 30,
}
#: Checkbox lines that are not checks since issue 13, and why (each was one check before).
NOT_CHECKS = {
    "ai-chat-phase2-release.md": {
        35: "group label: 'All required environment variables present:' over its variables",
        398: "either/or: 'Issues Encountered: None / Minor / Major' is one check",
        399: "either/or (see 398)",
        408: "either/or: 'Final Status: Successful / ... / Failed' is one check",
        409: "either/or (see 408)",
    },
    "cache-layer-rollout.md": {
        72: "group label: '.env file updated with Redis configuration:' over its settings",
        82: "group label: 'Dependencies installed:' over the packages",
        86: "group label: 'Integration files created:' over the files",
    },
}
#: Checks that are not checkbox lines (numbered steps, bullets under check headings) and code
#: checks that became steps, per seed: CHECKBOXES_AND_CODE - len(NOT_CHECKS) + ADDED = total.
ADDED = {
    "ai-chat-phase2-release.md": 0,
    "cache-layer-rollout.md": 11
    - 1,  # rollback steps 1.-4. (2 code checks became steps), next steps
    "marketplace-production-release.md": 5
    - 1,  # rollback steps 1.-5. ("5. Verify" was a code check)
    "production-readiness.md": 12,  # rollback steps, the final summary list under "ensure:"
    "purchase-orders-rollout.md": 11,  # success criteria bullets, metrics to monitor (numbered)
}
EXPECTED = {
    name: CHECKBOXES_AND_CODE[name] - len(NOT_CHECKS.get(name, {})) + ADDED[name]
    for name in CHECKBOXES_AND_CODE
}
MOJIBAKE = ("ðŸ", "âœ", "üö", "Ã", "â€", "ğŸ", "\u201a\u00f6", "\uf8ff")


def seed(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.fail(f"seed checklist missing: {path}")
    return path.read_text(encoding="utf-8")


# -- an independent count: a checkbox regex plus the documented hidden-check rule ----------------

_BOX = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]\s+\S")
_WORDS = re.compile(
    r"\b(expect|should|verif|check(?!out)|validat|ensur|confirm|target|success|assert|test"
    r"|monitor)",
    re.I,
)


def checkbox_lines(text: str) -> set[int]:
    """Line numbers of the checkbox lines outside fences."""
    found: set[int] = set()
    fence: str | None = None
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if fence is not None:
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                fence = None
            continue
        opening = re.match(r"\s*(`{3,}|~{3,})", line)
        if opening:
            fence = opening.group(1)
        elif _BOX.match(line):
            found.add(n)
    return found


def independent_count(text: str) -> int:
    """Checkbox lines outside fences, plus code checks under headings without checkbox lines."""
    boxes = 0
    pending: list[bool] = []  # per code block of the current heading: is it a check?
    heading, label, has_box = "", "", False
    fence: str | None = None
    block: list[str] = []
    lang = ""
    total_hidden = 0
    for line in text.splitlines():
        stripped = line.strip()
        if fence is not None:
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                comments = [
                    m.group(1)
                    for m in (re.match(r"\s*(?:#(?!!)|--|//)(.*)", b) for b in block)
                    if m
                ]
                nonempty = any(b.strip() for b in block)
                words = any(_WORDS.search(t) for t in (heading, label, *comments))
                pending.append(nonempty and (lang == "sql" or words))
                fence, block, label = None, [], ""
            else:
                block.append(line)
            continue
        opening = re.match(r"\s*(`{3,}|~{3,})\s*(\w*)", line)
        if opening:
            fence, lang = opening.group(1), opening.group(2).lower()
            continue
        if re.match(r" {0,3}#{1,6}\s", line):
            total_hidden += 0 if has_box else sum(pending)
            heading, label, has_box, pending = stripped.lstrip("#").strip(), "", False, []
        elif _BOX.match(line):
            boxes += 1
            has_box, label = True, ""
        elif stripped and stripped.strip("-*_= ") and not stripped.startswith("|"):
            label = stripped
    total_hidden += 0 if has_box else sum(pending)
    return boxes + total_hidden


# -- mojibake --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line_number", "expected"),
    [
        # cp1252 (Windows-1252) double encoding
        ("purchase-orders-rollout.md", 1, "# 🚀 Production Deployment Checklist"),
        ("purchase-orders-rollout.md", 269, "🎯 **Expected Timeline:** 3-4 weeks total"),
        # Mac Roman
        ("ai-chat-phase2-release.md", 1, "# 🚀 PRODUCTION DEPLOYMENT CHECKLIST"),
        ("ai-chat-phase2-release.md", 11, "## ⚠️ PRE-DEPLOYMENT CHECKLIST"),
        ("ai-chat-phase2-release.md", 208, "└─ Background tasks: Blocking (1931ms)"),
        # cp1254 (Turkish), where cp1252 has no ğ
        ("production-readiness.md", 12, "### 2. Testing Coverage 🧪"),
        ("production-readiness.md", 3, "## ✅ Pre-Deployment Validation"),
        # plain ASCII stays as it is
        ("cache-layer-rollout.md", 9, "### Environment Verification"),
    ],
)
def test_repair_mojibake_on_seed_lines(name: str, line_number: int, expected: str) -> None:
    line = seed(name).splitlines()[line_number - 1]
    assert repair_mojibake(line) == expected


def test_repair_keeps_what_cannot_be_repaired_unambiguously() -> None:
    # "☁️" lost its 0x81 and 0x8F bytes (undefined in cp1252/cp1254): several repairs fit
    line = seed("production-readiness.md").splitlines()[29 - 1]
    assert line == "### 4. Infrastructure \u00e2\u02dc\u00ef\u00b8"
    assert repair_mojibake(line) == line


@pytest.mark.parametrize(
    "text",
    [
        "Café, naïve, façade — “quoted” ✅ 🚀",
        "Grüße aus Köln",
        "",
        "plain ASCII",
        "日本語のテキスト",
    ],
)
def test_repair_leaves_correct_text_alone(text: str) -> None:
    assert repair_mojibake(text) == text


def test_repair_mixed_runs_and_latin_accents() -> None:
    assert repair_mojibake("CafÃ© ðŸš€ and âœ…") == "Café 🚀 and ✅"
    assert repair_mojibake("Ã©tÃ©") == "été"


# -- phases, roles, names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "phase"),
    [
        ("Pre-Deployment Checklist", ("pre", True)),
        ("PRE DEPLOYMENT", ("pre", True)),
        ("Pre-deploy checks", ("pre", True)),
        ("Before Deployment", ("pre", True)),
        ("Production Readiness", ("pre", False)),
        ("Pre-Deployment Validation (Week 0)", ("pre", True)),
        ("Validation", ("pre", False)),
        ("Deployment Steps", ("deploy", False)),
        ("Deployment Sequence", ("deploy", False)),
        ("Week 2: Query Optimization Rollout", ("deploy", False)),
        ("Day 1: Enable Caching", ("deploy", False)),
        ("Go-live", ("deploy", False)),
        ("Phase 6: Monitoring Setup (10 minutes)", ("deploy", False)),
        ("Post-Deployment Verification", ("post", True)),
        ("post deployment", ("post", True)),
        ("After Deployment", ("post", True)),
        ("Step 4: Smoke Tests (5 minutes)", ("post", False)),
        ("Immediate Checks (first 5 minutes)", ("post", False)),
        ("PERFORMANCE VALIDATION (24-48 Hours)", ("post", False)),
        ("First Hour Monitoring", ("post", False)),
        ("Rollback Plan", ("rollback", True)),
        ("Roll back", ("rollback", True)),
        ("Rollback Criteria", ("rollback", True)),
        ("Troubleshooting Guide", None),
        ("Phase 2A+2C Performance Optimization", None),
    ],
)
def test_heading_phase(heading: str, phase: tuple[str, bool] | None) -> None:
    assert heading_phase(heading) == phase


def test_phase_inference_nearest_qualified_heading_wins() -> None:
    text = """# Title
- [ ] before any phase heading
## Pre-Deployment
### Environment Verification
- [ ] qualified parent beats a generic child
## Deployment Steps
### Smoke Tests
- [ ] generic child beats a generic parent
### Notes
- [ ] nothing named: the parent's phase
## Rollback Plan
- [ ] roll it back
## Communication
- [ ] no phase leaks into the next sibling heading
## Troubleshooting
- [ ] troubleshooting steps are not checks
## When to roll back
- [ ] p95 > 1500 ms
"""
    items = parse_checklist(text).items
    assert [(i.title, i.phase) for i in items] == [
        ("before any phase heading", "pre"),
        ("qualified parent beats a generic child", "pre"),
        ("generic child beats a generic parent", "post"),
        ("nothing named: the parent's phase", "deploy"),
        ("roll it back", "rollback"),
        ("no phase leaks into the next sibling heading", "pre"),
        ("p95 > 1500 ms", "post"),
    ]
    assert [i.rollback_trigger for i in items] == [False] * 6 + [True]
    assert items[0].section == "Title"
    assert items[1].section == "Pre-Deployment / Environment Verification"


def test_what_counts_as_an_item() -> None:
    text = """# T
## Pre-deployment
- [ ] dash
* [x] star, **checked**
+ [ ] plus
1. [ ] numbered
2) [X] numbered paren
- [ ]
- [] not a checkbox
- plain bullet
  - [ ] nested under a plain bullet
- [ ] parent:
  - [ ] `CHILD_VAR`
    ```bash
    echo child
    ```
  Expected: 200
```bash
- [ ] inside a fence: not an item
# Check something
```
## Post-deployment
```sql
SELECT 1;
```
```text
just notes
```
**1. Check health:**
```bash
curl localhost/health
```
"""
    checklist = parse_checklist(text)
    titles = [i.title for i in checklist.items]
    assert titles == [
        "dash",
        "star, checked",
        "plus",
        "numbered",
        "numbered paren",
        "nested under a plain bullet",
        "CHILD_VAR",
        "Post-deployment: SELECT 1;",
        "Post-deployment: Check health",
    ]
    by_title = {i.title: i for i in checklist.items}
    assert by_title["star, checked"].checked and by_title["numbered paren"].checked
    child = by_title["CHILD_VAR"]
    assert child.parent == "parent"  # "- [ ] parent:" with sub-items is a group label
    assert [b.lang for b in child.code_blocks] == ["bash", "bash"]  # its own and the loose one
    assert child.notes == ()
    assert by_title["plus"].notes == ()
    hidden = [i for i in checklist.items if i.hidden]
    assert [i.phase for i in hidden] == ["post", "post"]
    assert [b.code for b in hidden[0].code_blocks] == ["SELECT 1;"]
    assert independent_count(text) == len(checklist.items) + 1  # + the group label


def test_test_names_are_unique_valid_and_short() -> None:
    taken: set[str] = set()
    titles = ["Redis persistence enabled"] * 3 + ["🚀", "🚀", "x" * 200, "class", "1. Step"]
    names = [unique_test_name(t, taken, fallback="item") for t in titles]
    assert len(set(names)) == len(names)
    assert names[:3] == [
        "test_redis_persistence_enabled",
        "test_redis_persistence_enabled_2",
        "test_redis_persistence_enabled_3",
    ]
    for name in names:
        assert name.isidentifier() and not keyword.iskeyword(name)
        assert len(name) <= 80


def test_guess_role() -> None:
    assert guess_role("Database backup completed") == "dba"
    assert guess_role("JWT_SECRET is cryptographically secure (min 32 chars)") == "security"
    assert guess_role("Docker images build successfully") == "devops"
    assert guess_role("Notify stakeholders") == "release-manager"
    assert guess_role("Something", section="Security") == "security"


# -- the generated suite, for every seed -------------------------------------------------------


def ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ruff"]


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_scaffolds_into_a_runnable_suite(
    pytester: pytest.Pytester, deploy_run: DeployRunner, name: str
) -> None:
    text = seed(name)
    checklist = parse_checklist(text)
    assert independent_count(text) == CHECKBOXES_AND_CODE[name]
    unread = checkbox_lines(text) - {i.line_number for i in checklist.items}
    assert unread == set(NOT_CHECKS.get(name, {}))
    expected = EXPECTED[name]
    assert len(checklist.items) == expected

    out = pytester.path / "checks"
    result = write_suite(checklist, out, source=name)
    assert result.checks == expected
    assert sum(result.phase_counts.values()) == expected
    assert (out / "deployready.toml") in result.files
    assert result.summary(name).startswith(f"scaffolded {expected} checks in ")

    for path in result.test_files:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
    lint = subprocess.run(
        [*ruff(), "check", "--isolated", "--no-cache", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    cfg = load_config(out, env_name=None)
    assert cfg.report.title == (checklist.title or name)
    assert not any(m in cfg.report.title for m in MOJIBAKE)

    run, record = deploy_run(
        str(out), "-p", "no:cacheprovider", record=pytester.path / "record.json", timeout=120
    )
    checks = record["checks"]
    assert len(checks) == expected
    assert record["verdict"] == "NO_GO"  # every phase has nothing executed: never a vacuous GO
    assert run.ret != 0
    for check in checks:
        assert check["outcome"] == "pending", check
        assert check["message"].startswith("manual: pending"), check
        assert check["manual"], check
        assert not any(m in check["title"] for m in MOJIBAKE), check["title"]
        assert not any(m in check["section"] for m in MOJIBAKE), check["section"]
    assert sorted(c["title"] for c in checks) == sorted(i.title for i in checklist.items)
    phases = [c["phase"] for c in checks]
    assert {p: phases.count(p) for p in result.phase_counts} == result.phase_counts


def phases_of(name: str) -> dict[str, str]:
    return {i.title: i.phase for i in parse_checklist(seed(name)).items}


def test_seed_phases_are_sensible() -> None:
    cache = phases_of("cache-layer-rollout.md")
    persistence = [t for t in cache if t.startswith("Redis persistence enabled")]
    assert [cache[t] for t in persistence] == ["deploy"]
    assert cache["Docker and Docker Compose installed (20.10+)"] == "pre"
    assert cache["All containers healthy"] == "post"
    assert cache["Verify application works without cache"] == "rollback"  # a numbered step
    assert "Dependencies installed" not in cache  # a group label over its packages

    chat = parse_checklist(seed("ai-chat-phase2-release.md"))
    rollback = [i for i in chat.items if "Verify Rollback Success" in i.section]
    assert [i.phase for i in rollback] == ["rollback"] * 4
    assert rollback[0].title == "Application responding normally"
    triggers = [i for i in chat.items if i.rollback_trigger]
    assert {i.phase for i in triggers} == {"post"}
    assert "Error rate >5%" in {i.title for i in triggers}
    by_title = {i.title: i.phase for i in chat.items}
    assert by_title["PR #3 reviewed and approved by team lead"] == "pre"
    assert by_title["Login to Plesk panel"] == "deploy"
    assert by_title["Test 1: Health Check"] == "post"

    orders = phases_of("purchase-orders-rollout.md")
    assert orders["Database Validation: Check database indexes exist"] == "pre"
    assert orders["Day 1-2: Index Deployment: Apply indexes during off-peak hours"] == "deploy"
    assert orders["If Issues Occur: Disable optimizations"] == "rollback"
    assert orders["API endpoint functionality"] == "post"

    market = phases_of("marketplace-production-release.md")
    assert market["Backup created before migration"] == "deploy"
    assert market["User login works"] == "post"
    assert market["Verify"] == "rollback"  # "5. **Verify**" under "If Deployment Fails"

    ready = phases_of("production-readiness.md")
    assert ready["Backend /health endpoint responding (200 OK)"] == "post"
    assert ready["JWT_SECRET is cryptographically secure (min 32 chars)"] == "pre"


def test_hidden_code_check_carries_its_sql(tmp_path: Path) -> None:
    checklist = parse_checklist(seed("purchase-orders-rollout.md"))
    item = next(i for i in checklist.items if i.title.startswith("Database Validation"))
    assert item.hidden and item.line_number == 17
    write_suite(checklist, tmp_path, source="purchase-orders-rollout.md")
    source = (tmp_path / "test_pre_2_database_validation.py").read_text(encoding="utf-8")
    assert "def test_database_validation_check_database_indexes_exist() -> None:" in source
    assert '"""Database Validation: Check database indexes exist"""' in source
    assert "# checklist line 17" in source
    assert "    # rows = db.rows(" in source
    assert "    #     AND indexname LIKE 'idx_po_%';" in source
    assert "    #     # Expected: 5 indexes should be present" in source
    assert "@pytest.mark.skip" not in source  # pending until attested, not skipped


def test_generated_module_shape(tmp_path: Path) -> None:
    text = '# 🚀 Release\n## Pre-deployment\n- [ ] **Backup** `pg_dump` done "now"\\\n'
    write_suite(parse_checklist(text), tmp_path, source="x.md")
    source = (tmp_path / "test_pre_pre_deployment.py").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {}
    exec(compile(source, "generated", "exec"), namespace)
    func = namespace["test_backup_pg_dump_done_now"]
    assert func.__doc__ == 'Backup pg_dump done "now"\\'
    assert '@pytest.mark.phase("pre")' in source
    assert '@pytest.mark.manual("dba")' in source
    assert 'pytestmark = [pytest.mark.section("Pre-deployment")]' in source
    toml = (tmp_path / "deployready.toml").read_text(encoding="utf-8")
    assert 'title = "🚀 Release"' in toml


# -- the command line --------------------------------------------------------------------------


def test_cli_scaffold_force_and_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checklist = tmp_path / "CHECKLIST.md"
    checklist.write_text(seed("cache-layer-rollout.md"), encoding="utf-8")
    out = tmp_path / "checks"
    assert main(["scaffold", str(checklist), "-o", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert line == (
        f"scaffolded 104 checks in 15 files from {checklist} into {out} "
        "(phases: pre=12, deploy=52, post=33, rollback=7)"
    )
    user_file = out / "test_mine.py"
    user_file.write_text("def test_mine() -> None:\n    pass\n", encoding="utf-8")

    assert main(["scaffold", str(checklist), "-o", str(out)]) == 4
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"deployready scaffold: error: output directory {out} is not empty "
        "(use --force to overwrite)"
    ]

    stale = out / "test_pre_stale.py"
    stale.write_text("# Generated by `deployready scaffold` from old.md\n", encoding="utf-8")
    args = ["scaffold", str(checklist), "-o", str(out), "--force", "--title", "Cache $ release"]
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("scaffolded 104 checks")
    assert user_file.exists() and not stale.exists()
    assert load_config(out, env_name=None).report.title == "Cache $ release"

    assert main(["scaffold", str(tmp_path / "missing.md"), "-o", str(tmp_path / "o")]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"deployready scaffold: error: checklist not found: {tmp_path / 'missing.md'}"]
    assert not (tmp_path / "o").exists()

    assert main(["scaffold", str(checklist)]) == 4  # -o is required
    capsys.readouterr()


def test_read_checklist_falls_back_to_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "legacy.md"
    path.write_bytes("# Café release\n- [ ] Déjà vu\n".encode("cp1252"))
    checklist: Checklist = parse_checklist(read_checklist(path))
    assert checklist.title == "Café release"
    assert [i.title for i in checklist.items] == ["Déjà vu"]
