"""How the scaffolder reads a checklist (issue 13), one test per class of reading.

Phases from the title, heading hierarchy, labels, go-live and time words in five languages;
items that are not checkboxes; things that are not items; titles; roles; the generated config.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_deployready._rules import parse_rule
from pytest_deployready.config import load_config
from pytest_deployready.scaffold import (
    clean_title,
    heading_phase,
    parse_checklist,
    section_role,
    write_suite,
)


def phases(text: str) -> list[tuple[str, str]]:
    return [(i.title, i.phase) for i in parse_checklist(text).items]


def titles(text: str) -> list[str]:
    return [i.title for i in parse_checklist(text).items]


# -- phase vocabulary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "phase"),
    [
        # go-live, launch and cut-over vocabulary
        ("Pre-Go-Live", ("pre", True)),
        ("Pre Go Live Checks", ("pre", True)),
        ("Before go-live", ("pre", True)),
        ("Pre-Launch", ("pre", True)),
        ("Post-Go-Live", ("post", True)),
        ("After launch", ("post", True)),
        ("Post-cutover validation", ("post", True)),
        ("Go-Live", ("deploy", False)),
        ("Cut-over steps", ("deploy", False)),
        ("Launch day", ("deploy", True)),
        # time expressions
        ("T-1 day", ("pre", True)),
        ("T-7 days", ("pre", True)),
        ("T-0", ("deploy", True)),
        ("T+1 hour", ("post", True)),
        ("First hour", ("post", False)),
        ("First 24 hours", ("post", False)),
        ("2 days before release", ("pre", True)),
        # Spanish
        ("Antes del despliegue", ("pre", True)),
        ("Después del despliegue", ("post", True)),
        ("Despliegue", ("deploy", False)),
        ("Criterios de éxito", ("post", False)),
        # Portuguese
        ("Antes da implantação", ("pre", True)),
        ("Validação pós-deploy", ("post", True)),
        ("Métricas de Sucesso", ("post", False)),
        ("Quando fazer rollback", ("rollback", True)),
        # German
        ("Vor dem Deployment", ("pre", True)),
        ("Nach dem Go-Live", ("post", True)),
        ("Überwachung", ("post", False)),
        ("Rollback-Kriterien", ("rollback", True)),
        # French
        ("Avant la mise en production", ("pre", True)),
        ("Après la mise en production", ("post", True)),
        ("Critères de retour arrière", ("rollback", True)),
        ("Déploiement", ("deploy", False)),
        # activity words that are not on the time line by themselves
        ("Deployment Method Selection", ("pre", False)),
        ("Internet Requirements", ("pre", False)),
        ("Monitoring", ("post", False)),
        ("Team contacts", None),
    ],
)
def test_phase_words(heading: str, phase: tuple[str, bool] | None) -> None:
    assert heading_phase(heading) == phase


# -- phase inference -------------------------------------------------------------------------------


def test_title_decides_for_activity_headings_but_not_for_events() -> None:
    text = """# Kiosk Pre-Deployment Checklist
## Monitoring
- [ ] Dashboard created
## Hardware
- [ ] Firmware 2.4
## Go-Live
- [ ] DNS switched
### Smoke tests
- [ ] Home page loads
"""
    assert phases(text) == [
        ("Dashboard created", "pre"),
        ("Firmware 2.4", "pre"),
        ("DNS switched", "deploy"),
        ("Home page loads", "post"),
    ]
    reasons = [i.phase_reason for i in parse_checklist(text).items]
    assert reasons[0] == 'title "Kiosk Pre-Deployment Checklist"'
    assert reasons[2] == 'heading "Go-Live"'


def test_an_item_that_names_its_side_where_no_heading_does() -> None:
    text = """# Release
## Database
- [ ] Backup taken before the release
- [ ] Vacuum after deployment
- [ ] Rollback script tested
## Pre-deployment
- [ ] Post-deployment dashboard prepared
"""
    assert phases(text) == [
        ("Backup taken before the release", "pre"),
        ("Vacuum after deployment", "post"),
        ("Rollback script tested", "pre"),
        ("Post-deployment dashboard prepared", "pre"),  # the heading decides
    ]


def test_monitoring_set_up_before_the_launch_is_preparation() -> None:
    text = """# Launch plan
