"""Near-duplicate fingerprints of report passages: MinHash signatures of character shingles.

A passage is one paragraph as the report page shows it: a non-blank line of a section's own text
or of one of its subsections' texts, addressed by (part, line): part 0 is the section's text,
part i the text of subsection i - 1, line counts non-blank lines from 0. Passages shorter than
MIN_CHARS (after normalising) are headings and list labels, and passages that are nothing but the
national template's table labels and numbers (data/table_template.txt) are table rows: neither is
wording anyone copies, and they get no fingerprint.

Normalising takes the simplified form (a traditional report compares with a simplified one) and
drops everything but letters, digits and CJK characters (whitespace and punctuation differences
are not differences). A passage's shingles are its overlapping SHINGLE-character strings; their
Jaccard similarity is what the MinHash signature (datasketch, NUM_PERM permutations) estimates.
LSH banding with datasketch's optimal (bands, rows) for THRESHOLD finds the candidates; the read
side (app.similar) keeps those whose estimated similarity reaches THRESHOLD.

Signatures are stored per section document in a Whoosh column (indexer.schema.FINGERPRINTS), so
they are written and deleted with the section: a changed report updates only its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from indexer.script import to_simplified

SHINGLE = 5
NUM_PERM = 128
THRESHOLD = 0.5
MIN_CHARS = 20
SEED = 1
# A fingerprint format change must bump indexer.schema.SCHEMA_VERSION (the index is then rebuilt).
PARAMETERS = f"minhash{NUM_PERM}-shingle{SHINGLE}-min{MIN_CHARS}-t{THRESHOLD}-tablerows1"

_lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
BANDS, ROWS = _lsh.b, _lsh.r
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED).permutations
_NOT_TEXT = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"[0-9０-９]+")
_TEMPLATE_FILE = Path(__file__).parent / "data" / "table_template.txt"
_HEADER = 2  # uint32 words before each signature: (part << 16 | line), normalised length
ROW_BYTES = 4 * (_HEADER + NUM_PERM)  # one passage in a column value
_MAX_INDEX = 0xFFFF
_U64 = np.uint64


def paragraphs(text: str) -> list[str]:
    """Return a text's paragraphs as the report page shows them: its non-blank lines."""
    return [line for line in (text or "").split("\n") if line.strip()]


def normalise(text: str) -> str:
    """Return the form passages are compared in: simplified, letters/digits/CJK only."""
    return _NOT_TEXT.sub("", to_simplified(text or ""))


@cache
def _table_template() -> str:
    """Return the template's table labels, normalised and joined in template order."""
    lines = _TEMPLATE_FILE.read_text(encoding="utf-8").splitlines()
    return "".join(_DIGITS.sub("", normalise(line)) for line in lines if line and not line.startswith("#"))


def is_table_row(normalised: str) -> bool:
    """Tell whether a normalised passage is only the statistics tables' template wording and numbers."""
    return _DIGITS.sub("", normalised) in _table_template()


def shingle_hashes(normalised: str) -> np.ndarray:
    """Return the distinct 32-bit hashes of a normalised text's SHINGLE-character shingles."""
    codes = np.frombuffer(normalised.encode("utf-32-le"), dtype=np.uint32).astype(_U64)
    count = len(codes) - SHINGLE + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint32)
    value = np.zeros(count, dtype=_U64)
    with np.errstate(over="ignore"):
        for offset in range(SHINGLE):
            value = value * _U64(0x100000001B3) + codes[offset:offset + count]
        # splitmix64's finaliser spreads the polynomial value over all bits before keeping 32.
        value ^= value >> _U64(30)
        value *= _U64(0xBF58476D1CE4E5B9)
        value ^= value >> _U64(27)
        value *= _U64(0x94D049BB133111EB)
        value ^= value >> _U64(31)
    return np.unique((value & _U64(0xFFFFFFFF)).astype(np.uint32))


def signature(normalised: str) -> np.ndarray:
    """Return the MinHash signature (NUM_PERM uint32 values) of a normalised passage."""
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int, permutations=_PERMUTATIONS, scheme="affine32")
    minhash.update_batch(shingle_hashes(normalised).tolist())
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


@dataclass(frozen=True)
class Passage:
    part: int
    line: int
    text: str  # as written
    chars: int  # normalised length
    signature: np.ndarray


def section_passages(text: str, subsections: list[dict]) -> list[Passage]:
    """Return the fingerprinted passages of a section (its text, then its subsections' texts)."""
    parts = [text or ""] + [sub.get("text", "") or "" for sub in subsections or []]
    passages = []
    for part, part_text in enumerate(parts[:_MAX_INDEX + 1]):
        for line, paragraph in enumerate(paragraphs(part_text)[:_MAX_INDEX + 1]):
            normalised = normalise(paragraph)
            if len(normalised) >= MIN_CHARS and not is_table_row(normalised):
                passages.append(Passage(part, line, paragraph, len(normalised), signature(normalised)))
    return passages


def encode(passages: list[Passage]) -> bytes:
    """Return the column value of a section's passages: one row of uint32 per passage."""
    rows = np.zeros((len(passages), _HEADER + NUM_PERM), dtype=np.uint32)
    for row, passage in zip(rows, passages):
        row[0] = (passage.part << 16) | passage.line
        row[1] = passage.chars
        row[_HEADER:] = passage.signature
    return rows.astype("<u4").tobytes()


def decode(value: bytes | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (parts, lines, chars, signatures) from a column value (empty arrays for None)."""
    rows = np.frombuffer(value or b"", dtype="<u4").reshape(-1, _HEADER + NUM_PERM)
    return ((rows[:, 0] >> 16).astype(np.int32), (rows[:, 0] & _MAX_INDEX).astype(np.int32),
            rows[:, 1].astype(np.int32), rows[:, _HEADER:].astype(np.uint32))


def band_hashes(signatures: np.ndarray) -> np.ndarray:
    """Return the LSH band keys of signatures (n, NUM_PERM) as (n, BANDS) uint64."""
    bands = signatures[:, :BANDS * ROWS].astype(_U64).reshape(len(signatures), BANDS, ROWS)
    key = np.zeros((len(signatures), BANDS), dtype=_U64)
    with np.errstate(over="ignore"):
        for row in range(ROWS):
            key = key * _U64(0x9E3779B97F4A7C15) + bands[:, :, row] + _U64(1)
    return key


def similarity(signature_a: np.ndarray, signatures: np.ndarray) -> np.ndarray:
    """Return the estimated Jaccard similarity of one signature with each of several."""
    return (signatures == signature_a).mean(axis=-1)
