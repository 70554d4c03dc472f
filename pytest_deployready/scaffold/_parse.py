"""Read a Markdown checklist as a person does: its items, the phase of each and why.

Two passes. :func:`._blocks.lex` turns lines into blocks (headings, list entries, text, tables,
code). The :class:`_Reader` then walks the blocks with a context stack of headings and group
labels and decides, for each block, whether it is a check:

* **checkbox items** (``- [ ]``, ``1. [x]``, at any depth): always, except placeholders
  (``Using branch: ______``) and items inside troubleshooting, sample-output or GO/NO-GO blocks;
  a checkbox ending with ``:`` that has sub-items is a group label, not a check;
* **numbered steps** (``1. Run migrations``) and **plain bullets** under a heading or label
  that names a phase, a check list or rollback criteria: when the heading's own body has no
  checkbox (a list of checkboxes with numbered notes is not read twice);
* **table rows** of a table of checks or thresholds (a column named check, metric, threshold,
  target, criteria, rollback...): one check per row, plus a rollback-trigger check for a row with
  a rollback criterion;
* **code checks**: under a heading without any other item, a fenced block that is a check (see
  :func:`_is_code_check`).

Either/or choices (children of "Choose one:", or items joined by an "or" line) are one check.

Phases (see :mod:`._phases`): the nearest *qualified* phase name (pre-deployment, after go-live,
T-1 day, rollback, "Antes del despliegue") among the document title, the headings above the
item and its group labels wins; else the nearest generic one (smoke tests, monitoring, set-up,
go-live); else ``pre``. A heading's phase holds for its sub-headings, never for the next sibling.
"Day N"/"week N" headings are placed before, at or after the launch when one of them names it.
Rollback criteria ("Roll back if", "When to rollback", "Quando fazer rollback") are ``post``
checks with ``rollback_trigger``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pytest_deployready.scaffold._blocks import EMPTY_CELL, Block, lex
from pytest_deployready.scaffold._model import (
    Checklist,
    CodeBlock,
    Item,
    Section,
    Threshold,
    clean_title,
    strip_markdown,
)
from pytest_deployready.scaffold._mojibake import repair_mojibake
from pytest_deployready.scaffold._phases import (
    QUALIFIED,
    fold,
    heading_phase,
    is_choice_label,
    is_trigger,
    item_is_trigger,
    launch_words,
    non_item_kind,
    phase_strength,
    time_range,
)

__all__ = ["parse_checklist", "threshold_of"]

_PLACEHOLDER = re.compile(r"_{3,}|\.{5,}|…{2,}|\[\s*(?:tbd|todo|fill in)\s*\]", re.I)
_OR_LINE = re.compile(r"^\W*(?:or|oder|ou|o)\W*$", re.I)
_CHECK_WORDS = re.compile(
    r"\b(?:expect|should|verif|check(?!out)|validat|ensur|confirm|target|success|assert|test"
    r"|monitor)",
    re.I,
)
_CHECKISH = re.compile(
    r"\b(?:checks?|checklists?|verify|verification|criteria|criterion|triggers?|requirements?"
    r"|tests?|steps?|tasks?|validation|readiness|to-?dos?|gates?|conditions?|procedures?"
    r"|runbook|actions?|verificar|comprobar|comprobaciones|lista|pasos|passos|tarefas|tareas"
    r"|verificacoes|verificaciones|prufungen|prufen|schritte|aufgaben|etapes|taches|verifier"
    r"|verifications|criteres|criterios|kriterien|controles|kontrollen|metricas|metriques)\b"
)
_TABLE_CHECKISH = re.compile(
    r"\b(?:check|item|task|step|metric|kpi|slo|sli|criteri\w*|threshold|target|limit|test"
    r"|verif\w*|requirement|condition|signal|trigger|rollback|roll back|expected|status|done"
    r"|umbral|metrica|objetivo|criterio|schwellenwert|kennzahl|ziel|grenzwert|seuil|cible"
    r"|metrique|critere|limite|alvo|meta|prufung|controle|control)s?\b"
)
_TABLE_PEOPLE = re.compile(r"\b(?:contact|phone|email|e-mail|slack|pager|on-?call|signature)\b")
_TARGET_COL = re.compile(
    r"\b(?:threshold|target|limit|expected|goal|slo|objetivo|umbral|alvo|meta|ziel|grenzwert"
    r"|schwellenwert|seuil|cible|limite|criteri\w*|pass|ok|normal|good)\b"
)
_ROLLBACK_COL = re.compile(
    r"\b(?:roll[\s-]?back|abort|trigger|revert\w*|no[\s-]?go|reverter|revertir|reversao"
    r"|reversion|zuruck\w*|retour)\b"
)
_PHASE_COL = re.compile(r"^(?:phase|when|stage|fase|etape|zeitpunkt|momento|quand)$")


# -- thresholds -----------------------------------------------------------------------------------

_CMP = re.compile(
    r"(?P<op><=|>=|=<|=>|≤|≥|<|>|==|\b(?:less than|under|below|more than|over|above"
    r"|greater than|at least|at most|min(?:imum)?|max(?:imum)?)\b)\s*:?\s*"
    r"(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>ms|milliseconds?|msec|s|secs?|seconds?|%|percent)?"
    r"(?![\w.])",
    re.I,
)
_WORD_OPS = {
    "less than": "<",
    "under": "<",
    "below": "<",
    "more than": ">",
    "over": ">",
    "above": ">",
    "greater than": ">",
    "at least": ">=",
    "min": ">=",
    "minimum": ">=",
    "at most": "<=",
    "max": "<=",
    "maximum": "<=",
}
_NEGATE = {"<": ">=", ">": "<=", "<=": ">", ">=": "<", "==": "!=", "!=": "=="}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(text).encode("ascii", "ignore").decode()).strip("_")


def threshold_of(metric: str, rule_text: str, *, trigger: bool = False) -> Threshold | None:
    """A ``[thresholds]`` rule from a metric name and a written limit; None if none is read.

    For a rollback criterion the rule is the condition under which *no* rollback is needed.

    Example::

        threshold_of("Error rate", "< 1 %")             # Threshold('error_rate', '< 1%')
        threshold_of("p95", "> 1500 ms", trigger=True)  # ('p95_rollback_ms', '<= 1500ms')
    """
    m = _CMP.search(rule_text)
    name = _slug(clean_title(metric))[:40].strip("_")
    if not m or not name or not re.search(r"[a-z]", name):
        return None
    op = m.group("op").lower()
    op = _WORD_OPS.get(op, op).replace("≤", "<=").replace("≥", ">=")
    op = {"=<": "<=", "=>": ">="}.get(op, op)
    unit = (m.group("unit") or "").lower()
    unit = "ms" if unit.startswith("m") else "%" if unit in ("%", "percent") else unit[:1]
    if trigger:
        op = _NEGATE[op]
    name = re.sub(r"_(?:ms|s|seconds|pct|percent)$", "", name)
    name += "_rollback" if trigger else ""
    name += {"ms": "_ms", "s": "_s"}.get(unit, "")
    rule = f"{op} {m.group('num').replace(',', '.')}{unit}"
    from pytest_deployready._rules import RuleError, parse_rule

    try:
        parse_rule(rule)
    except RuleError:
        return None
    return Threshold(name, rule)


def _metric_of(text: str) -> str:
    """The metric an item names before its limit: "API p95 < 200 ms" -> "API p95"."""
    title = clean_title(text)
    m = _CMP.search(title)
    if not m:
        return ""
    before = re.sub(
        r"\b(?:is|are|stays?|remains?|must be|should be|below|under)\s*$",
        "",
        title[: m.start()].strip(" :-—="),
    ).strip(" :-—=")
    before = re.sub(
        r"^(?:roll\s*back|rollback|abort|revert)\s+(?:if|when)\s+", "", before, flags=re.I
    )
    return before if 0 < len(before.split()) <= 6 else ""


# -- reading --------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    """A heading, the document title or a group label: what it says about its items."""

    kind: str  # title, heading, label
    text: str
    level: int  # heading level; labels: list indent + 10 (deeper than any heading)
    phase: tuple[str, int] | None  # phase and strength (see _phases.phase_strength)
    trigger: bool
    skip: str | None  # a non-item kind
    choice: bool = False
    checkish: bool = False
    choice_item: _Draft | None = None
    used: bool = False
    note: str = ""  # why the phase differs from what the words say


@dataclass
class _Draft:
    text: str
    checked: bool
    line: int
    indent: int
    parent: str | None
    phase: str
    reason: str
    trigger: bool
    kind: str
    blocks: list[CodeBlock] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    threshold: Threshold | None = None


@dataclass
class _SectionDraft:
    path: tuple[str, ...]
    heading: str
    line: int
    phase: str
    reason: str
    trigger: bool
    skip: str | None
    boxes: bool
    items: list[_Draft] = field(default_factory=list)
    loose: list[tuple[CodeBlock, str]] = field(default_factory=list)


def _is_code_check(block: CodeBlock, heading: str, label: str) -> bool:
    """A fenced block under a heading without items that checks something (SQL or check words)."""
    if not block.code.strip():
        return False
    if block.is_sql:
        return True
    return any(_CHECK_WORDS.search(text) for text in (heading, label, *block.comments()))


def _label(text: str) -> str:
    text = strip_markdown(text)
    text = re.sub(r"^(?:[-*+]\s+|\d+[.)]\s+|step\s+\d+\s*[:.-]\s*)+", "", text, flags=re.I)
    return text.rstrip(":").strip()


def _hidden_title(block: CodeBlock, heading: str, label: str) -> str:
    detail = _label(label) if label else ""
    if not detail:
        comments = [c for c in (_label(c) for c in block.comments()) if c]
        lines = [line.strip() for line in block.code.splitlines() if line.strip()]
        detail = comments[0] if comments else (lines[0] if lines else "")
    head = _label(heading)
    if not detail or detail.lower() == head.lower():
        return head
    return f"{head}: {detail}" if head else detail


def _clean_heading(text: str) -> str:
    """Heading text without Markdown and without decoration at either end (emoji, marks)."""
    text = clean_title(text.strip().rstrip("#").strip()) or strip_markdown(text)
    words = text.split()
    while words and not re.search(r"[A-Za-z0-9]", words[0]):  # leftovers of broken emoji
        words.pop(0)
    while words and not re.search(r"[A-Za-z0-9]", words[-1]):
        words.pop()
    return " ".join(words) or text


_ALTERNATIVES = (
    re.compile(r"^(?:option|variant|alternative|opcion|opcao|variante)\s+[a-z0-9]\b"),
    re.compile(
        r"^(?:yes|no|si|sim|nao|ja|nein|oui|non)$|^(?:public|private|publico|privado|publique"
        r"|prive)$|^(?:go|no-?go)$|^(?:pass|fail)$|^(?:enabled?|disabled?|on|off)$"
    ),
)


def _alternatives(previous: str, title: str) -> bool:
    """Two siblings that are one choice: "Option A: ..."/"Option B: ...", "Public"/"Private"."""
    a = fold(previous.split(" / ")[-1]).strip()
    b = fold(title).strip()
    return any(p.search(a) and p.search(b) for p in _ALTERNATIVES)


def _is_text_label(text: str) -> bool:
    """A paragraph that labels what follows: "Before deployment:", "**Deploy**"."""
    plain = strip_markdown(text)
    if re.fullmatch(r"\*\*[^*]+\*\*:?|__[^_]+__:?", text.strip()):
        return True
    return plain.endswith(":") and len(plain.split()) <= 12


class _Reader:
    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks
        self.title = ""
        self.stack: list[_Ctx] = []
        self.labels: list[_Ctx] = []  # group labels of the current section, outer first
        self.sections: list[_SectionDraft] = []
        self.section: _SectionDraft | None = None
        self.open_items: list[_Draft] = []
        self.last_text = ""
        self.or_pending = False
        self.anchor: tuple[int, int, int] | None = self._find_anchor()
        self.launch_line = next(  # the first heading that is the launch itself
            (
                b.line
                for b in blocks
                if b.kind == "heading"
                and (found := phase_strength(b.text)) is not None
                and found[0] == "deploy"
                and found[1] >= 1
            ),
            None,
        )

    # -- context ---------------------------------------------------------------------------------

    def _find_anchor(self) -> tuple[int, int, int] | None:
        """(level, first day, last day) of the heading that names the launch by day or week."""
        for b in self.blocks:
            if b.kind == "heading":
                days = time_range(b.text)
                if days and launch_words(b.text):
                    return b.level, days[0], days[1]
        return None

    def _ctx(self, kind: str, text: str, level: int) -> _Ctx:
        phase = phase_strength(text)
        days = time_range(text)
        if self.anchor and days and (phase is None or phase[1] < QUALIFIED) and kind == "heading":
            _, start, end = self.anchor
            if days[1] < start:
                phase = ("pre", QUALIFIED)
            elif days[0] > end:
                phase = ("post", QUALIFIED)
            else:
                phase = ("deploy", QUALIFIED)
        if kind == "label" and phase is not None and phase[1] < QUALIFIED:
            short = len(re.findall(r"\w+", text)) <= 3
            in_rollback = any(c.phase == ("rollback", QUALIFIED) for c in self.stack)
            if short and not in_rollback:  # "Deploy:", "Verify:" group what follows
                phase = (phase[0], QUALIFIED)
        folded = fold(text)
        return _Ctx(
            kind=kind,
            text=text,
            level=level,
            phase=phase,
            trigger=is_trigger(text),
            skip=non_item_kind(text),
            choice=is_choice_label(text),
            checkish=bool(_CHECKISH.search(folded))
            or (phase is not None and phase[1] == QUALIFIED)
            or is_trigger(text),
        )

    def _contexts(self) -> list[_Ctx]:
        return [*self.stack, *self.labels]

    def _resolve(self, extra: _Ctx | None = None) -> tuple[str, str, bool]:
        """(phase, reason, rollback trigger) from the title, headings and labels in effect."""
        ctxs = self._contexts() + ([extra] if extra else [])
        triggers = [c for c in ctxs if c.trigger]
        if triggers:
            return "post", f'rollback criteria: {triggers[-1].kind} "{triggers[-1].text}"', True
        named = [(n, c, c.phase) for n, c in enumerate(ctxs) if c.phase is not None]
        qualified = [x for x in named if x[2][1] == QUALIFIED]
        chosen = qualified[-1] if qualified else None
        if chosen is None or chosen[2][0] != "rollback":
            # an event below the nearest qualified name ("Go-Live" in a pre-deployment list)
            after = chosen[0] if chosen else -1
            events = [x for x in named if x[0] > after and x[2][1] == 1]
            chosen = events[-1] if events else chosen
        if chosen is None and named:
            chosen = named[-1]
        if chosen is not None:
            c = chosen[1]
            return chosen[2][0], f'{c.kind} "{c.text}"{c.note}', False
        return "pre", "no heading names a phase: pre by default", False

    def _skip(self, plain: bool) -> str | None:
        """The non-item block in effect (reference blocks only stop plain-list items)."""
        for c in reversed(self._contexts()):
            if not c.skip or (c.skip == "reference" and not plain):
                continue
            if c.skip != "troubleshooting" or not self._in_rollback():  # "If it fails: restore"
                return c.skip
        return None

    def _in_rollback(self) -> bool:
        return any(c.phase is not None and c.phase[0] == "rollback" for c in self.stack)

    # -- blocks ----------------------------------------------------------------------------------

    def read(self) -> Checklist:
        section_boxes = self._section_boxes()
        for n, block in enumerate(self.blocks):
            if block.kind == "heading":
                self.heading(block, section_boxes.get(n, False))
            elif block.kind == "list":
                self.entry(block)
            elif block.kind == "text":
                self.text(block)
            elif block.kind == "table":
                self.table(block)
            elif block.kind == "code" and block.code is not None:
                self.code(block.code)
            elif block.kind == "rule":
                self.labels = []
            elif block.kind == "blank":  # a blank line ends a choice ("Choose one:") list
                self.labels = [c for c in self.labels if c.choice_item is None]
        return self.finish()

    def _section_boxes(self) -> dict[int, bool]:
        found: dict[int, bool] = {}
        current = -1
        for n, block in enumerate(self.blocks):
            if block.kind == "heading":
                current = n
            elif block.kind == "list" and block.box is not None:
                found[current] = True
        return found

    def heading(self, block: Block, boxes: bool) -> None:
        text = _clean_heading(block.text)
        if not self.title and not self.sections and not self.stack and block.level == 1:
            self.title = strip_markdown(block.text.strip().rstrip("#").strip()) or text
            ctx = self._ctx("title", text, 0)
            if ctx.phase is not None and ctx.phase[1] < QUALIFIED:
                ctx.phase = None  # "Production Deployment Checklist" names no side
            ctx.skip = None
            self.stack = [ctx]
            self._open((), "", block.line, boxes)
            return
        while self.stack and self.stack[-1].kind != "title" and self.stack[-1].level >= block.level:
            self.stack.pop()
        ctx = self._ctx("heading", text, block.level)
        if (
            ctx.phase == ("post", 0)
            and self.launch_line is not None
            and block.line < self.launch_line
            and not any(c.phase for c in self.stack if c.kind == "heading")
        ):  # "Monitoring" set up before the launch heading is preparation
            ctx.phase = ("pre", 0)
            ctx.note = " (before the launch)"
        self.stack.append(ctx)
        path = tuple(c.text for c in self.stack if c.kind == "heading")
        self._open(path, text, block.line, boxes)

    def _open(self, path: tuple[str, ...], heading: str, line: int, boxes: bool) -> None:
        self.labels = []
        phase, reason, trigger = self._resolve()
        self.section = _SectionDraft(
            path, heading, line, phase, reason, trigger, self._skip(plain=True), boxes
        )
        self.sections.append(self.section)
        self.open_items = []
        self.last_text = ""
        self.or_pending = False

    def _current(self, line: int) -> _SectionDraft:
        if self.section is None:
            self._open(
                (), "", line, any(b.box is not None for b in self.blocks if b.kind == "list")
            )
        assert self.section is not None
        return self.section

    def entry(self, block: Block) -> None:
        section = self._current(block.line)
        while self.open_items and self.open_items[-1].indent >= block.indent:
            self.open_items.pop()
        # list labels deeper than or level with this entry end here; text labels stay
        self.labels = [c for c in self.labels if c.kind != "label" or c.level - 10 < block.indent]
        owner = self.open_items[-1] if self.open_items else None
        for c in self.labels:
            c.used = True
        plain = block.box is None
        text = block.text
        title = clean_title(text)
        ends_colon = strip_markdown(text).rstrip().endswith(":")
        if plain and owner is not None and owner.kind != "label":
            owner.notes.append(strip_markdown(text))  # a plain line under an item: a note
            return
        named = heading_phase(title) is not None or is_trigger(title) or non_item_kind(title)
        if block.box is not None:
            is_label = block.children and ends_colon
        else:  # a plain step with sub-bullets is a step with notes, unless it names a group
            is_label = block.children and (block.boxed_children or (ends_colon and bool(named)))
        if is_label:
            ctx = self._ctx("label", title, block.indent + 10)
            self.labels.append(ctx)
            self.open_items.append(
                _Draft(text, False, block.line, block.indent, None, "", "", False, "label")
            )
            return
        if _OR_LINE.match(title) and section.items:
            self.or_pending = True
            return
        if self._skip(plain) or not title or not re.search(r"\w", title):
            return
        if _PLACEHOLDER.search(text):  # a form field: "Using branch: ____" is not a check
            text = re.sub(r"\([^()]*:\s*\)|\(\s*\)", "", _PLACEHOLDER.sub("", text)).rstrip()
            title = clean_title(text)
            if not title or strip_markdown(text).endswith(":"):
                return
        if non_item_kind(title) == "go/no-go branch":
            return
        if plain:
            checkish = any(c.checkish for c in self._contexts() if c.kind != "title")
            under_label = any(c.checkish for c in self.labels)  # "Roll back if:", "Verify:"
            if (section.boxes and not under_label) or not (block.numbered or checkish):
                return
            if re.fullmatch(r"\[[^\]]*\]\([^)]*\)\W*", text.strip()):
                return  # only a link
        choice = next((c for c in reversed(self._contexts()) if c.choice), None)
        if choice is not None and choice.choice_item is not None:
            choice.choice_item.text += f" / {title}"
            return
        previous = section.items[-1] if section.items else None
        same_level = previous is not None and previous.indent == block.indent
        if (
            same_level
            and previous is not None
            and (self.or_pending or _alternatives(clean_title(previous.text), title))
        ):
            previous.text += f" / {title}"
            self.or_pending = False
            return
        self.or_pending = False
        own = item_is_trigger(title)
        phase, reason, trigger = self._resolve()
        said = phase_strength(title)
        if own:
            phase, reason, trigger = "post", "rollback criterion in the item", True
        elif (
            said
            and said[1] == QUALIFIED
            and said[0] in ("pre", "post")
            and not trigger
            and not any(c.phase and c.phase[1] == QUALIFIED for c in self._contexts())
        ):
            phase, reason = said[0], f'the item says "{title}"'  # "Backup before the release"
        parent = next((clean_title(d.text) for d in reversed(self.open_items)), None)
        kind = "checkbox" if not plain else ("step" if block.numbered else "bullet")
        draft = _Draft(
            text, block.box == "x", block.line, block.indent, parent, phase, reason, trigger, kind
        )
        if choice is not None:
            draft.text = f"{choice.text}: {title}"
            choice.choice_item = draft
        metric = _metric_of(text)
        if metric:
            draft.threshold = threshold_of(metric, clean_title(text), trigger=trigger)
        section.items.append(draft)
        self.open_items.append(draft)
        self.last_text = ""

    def text(self, block: Block) -> None:
        stripped = block.text
        section = self._current(block.line)
        owners = [d for d in self.open_items if d.indent < block.indent]
        if owners and owners[-1].kind != "label":
            owners[-1].notes.append(strip_markdown(stripped))
            return
        if _OR_LINE.match(stripped) and section.items:
            self.or_pending = True
            return
        self.open_items = []
        if _is_text_label(stripped):
            label = clean_title(strip_markdown(stripped)) or stripped
            self.labels = [self._ctx("label", label, 10 + block.indent - 1)]
        elif block.indent == 0 and any(c.used for c in self.labels):
            self.labels = []  # prose after a label's list or block ends what the label covered
        if stripped.strip("-*_= ") and not stripped.startswith("|"):
            self.last_text = stripped

    def table(self, block: Block) -> None:
        section = self._current(block.line)
        self.open_items = []
        if self._skip(plain=False) or not block.rows:
            return
        header = [fold(strip_markdown(h)) for h in block.header]
        head = " ".join(header)
        ctx_trigger = any(c.trigger for c in self._contexts())
        checkish = bool(_TABLE_CHECKISH.search(head)) or ctx_trigger
        if _TABLE_PEOPLE.search(head) and not _TABLE_CHECKISH.search(head):
            return
        in_checks = any(c.checkish for c in self._contexts() if c.kind != "title")
        if not checkish and (section.boxes or not in_checks):
            return
        if non_item_kind(head) in ("troubleshooting",) or re.search(
            r"\b(?:symptom|cause|fix|solution|resolution)\b", head
        ):
            return
        ncols = max(len(r) for r in block.rows)
        names = header + [""] * (ncols - len(header))
        rollback_cols = [k for k, h in enumerate(names) if _ROLLBACK_COL.search(h)]
        target_cols = [
            k for k, h in enumerate(names) if _TARGET_COL.search(h) and k not in rollback_cols
        ]
        phase_cols = [k for k, h in enumerate(names) if _PHASE_COL.match(h.strip())]
        for row, line in zip(block.rows, block.row_lines, strict=True):
            cells = [strip_markdown(c) for c in row] + [""] * (ncols - len(row))
            name_col = next(
                (
                    k
                    for k, c in enumerate(cells)
                    if k not in rollback_cols + target_cols + phase_cols
                    and re.search(r"[^\W\d_]", clean_title(c))
                    and not re.fullmatch(r"\[[ xX]\]|[☐☑✅✓✔❌]", c.strip())
                ),
                None,
            )
            if name_col is None:
                continue
            name = clean_title(cells[name_col])
            if _PLACEHOLDER.search(cells[name_col]):
                continue
            targets = [cells[k] for k in target_cols if not EMPTY_CELL.match(cells[k])]
            if not targets:
                targets = [
                    c
                    for k, c in enumerate(cells)
                    if k != name_col
                    and k not in rollback_cols
                    and _CMP.search(c)
                    and not re.match(r"\W*roll", fold(c))
                ]
            rollbacks = [cells[k] for k in rollback_cols if not EMPTY_CELL.match(cells[k])]
            rollbacks += [
                c
                for k, c in enumerate(cells)
                if k not in rollback_cols and re.match(r"\W*(?:roll[\s-]?back|abort)\b", fold(c))
            ]
            row_ctx = None
            if phase_cols and cells[phase_cols[0]]:
                row_ctx = self._ctx("label", clean_title(cells[phase_cols[0]]), 99)
            phase, reason, _ = self._resolve(row_ctx)
            target = clean_title(targets[0]) if targets else ""
            if not (ctx_trigger and not rollback_cols):
                title = f"{name} {target}".strip() if target and target not in name else name
                draft = _Draft(title, False, line, 0, None, phase, reason, False, "table row")
                draft.threshold = threshold_of(name, target) if target else None
                if ctx_trigger:
                    draft.phase, draft.reason = self._resolve_untriggered(row_ctx)
                section.items.append(draft)
            else:
                rollbacks = rollbacks or targets
            for criterion in rollbacks[:1]:
                crit = re.sub(
                    r"^\W*(?:roll[\s-]?back|abort)\s*(?:if|when|:)?\s*",
                    "",
                    clean_title(criterion),
                    flags=re.I,
                )
                crit = crit or clean_title(criterion)
                draft = _Draft(
                    f"{name}: roll back if {crit}",
                    False,
                    line,
                    0,
                    None,
                    "post",
                    "rollback criterion in the table" if not ctx_trigger else reason,
                    True,
                    "table row",
                )
                draft.threshold = threshold_of(name, crit, trigger=True)
                section.items.append(draft)

    def _resolve_untriggered(self, extra: _Ctx | None) -> tuple[str, str]:
        saved = [(c, c.trigger) for c in self._contexts()]
        for c, _ in saved:
            c.trigger = False
        phase, reason, _ = self._resolve(extra)
        for c, t in saved:
            c.trigger = t
        return phase, reason

    def code(self, block: CodeBlock) -> None:
        section = self._current(block.line_number)
        for c in self.labels:
            c.used = True
        if self._skip(plain=False):
            return
        if section.items:  # the starting point of the check before it
            section.items[-1].blocks.append(block)
        else:
            section.loose.append((block, self.last_text))
        self.last_text = ""

    def finish(self) -> Checklist:
        sections: list[Section] = []
        for draft in self.sections:
            name = " / ".join(draft.path) or self.title or "Checklist"
            items: list[Item] = []
            if draft.items:
                draft.items[0].blocks[:0] = [b for b, _ in draft.loose]
                for d in draft.items:
                    items.append(
                        Item(
                            text=d.text,
                            checked=d.checked,
                            section=name,
                            phase=d.phase,
                            line_number=d.line,
                            code_blocks=tuple(d.blocks),
                            parent=d.parent,
                            notes=tuple(d.notes),
                            rollback_trigger=d.trigger,
                            phase_reason=d.reason,
                            kind=d.kind,
                            threshold=d.threshold,
                        )
                    )
            elif not draft.skip or draft.skip == "reference":
                for block, label in draft.loose:
                    if _is_code_check(block, draft.heading, label):
                        items.append(
                            Item(
                                text=_hidden_title(block, draft.heading, label),
                                checked=False,
                                section=name,
                                phase=draft.phase,
                                line_number=block.line_number,
                                code_blocks=(block,),
                                hidden=True,
                                rollback_trigger=draft.trigger,
                                phase_reason=draft.reason,
                                kind="code",
                            )
                        )
            if items:
                sections.append(Section(name, items[0].phase, draft.line, tuple(items)))
        return Checklist(self.title, tuple(sections))


def parse_checklist(text: str) -> Checklist:
    """Parse a Markdown checklist (repairing mojibake first) into sections, phases and items.

    Example::

        checklist = parse_checklist("## Pre-Deployment\\n- [ ] Backup taken\\n")
        checklist.items[0].phase   # 'pre'
    """
    return _Reader(lex(repair_mojibake(text))).read()
