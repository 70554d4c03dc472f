"""Turn a Markdown checklist's lines into blocks: headings, list entries, text, tables, code.

ATX and setext headings, list entries (checkbox or not, numbered or not, with their depth),
paragraphs of text, pipe tables with their header, fenced and 4-space indented code; ``>``
quotes are read as their content. :mod:`._parse` then decides which blocks are checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pytest_deployready.scaffold._model import CodeBlock

__all__ = ["EMPTY_CELL", "Block", "lex"]

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*$")
_LIST = re.compile(r"^(\s*)([-*+•]|\d+[.)])\s+(?:\[([ xX✓✔])\]\s+(?=\S))?(\S.*?)\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
EMPTY_CELL = re.compile(r"^(?:[-\u2013\u2014]*|n/?a|none|no|nein|non|nao|ninguno)$", re.I)


# -----------------------------------------------------------------------------------------------


@dataclass
class Block:
    kind: str  # heading, list, text, table, code, blank, rule
    line: int
    indent: int = 0
    text: str = ""
    level: int = 0
    box: str | None = None  # " " or "x" for a checkbox, None for a plain list entry
    numbered: bool = False
    code: CodeBlock | None = None
    rows: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    row_lines: list[int] = field(default_factory=list)
    children: bool = False  # a list entry with deeper list entries right below it
    boxed_children: bool = False


def _unquote(line: str) -> str:
    while _QUOTE.match(line):
        line = _QUOTE.sub("", line, count=1)
    return line


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body.removeprefix("|").removesuffix("|")
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


def lex(text: str) -> list[Block]:
    lines = [_unquote(x) for x in text.expandtabs(4).splitlines()]
    out: list[Block] = []
    list_open = False
    prev_blank = True
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        fence = _FENCE.match(line)
        if fence:
            f_indent, marks, lang = len(fence.group(1)), fence.group(2), fence.group(3).lower()
            body: list[str] = []
            j = i + 1
            while j < len(lines):
                closing = lines[j].strip()
                if closing.startswith(marks[0] * len(marks)) and not closing.strip(marks[0]):
                    break
                lead = len(lines[j]) - len(lines[j].lstrip(" "))
                body.append(lines[j][min(lead, f_indent) :])
                j += 1
            code = CodeBlock(lang, "\n".join(body).rstrip(), i + 1)
            out.append(Block("code", i + 1, indent=f_indent, code=code))
            i, prev_blank = j + 1, False
            continue
        if not stripped:
            out.append(Block("blank", i + 1))
            i, prev_blank = i + 1, True
            continue
        after_block = bool(out) and out[-1].kind in ("heading", "rule")
        if indent >= 4 and not list_open and (prev_blank or after_block):  # indented code
            j, body = i, []
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith("    ")):
                body.append(lines[j][4:])
                j += 1
            code = CodeBlock("", "\n".join(body).rstrip(), i + 1)
            out.append(Block("code", i + 1, indent=4, code=code))
            i, prev_blank = j, False
            continue
        heading = _HEADING.match(line)
        if heading:
            out.append(Block("heading", i + 1, text=heading.group(2), level=len(heading.group(1))))
            i, prev_blank, list_open = i + 1, False, False
            continue
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        listed = _LIST.match(line)
        if (
            indent < 4
            and not listed
            and prev_blank
            and "|" not in stripped
            and (re.fullmatch(r"=+", nxt) or re.fullmatch(r"-{2,}", nxt))
        ):
            out.append(Block("heading", i + 1, text=stripped, level=1 if nxt[0] == "=" else 2))
            i, prev_blank, list_open = i + 2, False, False
            continue
        if re.fullmatch(r"(?:[-*_]\s*){3,}", stripped):
            out.append(Block("rule", i + 1))
            i, prev_blank, list_open = i + 1, False, False
            continue
        if listed:
            box = listed.group(3)
            out.append(
                Block(
                    "list",
                    i + 1,
                    indent=len(listed.group(1)),
                    text=listed.group(4),
                    box=None if box is None else (" " if box == " " else "x"),
                    numbered=listed.group(2)[0].isdigit(),
                )
            )
            i, prev_blank, list_open = i + 1, False, True
            continue
        if stripped.startswith("|") or ("|" in stripped and _TABLE_SEP.match(nxt)):
            rows: list[list[str]] = []
            numbers: list[int] = []
            header: list[str] = []
            j = i
            while j < len(lines) and lines[j].strip() and "|" in lines[j]:
                if _TABLE_SEP.match(lines[j]):
                    if j == i + 1 and rows:
                        header = rows.pop()
                        numbers.pop()
                else:
                    rows.append(_cells(lines[j]))
                    numbers.append(j + 1)
                j += 1
            out.append(Block("table", i + 1, header=header, rows=rows, row_lines=numbers))
            i, prev_blank, list_open = j, False, False
            continue
        if indent == 0 and prev_blank:
            list_open = False
        out.append(Block("text", i + 1, indent=indent, text=stripped))
        i, prev_blank = i + 1, False
    _mark_children(out)
    return out


def _mark_children(blocks: list[Block]) -> None:
    """Mark list entries that have deeper entries below them (before the list ends)."""
    for n, block in enumerate(blocks):
        if block.kind != "list":
            continue
        for later in blocks[n + 1 :]:
            if later.kind in ("heading", "table", "rule"):
                break
            if later.kind == "text" and later.indent <= block.indent:
                break
            if later.kind != "list":
                continue
            if later.indent <= block.indent:
                break
            block.children = True
            if later.box is not None:
                block.boxed_children = True
