"""What a parsed checklist is: sections of items, each with its phase and why; title cleaning.

Example::

    checklist = parse_checklist(text)
    item = checklist.items[0]
    item.title, item.phase, item.phase_reason   # ('Backup taken', 'pre', 'heading "Pre-Go-Live"')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_deployready._vocabulary import DEFAULT_PHASES

__all__ = [
    "Checklist",
    "CodeBlock",
    "Item",
    "Section",
    "Threshold",
    "clean_title",
    "strip_markdown",
]


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of the checklist: ``CodeBlock("sql", "SELECT 1", 23)``."""

    lang: str
    code: str
    line_number: int

    @property
    def is_sql(self) -> bool:
        """True for ```` ```sql ```` (and psql/postgresql) blocks."""
        return self.lang in ("sql", "psql", "postgresql", "pgsql")

    def comments(self) -> list[str]:
        """The block's comment lines (``#``, ``--``, ``//``) without their marker."""
        found: list[str] = []
        for line in self.code.splitlines():
            m = re.match(r"\s*(?:#(?!!)|--|//)\s*(.*\S)", line)
            if m:
                found.append(m.group(1))
        return found


@dataclass(frozen=True)
class Threshold:
    """A rule read from the checklist, for ``[thresholds]``: ``Threshold("error_rate", "< 1%")``."""

    name: str
    rule: str


@dataclass(frozen=True)
class Item:
    """One check of the checklist: ``Item("Redis persistence enabled", False, ...)``.

    ``text`` is the repaired item text as written (Markdown kept); :attr:`title` cleans it.
    ``phase_reason`` says which heading, label or word decided ``phase``.
    """

    text: str
    checked: bool
    section: str
    phase: str
    line_number: int
    code_blocks: tuple[CodeBlock, ...] = ()
    parent: str | None = None
    notes: tuple[str, ...] = ()
    hidden: bool = False
    rollback_trigger: bool = False
    phase_reason: str = ""
    kind: str = "checkbox"
    threshold: Threshold | None = None

    @property
    def title(self) -> str:
        """The item text without Markdown, emoji and trailing colon: the check's title."""
        return clean_title(self.text)


@dataclass(frozen=True)
class Section:
    """A heading of the checklist with its items: ``Section("Pre / Backup", "pre", 17, ...)``."""

    title: str
    phase: str
    line_number: int
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklist:
    """A parsed checklist: title (first H1) and its sections in document order.

    Example::

        checklist = parse_checklist(text)
        len(checklist.items), checklist.phase_counts()   # (62, {'pre': 12, ...})
    """

    title: str
    sections: tuple[Section, ...]

    @property
    def items(self) -> list[Item]:
        """All items in document order."""
        return [item for section in self.sections for item in section.items]

    def phases(self, order: Sequence[str] = DEFAULT_PHASES) -> list[str]:
        """The phases that occur, in ``order`` (unknown ones after it)."""
        found = {item.phase for item in self.items}
        return [p for p in order if p in found] + sorted(found - set(order))

    def phase_counts(self, phases: Sequence[str] | None = None) -> dict[str, int]:
        """Number of items per phase: every phase of ``phases`` (default: those that occur)."""
        counts = dict.fromkeys(self.phases() if phases is None else phases, 0)
        for item in self.items:
            counts[item.phase] = counts.get(item.phase, 0) + 1
        return counts


# -- text ----------------------------------------------------------------------------------------


def strip_markdown(text: str) -> str:
    """Remove ``**`` and backticks: ``strip_markdown("**Run** `x`")`` -> ``'Run x'``."""
    text = text.replace("**", "").replace("`", "")
    return re.sub(r"\s+", " ", text).strip()


def _is_decoration(char: str) -> bool:
    """Emoji, pictographs, check marks, variation selectors and joiners."""
    if char in "\ufe0e\ufe0f\u200d\u20e3":
        return True
    return unicodedata.category(char) in ("So", "Cs", "Co") and char not in "°©®™"


def clean_title(text: str) -> str:
    """A check title as a person would write it: no Markdown, emoji or trailing colon.

    Example::

        clean_title('**Backup** `pg_dump` done ✅:')   # 'Backup pg_dump done'
        clean_title('*"Hello"* reply [docs](http://x)')   # '"Hello" reply docs'
    """
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images: their text
    text = re.sub(r"<br\s*/?>|</?\w+[^>]*>", " ", text)
    text = text.replace("**", "").replace("__", "").replace("`", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*]*?\S)\*(?![\w*])", r"\1", text)  # *emphasis*
    text = re.sub(r"(?<![\w_])_(?=\S)([^_]*?\S)_(?![\w_])", r"\1", text)
    text = re.sub(r"~~(.*?)~~", r"\1", text)
    text = "".join(" " if _is_decoration(c) else c for c in text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(?:\[[ xX]\]\s*)+", "", text)
    text = text.rstrip(":\uff1a").rstrip()  # ASCII and full-width colon
    text = re.sub(r"\s+([,.;:!?])(?=\s|$)", r"\1", text)
    return text.strip(" -\u2013\u2014*")
