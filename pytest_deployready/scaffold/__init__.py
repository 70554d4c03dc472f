"""``deployready scaffold``: turn a Markdown deployment checklist into a pytest suite.

The checklist is read as it is found in the wild: UTF-8, UTF-16 or a legacy code page, with
mojibake repaired (:mod:`._mojibake`). :func:`parse_checklist` (:mod:`._parse`) finds the items —
checkboxes, numbered steps, bullets under check headings, rows of check and threshold tables —
and decides each one's phase from the title, headings, group labels and time words
(:mod:`._phases`); :func:`write_suite` (:mod:`._write`) writes one test module per section with
one manual test per item, and a ``deployready.toml``. docs/scaffold.md has the full rules.

Example::

    checklist = parse_checklist(read_checklist(Path("CHECKLIST.md")))
    result = write_suite(checklist, Path("checks"))
    print(result.summary("CHECKLIST.md"))
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

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
from pytest_deployready.scaffold._parse import parse_checklist
from pytest_deployready.scaffold._phases import heading_phase
from pytest_deployready.scaffold._write import (
    GENERATED_MARK,
    ScaffoldError,
    ScaffoldResult,
    guess_role,
    section_role,
    unique_test_name,
    write_suite,
)

__all__ = [
    "GENERATED_MARK",
    "Checklist",
    "CodeBlock",
    "Item",
    "ScaffoldError",
    "ScaffoldResult",
    "Section",
    "Threshold",
    "clean_title",
    "guess_role",
    "heading_phase",
    "parse_checklist",
    "read_checklist",
    "repair_mojibake",
    "scaffold",
    "section_role",
    "strip_markdown",
    "unique_test_name",
    "write_suite",
]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode(data: bytes, path: Path) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError:
                raise ScaffoldError(
                    f"cannot read checklist {path}: it starts with a {codec} byte-order mark "
                    f"but is not valid {codec}"
                ) from None
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):  # UTF-16 without a BOM
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        codec = "utf-16-be" if even > odd else "utf-16-le"
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _looks_binary(text: str) -> bool:
    """NUL bytes or many control characters: not a Markdown text."""
    if "\x00" in text:
        return True
    controls = sum(
        1 for c in text[:8192] if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v"
    )
    return controls * 50 > max(len(text[:8192]), 1)


def read_checklist(path: Path) -> str:
    """Read a checklist file: UTF-8/16/32 by byte-order mark, UTF-16 by its NULs, UTF-8, else
    cp1252, else Latin-1; a binary file is a :class:`ScaffoldError`.

    Example::

        text = read_checklist(Path("CHECKLIST.md"))
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScaffoldError(f"checklist not found: {path}") from None
    except IsADirectoryError:
        raise ScaffoldError(f"checklist {path} is a directory, not a file") from None
    except OSError as exc:
        raise ScaffoldError(f"cannot read checklist {path}: {exc.strerror or exc}") from None
    text = _decode(data, path)
    if _looks_binary(text):
        raise ScaffoldError(
            f"cannot read checklist {path}: binary data or an unknown encoding, not Markdown text"
        )
    return text


def scaffold(
    checklist_path: Path, out_dir: Path, *, title: str | None = None, force: bool = False
) -> ScaffoldResult:
    """Read, parse and write in one go: what ``deployready scaffold`` does.

    A checklist in which no item is found is an error: nothing is written.

    Example::

        print(scaffold(Path("CHECKLIST.md"), Path("checks")).summary("CHECKLIST.md"))
    """
    text = read_checklist(checklist_path)
    checklist = parse_checklist(text)
    if not checklist.items:
        raise ScaffoldError(
            f"found no checklist items in {checklist_path} (checkboxes, numbered steps, "
            "bullets under check headings or check tables); nothing written"
        )
    return write_suite(checklist, out_dir, title, source=checklist_path.name, force=force)