## Pre-Launch
- [ ] Load test
## Monitoring
- [ ] Dashboards created
## Go-Live
- [ ] DNS switched
## Monitoring
- [ ] On-call watches the dashboard
"""
    assert phases(text) == [
        ("Load test", "pre"),
        ("Dashboards created", "pre"),
        ("DNS switched", "deploy"),
        ("On-call watches the dashboard", "post"),
    ]
    reason = parse_checklist(text).items[1].phase_reason
    assert reason == 'heading "Monitoring" (before the launch)'


def test_a_generic_title_names_no_phase() -> None:
    assert phases("# Production Deployment Checklist\n## Database\n- [ ] Backup\n") == [
        ("Backup", "pre")
    ]


def test_sub_headings_inherit_and_siblings_do_not() -> None:
    text = """# Runbook
## Post-Go-Live
### Payments
- [ ] Test order paid
#### Refunds
- [ ] Refund issued
## Deployment Method Selection
- [ ] Method agreed
## Internet Requirements
- [ ] Port 443 open
## Notes for the team
- [ ] Handbook updated
"""
    assert phases(text) == [
        ("Test order paid", "post"),
        ("Refund issued", "post"),
        ("Method agreed", "pre"),
        ("Port 443 open", "pre"),
        ("Handbook updated", "pre"),  # no phase named: never the previous sibling's
    ]


def test_setext_headings() -> None:
    text = """Release
=======

Before deployment
-----------------
- [ ] Backup taken

After deployment
----------------
- [ ] Health 200

Some text
---
- [ ] still read: "---" after a paragraph line is a heading too
"""
    checklist = parse_checklist(text)
    assert checklist.title == "Release"
    assert [(i.section, i.phase) for i in checklist.items] == [
        ("Before deployment", "pre"),
        ("After deployment", "post"),
        ("Some text", "pre"),
    ]


def test_group_labels_set_their_childrens_phase_and_are_not_checks() -> None:
    text = """# Release
## Database
- Before deployment:
  - [ ] Backup taken
- [ ] Deploy:
  - [ ] Migration applied
- After deployment:
  - [ ] No lock waits
## Application
**Before deployment:**
- [ ] Secrets in the vault

Deploy:
- [ ] Pods ready

*After deployment*:
- [ ] Push received
"""
    assert phases(text) == [
        ("Backup taken", "pre"),
        ("Migration applied", "deploy"),
        ("No lock waits", "post"),
        ("Secrets in the vault", "pre"),
        ("Pods ready", "deploy"),
        ("Push received", "post"),
    ]


def test_days_and_weeks_around_the_launch() -> None:
    text = """# Plan
## Week 1: Build
- [ ] Schema approved
## Week 2: Integration
- [ ] Monitoring dashboards created
## Day 17: Go-Live
- [ ] Flag on
## Day 18-20: Stabilisation
- [ ] Lag under 60 s
## Week 4
- [ ] Report sent
"""
    assert phases(text) == [
        ("Schema approved", "pre"),
        ("Monitoring dashboards created", "pre"),
        ("Flag on", "deploy"),
        ("Lag under 60 s", "post"),
        ("Report sent", "post"),
    ]
    # without a launch day, "day N"/"week N" are steps of a rollout
    assert phases("# Plan\n## Week 2: Query rollout\n- [ ] Flag on\n") == [("Flag on", "deploy")]


def test_rollback_criteria_are_post_triggers_in_every_form() -> None:
    text = """# Release
## Rollback triggers
- Error rate above 2 %
## Roll back if
1. Payments fail
## When to rollback
- [ ] p95 > 1500 ms
## Rollback
- [ ] Redeploy the previous tag
- [ ] Roll back if the smoke test fails twice
## After deployment
- [ ] Health 200

