"""The scaffolder measured on a corpus of checklists written for this test, with ground truth.

Each checklist ``tests/data/scaffold_corpus/NAME.md`` (or ``.txt``) has a hand-written
``NAME.json``: the checks a person reads in it, each with a distinctive part of its text, its
phase and whether it is a rollback trigger. The files under ``heldout/`` were written after the
scaffolder was tuned on the others and were not used to tune it. The test prints recall,
precision, phase accuracy and trigger recall, and holds the bars of issue 13 on both sets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready.scaffold import parse_checklist, read_checklist
from pytest_deployready.scaffold._phases import fold

CORPUS = Path(__file__).resolve().parent / "data" / "scaffold_corpus"
#: Checklists: Markdown files, and a UTF-16 one as .txt (ruff cannot read it as Markdown)
SUFFIXES = (".md", ".txt")
TUNED = sorted(p for p in CORPUS.iterdir() if p.suffix in SUFFIXES)
HELDOUT = sorted(p for p in (CORPUS / "heldout").iterdir() if p.suffix in SUFFIXES)


def norm(text: str) -> str:
    """Texts compare by their words: ``norm("`/salud` responde 200")`` -> 'salud responde 200'."""
    return " ".join(re.findall(r"\w+", fold(text)))


@dataclass
class Score:
    """Counts over one or more files; the ratios are the issue's measures."""

    expected: int = 0
    predicted: int = 0
    matched: int = 0
    phase_right: int = 0
    triggers: int = 0
    triggers_found: int = 0

    def add(self, other: Score) -> None:
        for key in vars(self):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def phase_accuracy(self) -> float:
        return self.phase_right / self.matched if self.matched else 1.0

    @property
    def trigger_recall(self) -> float:
        return self.triggers_found / self.triggers if self.triggers else 1.0

    def line(self, name: str) -> str:
        return (
            f"{name:<28} items {self.matched:>3}/{self.expected:<3} recall {self.recall:6.1%}  "
            f"precision {self.precision:6.1%}  phase {self.phase_accuracy:6.1%}  "
            f"triggers {self.triggers_found}/{self.triggers}"
        )


#: (title, phase, rollback trigger) of each check a scaffolder found in a text
Reader = Callable[[str], Sequence[tuple[str, str, bool]]]


def scaffold_reader(text: str) -> list[tuple[str, str, bool]]:
    return [(i.title, i.phase, i.rollback_trigger) for i in parse_checklist(text).items]


def score_file(path: Path, reader: Reader = scaffold_reader) -> tuple[Score, list[str]]:
    """Match each expected check to the first unused found check that contains its text."""
    truth: list[dict[str, Any]] = json.loads(path.with_suffix(".json").read_text("utf-8"))["items"]
    found = list(reader(read_checklist(path)))
    used = [False] * len(found)
    score = Score(expected=len(truth), predicted=len(found))
    misses: list[str] = []
    for want in truth:
        key = norm(want["text"])
        trigger = bool(want.get("trigger", False))
        score.triggers += trigger
        hit = next(
            (n for n, (title, _, _) in enumerate(found) if not used[n] and key in norm(title)),
            None,
        )
        if hit is None:
            misses.append(f"missed: {want['text']!r}")
            continue
        used[hit] = True
        title, phase, is_trigger = found[hit]
        score.matched += 1
        if phase == want["phase"]:
            score.phase_right += 1
        else:
            misses.append(f"phase: {title!r} is {phase}, expected {want['phase']}")
        if trigger and is_trigger:
            score.triggers_found += 1
        elif trigger:
            misses.append(f"trigger: {title!r} is not a rollback trigger")
    misses += [f"extra: {found[n][0]!r}" for n in range(len(found)) if not used[n]]
    return score, misses


def score_corpus(files: Sequence[Path], reader: Reader = scaffold_reader) -> Score:
    total = Score()
    for path in files:
        score, misses = score_file(path, reader)
        print(score.line(path.name))
        for miss in misses:
            print(f"    {miss}")
        total.add(score)
    print(total.line(f"TOTAL ({len(files)} files)"))
    return total


def test_corpus_has_the_styles_of_issue_13() -> None:
    assert len(TUNED) >= 7 and len(HELDOUT) >= 3
    for path in [*TUNED, *HELDOUT]:
        assert path.with_suffix(".json").is_file(), path
    assert (CORPUS / "utf16-quoted-times.txt").read_bytes()[:2] == b"\xff\xfe"  # UTF-16 LE BOM


@pytest.mark.parametrize("files", [TUNED, HELDOUT], ids=["tuned", "heldout"])
def test_scaffold_metrics_meet_the_bars(files: list[Path]) -> None:
    total = score_corpus(files)
    assert total.recall >= 0.90
    assert total.precision >= 0.90
    assert total.phase_accuracy >= 0.90
    assert total.trigger_recall >= 0.80
