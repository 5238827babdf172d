"""Comparing one canonical section across 2–6 reports, and exporting search results.

Pure functions (no Flask): sentence splitting, alignment of sentences across columns, the
character-level diff of two texts and counts of sentences shared between columns, plus the rows
written by the CSV / JSON Lines exports.

Texts are compared on a *key*: the simplified form (`indexer.script.to_simplified`, offset-aligned)
with whitespace and punctuation removed, so a traditional report compares with a simplified one, and
differences of punctuation, spacing or line breaks alone are never marked. What is shown is always the
original text, HTML-escaped, with only our own `<ins>`, `<del>` and `<mark>` tags added.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from markupsafe import Markup, escape

from indexer.script import to_simplified

MIN_REPORTS = 2
MAX_REPORTS = 6
# An export writes at most this many rows (hits); the search page says so next to the links.
EXPORT_MAX_ROWS = 5000
EXPORT_COLUMNS = ("report_id", "issuer", "province", "city", "county", "town", "year", "section_key",
                  "section_label", "heading", "snippet", "url")
CSV_BOM = "\ufeff"

_SENTENCE_END = "。；！？!?;"
_SENTENCE = re.compile(rf"[^{_SENTENCE_END}\n]*(?:[{_SENTENCE_END}]+|\n|$)")


# --- Keys: simplified, without punctuation or whitespace -----------------------------------------

def is_ignorable(char: str) -> bool:
    """Tell whether a character is whitespace, punctuation or a control character (never compared)."""
    if char.isspace():
        return True
    category = unicodedata.category(char)
    return category[0] in "PZC"


def _simplified(text: str) -> str:
    simple = to_simplified(text)
    return simple if len(simple) == len(text) else text  # the form must stay offset-aligned


def normalize(text: str) -> tuple[str, list[int]]:
    """Return (the comparison key of a text, the offset in the text of each key character)."""
    simple = _simplified(text)
    positions = [index for index, char in enumerate(simple) if not is_ignorable(char)]
    return "".join(simple[index] for index in positions), positions


def key_of(text: str) -> str:
    return normalize(text)[0]


# --- Sentences -----------------------------------------------------------------------------------

@dataclass
class Unit:
    """One sentence (or a subsection heading) of a column, in its original script."""

    text: str
    key: str
    heading: bool = False


def split_sentences(text: str) -> list[str]:
    """Split at 。；！？ (and ASCII ;!?) and at line breaks; a sentence keeps its end mark.

    A piece with nothing to compare (only punctuation or spaces) joins the sentence before it.
    """
    sentences: list[str] = []
    for match in _SENTENCE.finditer(text or ""):
        piece = match.group().strip()
        if not piece:
            continue
        if sentences and not key_of(piece):
            sentences[-1] += piece
        else:
            sentences.append(piece)
    return sentences


def section_units(text: str, subsections: list[dict] = ()) -> list[Unit]:
    """Return the sentences of a section: its text, then each subsection's heading and text."""
    units = [Unit(sentence, key_of(sentence)) for sentence in split_sentences(text)]
    for sub in subsections or ():
        heading = (sub.get("heading") or "").strip()
        if heading:
            units.append(Unit(heading, key_of(heading), heading=True))
        units += [Unit(sentence, key_of(sentence)) for sentence in split_sentences(sub.get("text") or "")]
    return units


# --- Alignment -----------------------------------------------------------------------------------

@dataclass
class Row:
    """One aligned row: per column, the units placed there (often one, none where a column lacks it)."""

    cells: list[list[Unit]]
    html: list[Markup] = field(default_factory=list)
    shared: list[int] = field(default_factory=list)  # per column: reports containing this sentence
    changed: bool = False

    def key(self) -> str:
        for cell in self.cells:
            if cell:
                return cell[0].key
        return ""


def _matcher(a, b) -> SequenceMatcher:
    return SequenceMatcher(None, a, b, autojunk=False)


