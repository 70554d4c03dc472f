"""Repair UTF-8 text that was decoded with an 8-bit code page (mojibake), where unambiguous."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

__all__ = ["repair_mojibake"]


#: The 8-bit code pages UTF-8 text is most often mis-decoded with, in order of preference.
_CODECS = ("cp1252", "cp1254", "mac_roman", "latin-1")
_SUSPICIOUS_RUN = re.compile(r"[^\x00-\x7f]+")


@cache
def _byte_map(codec: str) -> dict[str, int]:
    """char -> byte of ``codec`` for bytes 0x80-0xFF ("sloppy": undefined bytes map to C1)."""
    table: dict[str, int] = {}
    for b in range(0x80, 0x100):
        try:
            char = bytes([b]).decode(codec)
        except UnicodeDecodeError:
            char = chr(b)
        table.setdefault(char, b)
    return table


def _plausible(decoded: str, first: bool) -> bool:
    for i, char in enumerate(decoded):
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn"):
            return False
        if category == "Mn" and first and i == 0:
            return False  # a combining mark cannot start a repaired run
    return True


def _decode_run(run: str, codec: str) -> tuple[str, bool] | None:
    """Decode the UTF-8 sequences hidden in ``run``; (text, fully decoded) or None if none."""
    table = _byte_map(codec)
    out: list[str] = []
    changed = False
    full = True
    i = 0
    while i < len(run):
        lead = table.get(run[i])
        size = 0
        if lead is not None:
            size = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4
            size = size if 0xC2 <= lead <= 0xF4 else 0
        if size and i + size <= len(run):
            raw = [table.get(c) for c in run[i : i + size]]
            if all(b is not None for b in raw) and all(0x80 <= b <= 0xBF for b in raw[1:] if b):
                try:
                    decoded = bytes(b for b in raw if b is not None).decode("utf-8")
                except UnicodeDecodeError:
                    decoded = ""
                if decoded and _plausible(decoded, first=not out or not changed):
                    out.append(decoded)
                    changed = True
                    i += size
                    continue
        out.append(run[i])
        full = False
        i += 1
    return ("".join(out), full) if changed else None


def _repair_run(match: re.Match[str]) -> str:
    run = match.group(0)
    results = [r for r in (_decode_run(run, codec) for codec in _CODECS) if r is not None]
    for want_full in (True, False):
        candidates = {text for text, full in results if full == want_full}
        if len(candidates) == 1:
            return candidates.pop()
        if len(candidates) > 1:
            return run  # two code pages disagree: ambiguous, keep the original
    return run


def repair_mojibake(text: str) -> str:
    """Repair UTF-8 that was decoded as cp1252, cp1254, Mac Roman or Latin-1, where unambiguous.

    Each run of non-ASCII characters is re-encoded with every candidate code page and decoded
    as UTF-8; a run is replaced only when exactly one distinct repair results (full repairs
    preferred over partial ones) and the result is plausible text. Anything else is kept.

    Example::

        repair_mojibake("ðŸš€ Deploy âœ…")   # '🚀 Deploy ✅'
        repair_mojibake("üöÄ Launch")       # Mac Roman: '🚀 Launch'
        repair_mojibake("Café ✅")           # already fine: unchanged
    """
    return _SUSPICIOUS_RUN.sub(_repair_run, text)
