"""Chinese analysis for the index: jieba words and overlapping character bigrams.

Both analyzers take text in either script, convert it to simplified one character for one
character (so token offsets point into the original text too), and give positions in token order
(jieba.analyse.ChineseAnalyzer stores character offsets as positions, which breaks phrases).

The import path of these classes is part of the index format (Whoosh pickles the schema);
changing what they produce means bumping ANALYZER_VERSION and rebuilding the index.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import unicodedata
from pathlib import Path

from whoosh.analysis import Token, Tokenizer

from indexer.script import to_simplified

ANALYZER_VERSION = 1
DICTIONARY_PATH = Path(__file__).resolve().parent / "data" / "dictionary.txt"
# jieba frequency given to domain terms and division names: high enough to keep them whole.
USER_WORD_FREQ = 200_000

_lock = threading.Lock()
_tokenizer = None


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\U00020000" <= char <= "\U0002fa1f"


def _is_gap(char: str) -> bool:
    """Tell whether a character is punctuation or space, which a bigram run skips over."""
    return char.isspace() or unicodedata.category(char)[0] in "PZS"


def dictionary_words() -> list[tuple[str, int]]:
    """Return the domain dictionary shipped in the repo: (word, frequency) pairs."""
    words = []
    for line in DICTIONARY_PATH.read_text(encoding="utf-8").split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        words.append((parts[0], int(parts[1]) if len(parts) > 1 else USER_WORD_FREQ))
    return words


@functools.cache
def dictionary_fingerprint() -> str:
    """Return a short hash of everything that decides segmentation, stored in the index."""
    from indexer.gazetteer import division_names

    digest = hashlib.sha256(f"v{ANALYZER_VERSION}\n".encode())
    digest.update(DICTIONARY_PATH.read_bytes())
    digest.update("\n".join(division_names()).encode("utf-8"))
    return digest.hexdigest()[:16]


def jieba_tokenizer():
    """Return the process's jieba tokenizer with the domain dictionary and division names loaded."""
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            from indexer.gazetteer import division_names

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for name in division_names():
                if len(name) >= 3:  # two-character names (城区, 郊区) are ordinary words already
                    tokenizer.add_word(name, USER_WORD_FREQ)
            for word, freq in dictionary_words():
                tokenizer.add_word(word, freq)
            _tokenizer = tokenizer
    return _tokenizer


def segment(text: str) -> list[tuple[str, int, int]]:
    """Return jieba's words of simplified text as (word, start, end), spaces and punctuation left out."""
    words = []
    for word, start, end in jieba_tokenizer().tokenize(text, mode="default", HMM=True):
        if word.strip() and not all(_is_gap(char) for char in word):
            words.append((word, start, end))
    return words


def word_tokens(text: str, subwords: bool = True) -> list[tuple[str, int, int, int]]:
    """Return (word, position, start, end) for text in either script.

    With subwords, dictionary words inside a longer word (信息公开 in 政府信息公开) are added at
    the long word's position, as jieba's search mode does, so a query for the shorter word finds
    it as a word.
    """
    simple = to_simplified(text)
    tokens = []
    frequencies = jieba_tokenizer().FREQ if subwords else None
    for position, (word, start, end) in enumerate(segment(simple)):
        word_lower = word.lower()
        if frequencies is not None and len(word) > 2:
            for size in range(2, min(len(word), 9)):
                for offset in range(len(word) - size + 1):
                    gram = word[offset: offset + size]
                    if frequencies.get(gram):
                        tokens.append((gram.lower(), position, start + offset, start + offset + size))
        tokens.append((word_lower, position, start, end))
    return tokens


def bigram_tokens(text: str) -> list[tuple[str, int, int, int]]:
    """Return overlapping character bigrams of the Chinese runs of text as (bigram, position, start, end).

    Punctuation and spaces between two Chinese characters are skipped over (信息，公开 has the
    bigram 息公); any other character (a digit, a Latin letter) ends the run.
    """
    simple = to_simplified(text)
    tokens = []
    previous = None  # (char, offset) of the last Chinese character in the current run
    position = 0
    for offset, char in enumerate(simple):
        if _is_cjk(char):
            if previous is not None:
                tokens.append((previous[0] + char, position, previous[1], offset + 1))
                position += 1
            previous = (char, offset)
        elif not _is_gap(char):
            previous = None
    return tokens


class _ListTokenizer(Tokenizer):
    """Base for Whoosh tokenizers that produce a list of (text, position, start, end)."""

    def produce(self, value: str) -> list[tuple[str, int, int, int]]:
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for text, position, start, end in self.produce(value):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self).__name__)


class ChineseWordTokenizer(_ListTokenizer):
    """jieba words (with dictionary sub-words) of text in either script."""

    def produce(self, value):
        return word_tokens(value)


class BigramTokenizer(_ListTokenizer):
    """Overlapping Chinese character bigrams of text in either script."""

    def produce(self, value):
        return bigram_tokens(value)


def word_analyzer():
    return ChineseWordTokenizer()


def bigram_analyzer():
    return BigramTokenizer()
