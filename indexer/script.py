"""Traditional/simplified script: detection and an offset-aligned simplified search form."""

from __future__ import annotations

import functools
import re

import opencc

SIMPLIFIED = "simplified"
TRADITIONAL = "traditional"

# Share of convertible characters that must be traditional to call a text traditional.
# Simplified reports contain a few characters OpenCC also treats as traditional variants
# (e.g. in names), so a small share is not enough.
TRADITIONAL_SHARE = 0.5


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@functools.lru_cache(maxsize=65536)
def _char_t2s(char: str) -> str:
    converted = _converter("t2s").convert(char)
    return converted if len(converted) == 1 else char


@functools.lru_cache(maxsize=65536)
def _char_s2t(char: str) -> str:
    converted = _converter("s2t").convert(char)
    return converted if len(converted) == 1 else char


def detect_script(text: str) -> str:
    """Return "traditional" when most script-specific characters are traditional, else "simplified"."""
    traditional = simplified = 0
    for char in text:
        if char < "\u3400":
            continue
        if _char_t2s(char) != char:
            traditional += 1
        elif _char_s2t(char) != char:
            simplified += 1
    specific = traditional + simplified
    if specific and traditional / specific >= TRADITIONAL_SHARE:
        return TRADITIONAL
    return SIMPLIFIED


@functools.cache
def _protected_names() -> re.Pattern | None:
    """Return a pattern of official simplified place names that OpenCC's t2s would change.

    乾安县 and 於潜镇 are official simplified names, yet t2s turns 乾 into 干 and 於 into 于.
    Where such a name occurs, its characters are kept as written.
    """
    from indexer.gazetteer import division_names

    names = set()
    for name in division_names():
        if _converter("t2s").convert(name) != name:
            names.add(name)
            stem = re.sub(r"(街道|镇|乡|县|区|市|农场|经济开发区)$", "", name)
            if len(stem) >= 2:
                names.add(stem)
    if not names:
        return None
    return re.compile("|".join(sorted(map(re.escape, names), key=len, reverse=True)))


def _restore_protected(original: str, converted: str) -> str:
    pattern = _protected_names()
    if pattern is None or len(converted) != len(original):
        return converted
    spans = [match.span() for match in pattern.finditer(original)]
    if not spans:
        return converted
    out = list(converted)
    for start, end in spans:
        out[start:end] = original[start:end]
    return "".join(out)


def to_simplified(text: str) -> str:
    """Return the simplified form of text, with exactly one character per input character.

    The search form must stay offset-aligned with the original, so a match found in the simplified
    form can be highlighted at the same offsets in the original. OpenCC's phrase conversion is used
    line by line (it knows 乾/干 and similar from context); a line whose conversion changes length
    falls back to character-by-character conversion.
    """
    converted = _converter("t2s").convert(text)
    if len(converted) == len(text):
        return _restore_protected(text, converted)
    lines = text.split("\n")
    out = []
    for line in lines:
        line_converted = _converter("t2s").convert(line)
        if len(line_converted) != len(line):
            line_converted = "".join(_char_t2s(char) for char in line)
        out.append(line_converted)
    return _restore_protected(text, "\n".join(out))


def to_traditional(text: str) -> str:
    """Return the traditional form of text (used to show a simplified report in the other script)."""
    return _converter("s2t").convert(text)