def align_pair(left: list[Unit], right: list[Unit]) -> list[Row]:
    """Align two sentence lists: equal sentences share a row; a replaced run is one row (diffed later)."""
    rows: list[Row] = []
    matcher = _matcher([unit.key for unit in left], [unit.key for unit in right])
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [Row([[left[i]], [right[j]]]) for i, j in zip(range(i1, i2), range(j1, j2))]
        elif tag == "replace":
            rows += _pair_similar(left[i1:i2], right[j1:j2])
        elif tag == "delete":
            rows += [Row([[unit], []]) for unit in left[i1:i2]]
        else:
            rows += [Row([[], [unit]]) for unit in right[j1:j2]]
    return rows


SIMILAR = 0.5  # two differing sentences this alike (difflib ratio of their keys) share a row


def _pair_similar(left: list[Unit], right: list[Unit]) -> list[Row]:
    """Align a run of differing sentences: the most alike pair shares a row, recursively on each side.

    Sentences with no counterpart get rows of their own; when one side has a single sentence left
    between matches, it is compared with the whole run opposite (a sentence split in two).
    """
    if not left or not right:
        return [Row([[unit], []]) for unit in left] + [Row([[], [unit]]) for unit in right]
    if len(left) == 1 or len(right) == 1:
        joined_left, joined_right = "".join(u.key for u in left), "".join(u.key for u in right)
        if _matcher(joined_left, joined_right).ratio() >= SIMILAR:
            return [Row([left, right])]
    best, best_i, best_j = SIMILAR - 1e-9, -1, -1
    matcher = SequenceMatcher(None, autojunk=False)
    for j, unit_right in enumerate(right):
        matcher.set_seq2(unit_right.key)
        for i, unit_left in enumerate(left):
            matcher.set_seq1(unit_left.key)
            if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best and matcher.ratio() > best:
                best, best_i, best_j = matcher.ratio(), i, j
    if best_i < 0:
        return [Row([[unit], []]) for unit in left] + [Row([[], [unit]]) for unit in right]
    return (_pair_similar(left[:best_i], right[:best_j]) + [Row([[left[best_i]], [right[best_j]]])]
            + _pair_similar(left[best_i + 1:], right[best_j + 1:]))


def align_many(columns: list[list[Unit]]) -> list[Row]:
    """Align several sentence lists progressively: each column is matched against the rows so far.

    Equal sentences join their row; in a replaced run, sentences pair up in order; the rest become rows
    of their own, in reading order.
    """
    if not columns:
        return []
    count = len(columns)
    rows = [Row([[unit] if index == 0 else [] for index in range(count)]) for unit in columns[0]]
    for column, units in enumerate(columns[1:], start=1):
        matcher = _matcher([row.key() for row in rows], [unit.key for unit in units])
        merged: list[Row] = []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag in ("equal", "replace"):
                pairs = min(i2 - i1, j2 - j1)
                for offset in range(pairs):
                    row = rows[i1 + offset]
                    row.cells[column] = [units[j1 + offset]]
                    merged.append(row)
                merged += rows[i1 + pairs:i2]
                extra = units[j1 + pairs:j2]
            elif tag == "delete":
                merged += rows[i1:i2]
                extra = []
            else:
                extra = units[j1:j2]
            for unit in extra:
                merged.append(Row([[unit] if index == column else [] for index in range(count)]))
        rows = merged
    return rows


# --- Character diff ------------------------------------------------------------------------------

def _bridged(text: str, marked: set[int]) -> set[int]:
    """Return the marked offsets plus punctuation/spaces lying between two marked characters.

    So a deleted sentence reads as one <del> run, not one per clause; a line break is never bridged.
    """
    result = set(marked)
    gap: list[int] = []
    previous_marked = False
    for index, char in enumerate(text):
        if char == "\n":
            gap, previous_marked = [], False
        elif is_ignorable(char):
            gap.append(index)
        else:
            if index in marked and previous_marked:
                result.update(gap)
            gap = []
            previous_marked = index in marked
    return result


def _render(text: str, marked: set[int], tag: str) -> Markup:
    marked = _bridged(text, marked)
    out = []
    run: list[str] = []
    for index, char in enumerate(text):
        if index in marked:
            run.append(char)
            continue
        if run:
            out.append(Markup(f"<{tag}>") + escape("".join(run)) + Markup(f"</{tag}>"))
            run = []
        out.append(escape(char))
    if run:
        out.append(Markup(f"<{tag}>") + escape("".join(run)) + Markup(f"</{tag}>"))
    return Markup("").join(out)