Roll back if any of these happen:
- Checkout broken
## Cuándo hacer rollback
- Errores > 5 %
## Wann ein Rollback
- Buchungen schlagen fehl
"""
    items = parse_checklist(text).items
    assert [(i.title, i.phase, i.rollback_trigger) for i in items] == [
        ("Error rate above 2 %", "post", True),
        ("Payments fail", "post", True),
        ("p95 > 1500 ms", "post", True),
        ("Redeploy the previous tag", "rollback", False),
        ("Roll back if the smoke test fails twice", "post", True),
        ("Health 200", "post", False),
        ("Checkout broken", "post", True),  # a trigger label reads bullets beside checkboxes
        ("Errores > 5 %", "post", True),
        ("Buchungen schlagen fehl", "post", True),
    ]


# -- items that are not checkboxes -------------------------------------------------------------


def test_numbered_steps_and_bullets_under_check_headings() -> None:
    text = """# Runbook
## Go-Live
1. Run migrations
2) Deploy the image
   - takes about five minutes
## Verification
- Health endpoint 200
- Orders can be placed
## Background
- The service was written in 2019
## Pre-deployment
- [ ] Backup taken
1. Notes in a list with checkboxes are not read twice
"""
    items = parse_checklist(text).items
    assert [(i.title, i.kind) for i in items] == [
        ("Run migrations", "step"),
        ("Deploy the image", "step"),
        ("Health endpoint 200", "bullet"),
        ("Orders can be placed", "bullet"),
        ("Backup taken", "checkbox"),
    ]
    assert items[1].notes == ("takes about five minutes",)


def test_tables_of_checks_and_thresholds(tmp_path: Path) -> None:
    text = """# Release
## After the release
| Metric | Target | Rollback |
|--------|--------|----------|
| Error rate | < 1 % | ROLLBACK IF > 2 % for 3 minutes |
| API p95 | ≤ 300 ms | > 1.5 s |
| Apdex | >= 0.9 | — |
## Before the release
| Check | Owner |
|---|---|
| Index rebuilt | search |
## Contacts
| Role | Name | Phone |
|---|---|---|
| On-call | Dana | 555 |
## Troubleshooting
| Symptom | Fix |
|---|---|
| Slow | Warm the cache |
"""
    checklist = parse_checklist(text)
    got = [(i.title, i.phase, i.rollback_trigger, i.threshold) for i in checklist.items]
    assert [(t, p, r) for t, p, r, _ in got] == [
        ("Error rate < 1 %", "post", False),
        ("Error rate: roll back if > 2 % for 3 minutes", "post", True),
        ("API p95 ≤ 300 ms", "post", False),
        ("API p95: roll back if > 1.5 s", "post", True),
        ("Apdex >= 0.9", "post", False),
        ("Index rebuilt", "pre", False),
    ]
    rules = {t.name: t.rule for *_, t in got if t is not None}
    assert rules == {
        "error_rate": "< 1%",
        "error_rate_rollback": "<= 2%",
        "api_p95_ms": "<= 300ms",
        "api_p95_rollback_s": "<= 1.5s",
        "apdex": ">= 0.9",
    }
    assert [i.line_number for i in checklist.items][:3] == [5, 5, 6]

    write_suite(checklist, tmp_path, source="release.md")
    cfg = load_config(tmp_path, env_name=None)
    assert {n: s.rule.text for n, s in cfg.thresholds.items()} == rules
    for spec in cfg.thresholds.values():
        parse_rule(spec.rule.text)
    assert parse_rule(rules["error_rate_rollback"]).passes(0.015, name="error_rate_rollback")
    assert not parse_rule(rules["error_rate_rollback"]).passes(0.03, name="error_rate_rollback")


# -- things that are not items -------------------------------------------------------------------


def test_choices_are_one_check() -> None:
    text = """# Release
## Pre-deployment
Repository visibility (choose one):
- [ ] Public
- [ ] Private

