"""The query language people type: words ANDed, "quoted phrases", -exclusions and OR.

Parsing never fails: anything that does not parse (an unbalanced quote, a lone operator) is read
as plain words. Only an over-long query is refused, with a sentence saying why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from indexer.script import to_simplified

MAX_QUERY_LENGTH = 200


class QueryError(ValueError):
    """A query that cannot be searched; the message is shown to the user as it is."""


@dataclass(frozen=True)
class Term:
    text: str  # simplified, as typed (no quotes)
    phrase: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """Clauses are ANDed; each clause is a tuple of alternatives (ORed); excluded terms are removed."""

    clauses: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.clauses

    def positive_terms(self) -> list[Term]:
        return [term for clause in self.clauses for term in clause]


_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_OPERATORS = {"OR", "|", "AND", "&&", "||", "NOT"}


def _meaningful(text: str) -> bool:
    """Tell whether text has a letter, digit or Chinese character (not only punctuation)."""
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def _strip_punctuation(text: str) -> str:
    return "".join(char for char in text if unicodedata.category(char)[0] in "LNM")


def parse_query(raw: str) -> ParsedQuery:
    """Parse a user's query; raise QueryError only when it is longer than MAX_QUERY_LENGTH."""
    if raw is None:
        return ParsedQuery()
    raw = unicodedata.normalize("NFKC", raw).strip()
    if len(raw) > MAX_QUERY_LENGTH:
        raise QueryError(f"查询太长：最多 {MAX_QUERY_LENGTH} 个字符，现在有 {len(raw)} 个。")
    text = to_simplified(raw)
    if text.count('"') % 2:
        text = text.replace('"', " ")  # an unbalanced quote is read as plain words
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    for match in _TOKEN.finditer(text):
        negative, quoted, word = match.group(1), match.group(2), match.group(3)
        if word is not None:
            if word.upper() in ("OR", "|", "||"):
                pending_or = bool(clauses)
                continue
            if word.upper() in _OPERATORS:
                continue
            negative = "-" if word.startswith("-") and len(word) > 1 else ""
            word = word[1:] if negative else word
            phrase = False
            body = _strip_punctuation(word)
        else:
            phrase = True
            body = quoted.strip()
        if not body or not _meaningful(body):
            continue
        term = Term(body, phrase=phrase and len(body) > 1)
        if negative:
            excluded.append(term)
            pending_or = False
            continue
        if pending_or and clauses:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        pending_or = False
    return ParsedQuery(tuple(tuple(clause) for clause in clauses), tuple(excluded))


_YEAR_RANGE = re.compile(r"\s*(\d{4})\s*(?:[-–~至]\s*(\d{4}))?\s*")


def parse_year_range(value: str) -> tuple[int, int]:
    """Return (low, high) of "2019" or "2019-2021"; raise QueryError with a sentence otherwise."""
    match = _YEAR_RANGE.fullmatch(value)
    if not match:
        raise QueryError(f"年份应写成四位数字，如 2019 或 2019-2021，而不是“{value}”。")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not (1949 <= low <= 2100 and 1949 <= high <= 2100):
        raise QueryError(f"年份“{value}”不在 1949 到 2100 之间。")
    if low > high:
        raise QueryError(f"年份范围“{value}”的起始年份晚于结束年份。")
    return low, high