def char_diff_spans(old: str, new: str) -> tuple[set[int], set[int]]:
    """Return (offsets of deleted characters in old, offsets of inserted characters in new).

    Compared on the keys, so punctuation, whitespace and script differences are never marked.
    """
    old_key, old_positions = normalize(old)
    new_key, new_positions = normalize(new)
    deleted: set[int] = set()
    inserted: set[int] = set()
    for tag, i1, i2, j1, j2 in _matcher(old_key, new_key).get_opcodes():
        if tag in ("replace", "delete"):
            deleted.update(old_positions[i1:i2])
        if tag in ("replace", "insert"):
            inserted.update(new_positions[j1:j2])
    return deleted, inserted


def char_diff(old: str, new: str) -> tuple[Markup, Markup]:
    """Return both texts escaped, deletions in old marked <del>, insertions in new marked <ins>."""
    deleted, inserted = char_diff_spans(old, new)
    return _render(old, deleted, "del"), _render(new, inserted, "ins")


# --- Rendering rows ------------------------------------------------------------------------------

_BREAK = "\n"


def _cell_text(units: list[Unit]) -> str:
    return _BREAK.join(unit.text for unit in units)


def _lines(markup: Markup) -> Markup:
    return Markup(Markup("<br>").join(markup.split(_BREAK)))


def shared_counts(columns: list[list[Unit]]) -> dict[str, int]:
    """Return, for each sentence key, how many columns contain it (anywhere in the section)."""
    counts: dict[str, int] = {}
    for units in columns:
        for key in {unit.key for unit in units if unit.key}:
            counts[key] = counts.get(key, 0) + 1
    return counts


def compare_columns(columns: list[list[Unit]]) -> list[Row]:
    """Align the columns and render each cell: a char diff for two, shared-sentence marks for more."""
    if len(columns) == 2:
        rows = align_pair(*columns)
        for row in rows:
            left, right = (_cell_text(cell) for cell in row.cells)
            old, new = char_diff(left, right)
            row.html = [_lines(old), _lines(new)]
            row.changed = key_of(left) != key_of(right)
            row.shared = [2 if not row.changed else 1] * 2
        return rows
    rows = align_many(columns)
    counts = shared_counts(columns)
    for row in rows:
        row.html = []
        row.shared = []
        for cell in row.cells:
            parts = []
            best = 0
            for unit in cell:
                shared = counts.get(unit.key, 0)
                best = max(best, shared)
                if shared >= 2:
                    parts.append(Markup('<mark class="shared" data-shared="{}">{}</mark>').format(shared, unit.text))
                else:
                    parts.append(escape(unit.text))
            row.html.append(Markup("<br>").join(parts))
            row.shared.append(best)
        row.changed = len({unit.key for cell in row.cells for unit in cell}) > 1
    return rows


# --- CSV / JSON Lines ----------------------------------------------------------------------------

_MARK_TAG = re.compile(r"</?mark>")


def plain_snippet(snippet: str) -> str:
    """Return a search snippet as plain text (marks removed, entities decoded)."""
    return html.unescape(_MARK_TAG.sub("", snippet or ""))


def export_row(hit, url: str) -> dict:
    """Return one export row of a search hit (an `app.search.Hit`)."""
    region = hit.region or {}
    return {
        "report_id": hit.report_id,
        "issuer": hit.issuer,
        "province": region.get("province") or "",
        "city": region.get("city") or "",
        "county": region.get("county") or "",
        "town": region.get("town") or "",
        "year": hit.year or "",
        "section_key": hit.section.get("key", ""),
        "section_label": hit.section.get("label", ""),
        "heading": hit.section.get("heading", ""),
        "snippet": plain_snippet(hit.snippet),
        "url": url,
    }


def to_csv(header: list[str], rows) -> bytes:
    """Return CSV in UTF-8 with a BOM (so Excel reads Chinese), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return (CSV_BOM + buffer.getvalue()).encode("utf-8")


def to_jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