- [ ] README updated
- [ ] Hosting: Netlify
- [ ] **or**
- [ ] Hosting: S3
- [ ] Option A: blue/green
- [ ] Option B: rolling update
- [ ] Yes
- [ ] No
**Final status:**
- [ ] Successful
- [ ] Rolled back
"""
    assert titles(text) == [
        "Repository visibility (choose one): Public / Private",
        "README updated",
        "Hosting: Netlify / Hosting: S3",
        "Option A: blue/green / Option B: rolling update",
        "Yes / No",
        "Final status: Successful / Rolled back",
    ]


def test_placeholders_samples_troubleshooting_and_branches_are_not_checks() -> None:
    text = """# Release
Using branch: ______
## Pre-deployment
- [ ] Using branch: ______
- [ ] Date: ____
- [ ] Backup completed (timestamp: ________)
Expected output:
- [ ] 0 errors
```
ok
```
If health checks fail:
- [ ] Restart the pods
## If the migration fails
- [ ] Restore the dump
## Troubleshooting
1. Check the logs
## Go/No-Go
- [ ] Error budget left
If GO:
- [ ] Announce
If NO-GO:
- [ ] Tell the team
## Rollback
### If the deployment fails
1. Redeploy the previous tag
"""
    assert phases(text) == [
        ("Backup completed", "pre"),
        ("Error budget left", "pre"),
        ("Redeploy the previous tag", "rollback"),  # inside a rollback plan it is a step
    ]


def test_indented_code_and_quoted_items() -> None:
    text = """# Release
## Pre-deployment

    - [ ] an indented code line, not an item
    1. Neither is this
## Post-deployment
    - [ ] code right under a heading is code too

> - [ ] A quoted item is an item
> > - [ ] Twice quoted too

- [ ] Plain item
    continued lazily, a note
"""
    checklist = parse_checklist(text)
    assert titles(text) == ["A quoted item is an item", "Twice quoted too", "Plain item"]
    assert checklist.items[-1].notes == ("continued lazily, a note",)


# -- titles and roles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Touch screen calibrated:", "Touch screen calibrated"),
        ("Printer paper loaded ✅", "Printer paper loaded"),
        ("✅ Deployment Successful", "Deployment Successful"),
        ("⚠️ Minor issues", "Minor issues"),
        ('*"Hello"* reply sent', '"Hello" reply sent'),
        ("**Backup** `pg_dump` done", "Backup pg_dump done"),
        ("See [the runbook](http://x/runbook) section 2", "See the runbook section 2"),
        ("~~old~~ new check", "old new check"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("2 * 3 = 6 stays", "2 * 3 = 6 stays"),
        ("Temperature below 30 °C", "Temperature below 30 °C"),
    ],
)
def test_titles(text: str, title: str) -> None:
    assert clean_title(text) == title


def test_sibling_items_share_one_role() -> None:
    text = """# Release
## Functional testing
- [ ] User signup
- [ ] Login tests pass
- [ ] Checkout tests pass
- [ ] Search tests pass
- [ ] Smoke test of the admin
## Database
- [ ] Backup taken
- [ ] Release notes sent to users
"""
    checklist = parse_checklist(text)
    assert [section_role(s) for s in checklist.sections] == ["qa", "dba"]


def test_generated_file_says_why_each_phase(tmp_path: Path) -> None:
    text = "# R\n## Pre-Go-Live\n- [ ] Backup taken\n## Roll back if\n- Errors above 5 %\n"
    result = write_suite(parse_checklist(text), tmp_path, source="r.md")
    source = "\n".join(p.read_text(encoding="utf-8") for p in result.test_files)
    assert '# checklist line 3; phase pre: heading "Pre-Go-Live"' in source
    assert '# checklist line 5; phase post: rollback criteria: heading "Roll back if"' in source
    assert '@pytest.mark.rollback_trigger("Errors above 5 %")' in source
    config = (tmp_path / "deployready.toml").read_text(encoding="utf-8")
    assert 'phases = ["pre", "post"]' in config
    assert 'errors_rollback = "<= 5%"  # line 5' in config
