"""The one module that reads the index: SearchRequest in, SearchPage out (dataclasses, no Whoosh).

Views, the CLI and tests call `open_index()` and `search()`. Facet counts are computed with numpy
over per-generation arrays of facet codes (built once per index version), so counting a result
set of any size is one pass; Whoosh is only asked for the matching document numbers and, when
there is a query, for the top hits of the requested page.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from app.copies import CopyArrays
from app.query import ParsedQuery, QueryError, Term, parse_query
from indexer import schema as f
from indexer.analysis import bigram_tokens, word_tokens
from indexer.figures import FIGURE_LABELS, KEY_FIGURES, OUTCOME_FIGURES, add_numbers
from indexer.sections import SECTION_LABELS, SECTION_ORDER
from indexer.store import IndexMissing, current_generation, current_marker

__all__ = ["CONSISTENCY_LABELS", "KEY_FIGURES", "FacetValue", "Hit", "IndexMissing", "QueryError", "ReportLink",
           "ReportView", "SearchIndex", "SearchPage", "SearchRequest", "corpus_stats", "get_report",
           "is_report_id", "open_index", "other_years", "report_stats", "search"]

CONSISTENCY_LABELS = {"failed": "数据不一致", "ok": "数据一致", "none": "无统计表"}
MAX_PAGE_SIZE = 100
MAX_PAGE = 1000
DEFAULT_TIME_LIMIT = 5.0  # seconds a single query may take before partial results are returned
# Bigram-only matches are a recall safety net: they must score below any word match.
BIGRAM_BOOST = 0.05
SINGLE_CHAR_EXPANSION_LIMIT = 300
SNIPPET_FRAGMENT_CHARS = 100
SNIPPET_MAX_FRAGMENTS = 3
_SENTENCE_END = "。；！？!?;\n"
_CACHE_SIZE = 256
SORTS = ("relevance", "year", "original")
ORIGINAL_SHARE = 0.5  # "只看原创表述": at least half of the section's text is not found elsewhere


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    regions: tuple[str, ...] = ()
    years: tuple[tuple[int, int], ...] = ()  # inclusive ranges; one year is (y, y)
    sections: tuple[str, ...] = ()
    consistency: tuple[str, ...] = ()  # "failed", "ok", "none" (indexer.schema.CONSISTENCY_VALUES)
    original_only: bool = False  # only sections mostly in their own words (originality >= ORIGINAL_SHARE)
    group_by_report: bool = False
    sort: str = "relevance"  # or "year", or "original" (most original first)
    page: int = 1
    page_size: int = 10
    with_facets: bool = True
    with_snippets: bool = True
    # Each hit's originality: the first use per index version reads every passage fingerprint.
    with_originality: bool = True
    time_limit: float = DEFAULT_TIME_LIMIT


@dataclass
class Hit:
    report_id: str
    source: str
    title: str
    issuer: str
    region: dict
    year: int | None
    section: dict  # {"key", "label", "heading"}
    snippet: str  # HTML-escaped text, matches wrapped in <mark>
    score: float
    position: int = 0
    other_matches: int = 0  # with group_by_report: other matching sections of the same report
    originality: float | None = None  # share of the section's text not in other issuers' reports

    def to_dict(self) -> dict:
        data = {
            "report_id": self.report_id,
            "source": self.source,
            "title": self.title,
            "issuer": self.issuer,
            "region": self.region,
            "year": self.year,
            "section": self.section,
            "snippet": self.snippet,
            "score": round(self.score, 4),
            "originality": None if self.originality is None else round(self.originality, 3),
        }
        if self.other_matches:
            data["other_matches"] = self.other_matches
        return data


@dataclass
class FacetValue:
    value: str | int
    count: int
    label: str = ""

    def to_dict(self) -> dict:
        return {"value": self.value, "count": self.count}


@dataclass
class SearchPage:
    query: str
    total: int
    page: int
    pages: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    took_ms: float = 0.0
    partial: bool = False  # the time limit cut the search short
    grouped: bool = False
    sections_total: int = 0  # matching sections (total counts reports when grouped)
    consistency: list[FacetValue] = field(default_factory=list)  # reports by 勾稽关系 result (not in JSON)

    def to_dict(self) -> dict:
        """Return the JSON shape of `gongkai search --json` and GET /api/search (DESIGN.md)."""
        data = {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {name: [value.to_dict() for value in values] for name, values in self.facets.items()},
        }
        if self.partial:
            data["partial"] = True
        return data


def _column_values(reader, name: str, count: int):
    """Yield a column's value for every document number (None where a segment lacks the column)."""
    produced = 0
    for leaf, _offset in reader.leaf_readers():
        size = leaf.doc_count_all()
        if leaf.has_column(name):
            column = leaf.column_reader(name)
            for docnum in range(size):
                yield column[docnum]
        else:
            yield from [None] * size
        produced += size
    yield from [None] * (count - produced)


class _FacetArrays:
    """Facet codes of every document of one index version, as numpy arrays."""

    def __init__(self, reader):
        count = reader.doc_count_all()
        self.live = np.zeros(count, dtype=bool)
        live_ids = np.fromiter(reader.all_doc_ids(), dtype=np.int64)
        self.live[live_ids] = True
        self.codes: dict[str, np.ndarray] = {}
        self.values: dict[str, list] = {}
        for name in (*f.FACET_FIELDS, f.CONSISTENCY, f.REPORT_ID, f.ISSUER):
            lookup: dict = {}
            codes = np.fromiter(
                (lookup.setdefault(value, len(lookup)) for value in _column_values(reader, name, count)),
                dtype=np.int32, count=count,
            )
            self.codes[name] = codes
            values = [None] * len(lookup)
            for value, code in lookup.items():
                values[code] = value.decode("utf-8") if isinstance(value, bytes) else value
            self.values[name] = values
        self.position = np.fromiter(
            (value or 0 for value in _column_values(reader, f.POSITION, count)), dtype=np.int32, count=count
        )
        self.years = np.array([value or 0 for value in self.values[f.YEAR]], dtype=np.int64)[self.codes[f.YEAR]]
        # Per report code, the docnum of its first live section (-1 if none): where report fields are.
        self.first_docs = np.full(len(self.values[f.REPORT_ID]), -1, dtype=np.int64)
        firsts = np.nonzero(self.live & (self.position == 0))[0]
        self.first_docs[self.codes[f.REPORT_ID][firsts]] = firsts
        self.stats_rows: dict[int, dict] = {}  # report code -> key figures, filled on demand

    def code_of(self, name: str, value) -> int | None:
        try:
            return self.values[name].index(value)
        except ValueError:
            return None


class SearchIndex:
    """An open index folder; follows CURRENT and Whoosh commits, so a re-index shows without restart."""

    def __init__(self, index_dir: str | Path):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._ix = None
        self._marker = None
        self._engine: tuple[object, "_Engine"] | None = None
        self._cache: OrderedDict = OrderedDict()
        self.cache_size = _CACHE_SIZE  # result pages kept per index version (0 turns the cache off)
        self._open()

    def _open(self) -> None:
        generation = current_generation(self.index_dir)
        if generation is None:
            raise IndexMissing(f"no index in {self.index_dir}: build it with `gongkai index CORPUS_DIR "
                               f"--index {self.index_dir}`")
        mismatch = f.stamp_mismatch(generation)
        if mismatch:
            raise IndexMissing(f"the index in {self.index_dir} was built by another version of gongkai "
                               f"({mismatch}): rebuild it with `gongkai index --rebuild --index {self.index_dir}`")
        try:
            self._ix = whoosh_index.open_dir(str(generation))
        except Exception as error:
            raise IndexMissing(f"the index in {self.index_dir} cannot be opened ({error}): rebuild it with "
                               f"`gongkai index --rebuild --index {self.index_dir}`") from None
        self._marker = current_marker(self.index_dir)

    def searcher(self):
        """Return this thread's Whoosh searcher, reopened if the index changed since its last use."""
        marker = current_marker(self.index_dir)
        if marker != self._marker:
            with self._lock:
                if marker != self._marker:
                    self._open()
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and getattr(self._local, "ix", None) is self._ix and searcher.up_to_date():
            return searcher
        if searcher is not None:
            # Not Searcher.refresh(): it reuses segment readers whose deletions have since changed.
            searcher.close()
        searcher = self._ix.searcher()
        self._local.searcher = searcher
        self._local.ix = self._ix
        return searcher

    def version(self, searcher) -> tuple:
        """Return a key that changes whenever the index's content changes."""
        return (self._marker, searcher.reader().generation())

    def engine(self, searcher) -> "_Engine":
        """Return the numpy arrays and posting cache of the index version this searcher sees."""
        key = self.version(searcher)
        cached = self._engine
        if cached is not None and cached[0] == key:
            return cached[1]
        with self._lock:
            cached = self._engine
            if cached is not None and cached[0] == key:
                return cached[1]
            engine = _Engine(searcher)
            self._engine = (key, engine)
            return engine

    def cached(self, key):
        with self._lock:
            page = self._cache.get(key)
            if page is not None:
                self._cache.move_to_end(key)
            return page

    def remember(self, key, page) -> None:
        if not self.cache_size:
            return
        with self._lock:
            self._cache[key] = page
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def doc_count(self) -> int:
        return self.searcher().doc_count()


def open_index(index_dir: str | Path) -> SearchIndex:
    """Open an index folder for searching; raise IndexMissing with the command that builds it."""
    return SearchIndex(index_dir)


# --- Matching and scoring -----------------------------------------------------------------------
#
# Whoosh's matchers step through documents one by one in Python, which on 60,000 sections makes a
# common word take a second and a quoted phrase several. So matching and BM25 scoring run in numpy
# over posting lists read once per index version (docnums and term frequencies, and for phrases the
# bigram positions), kept in a small LRU cache; Whoosh stays the index of record and its stored
# fields give the hits' text.

BM25_K1 = 1.2
BM25_B = 0.75
FIELD_WEIGHTS = {f.BODY: 1.0, f.HEADING: f.HEADING_BOOST, f.TITLE: f.TITLE_BOOST}
WORD_TIER = 1000.0  # each term matched as a word outranks any number of bigram-only matches
POSTINGS_CACHE_SIZE = 4096
POSITIONS_CACHE_SIZE = 256  # phrase results (one boolean per document each)
CACHE_MAX_BYTES = 256 * 1024 * 1024  # per cache: common words' posting lists take megabytes
POSITION_BITS = 24  # positions within one section (a section has far fewer than 16M bigrams)


def _leaf_postings(leaf, field_name: str, term: str):
    """Return (docnums, weights, matcher) of one segment's postings, block by block, or None."""
    if (field_name, term) not in leaf:
        return None
    matcher = leaf.postings(field_name, term)
    while hasattr(matcher, "child") and not hasattr(matcher, "_next_block"):
        matcher = matcher.child  # deletions are applied with the live mask instead
    ids, weights = [], []
    if hasattr(matcher, "_next_block"):  # Whoosh 2.7's W3LeafMatcher: whole blocks at once
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int64))
            weights.append(np.asarray(matcher._weights, dtype=np.float32))
            matcher._next_block()
        return ids, weights
    while matcher.is_active():
        ids.append(np.array([matcher.id()], dtype=np.int64))
        weights.append(np.array([matcher.weight()], dtype=np.float32))
        matcher.next()
    return ids, weights


def _field_lengths(reader, name: str, count: int) -> np.ndarray:
    """Return every document's (Whoosh-quantised) length of a field, read column-wise per segment."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.util.numeric import byte_to_length

    table = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.float32)
    parts = []
    for leaf, _offset in reader.leaf_readers():
        size = leaf.doc_count_all()
        column = None
        perdoc = getattr(leaf, "_perdoc", None)
        if perdoc is not None and hasattr(perdoc, "_cached_reader"):
            column = perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
        if column is not None:
            parts.append(table[np.fromiter(column, dtype=np.uint8, count=size)])
        else:
            parts.append(np.fromiter((leaf.doc_field_length(d, name, 0) or 0 for d in range(size)),
                                     dtype=np.float32, count=size))
    lengths = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return np.pad(lengths, (0, max(0, count - len(lengths))))


class _Engine:
    """Everything numpy needs to match and score against one version of the index."""

    def __init__(self, searcher):
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.facets = _FacetArrays(self.reader)
        self.count = self.reader.doc_count_all()
        live = self.facets.live
        self.live_count = max(1, int(live.sum()))
        self.lengths = {}
        self.average_length = {}
        for name in (*FIELD_WEIGHTS, f.BIGRAMS):
            lengths = _field_lengths(self.reader, name, self.count)
            self.lengths[name] = lengths
            self.average_length[name] = float(lengths[live].mean()) if live.any() else 1.0
        self._postings: OrderedDict = OrderedDict()
        self._positions: OrderedDict = OrderedDict()
        self._bytes: dict[int, int] = {}
        self._lock = threading.Lock()
        self._copies: CopyArrays | None = None
        self._stats_columns: dict | None = None
        self.column_lock = threading.Lock()

    def stats_columns(self) -> dict:
        """Return the column readers /stats reads: title and the key figures (hold column_lock)."""
        if self._stats_columns is None:
            names = (f.TITLE, *f.FIGURE_FIELDS.values())
            self._stats_columns = {name: self.reader.column_reader(name) for name in names}
        return self._stats_columns

    @property
    def copies(self) -> CopyArrays:
        """The passage fingerprints of this index version, read on first use."""
        if self._copies is None:
            with self._lock:
                if self._copies is None:
                    self._copies = CopyArrays(self.reader, self.facets)
        return self._copies

    def _remember(self, cache: OrderedDict, key, value, size: int = POSTINGS_CACHE_SIZE):
        """Keep value in a cache bounded by entries and by bytes (the oldest entries go first)."""
        arrays = value if isinstance(value, tuple) else (value,)
        nbytes = sum(array.nbytes for array in arrays)
        with self._lock:
            if key in cache:
                return
            cache[key] = value
            self._bytes[id(cache)] = self._bytes.get(id(cache), 0) + nbytes
            while len(cache) > size or (self._bytes[id(cache)] > CACHE_MAX_BYTES and len(cache) > 1):
                _, evicted = cache.popitem(last=False)
                evicted = evicted if isinstance(evicted, tuple) else (evicted,)
                self._bytes[id(cache)] -= sum(array.nbytes for array in evicted)

    def postings(self, field_name: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (sorted docnums, term frequencies) of a term in a field."""
        key = (field_name, term)
        cached = self._postings.get(key)
        if cached is not None:
            return cached
        boost = getattr(self.schema[field_name].format, "field_boost", 1.0) or 1.0
        ids, weights = [], []
        for leaf, offset in self.reader.leaf_readers():
            found = _leaf_postings(leaf, field_name, term)
            if found:
                ids += [block + offset for block in found[0]]
                weights += found[1]
        if ids:
            result = (np.concatenate(ids), np.concatenate(weights) / boost)
        else:
            result = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        self._remember(self._postings, key, result)
        return result

    def positions(self, term: str, docs: np.ndarray) -> np.ndarray:
        """Return sorted keys docnum << POSITION_BITS | position of a bigram's occurrences in docs.

        Only the candidate documents' positions are decoded (skipping through the posting list), so
        a phrase of common bigrams costs what its candidates cost, not what the bigrams do.
        """
        parts = []
        for leaf, offset in self.reader.leaf_readers():
            size = leaf.doc_count_all()
            local = docs[(docs >= offset) & (docs < offset + size)] - offset
            if not len(local) or (f.BIGRAMS, term) not in leaf:
                continue
            matcher = leaf.postings(f.BIGRAMS, term)
            while hasattr(matcher, "child") and not hasattr(matcher, "format"):
                matcher = matcher.child  # a segment with deletions wraps its postings; the live mask applies
            decode = matcher.format.decoder("positions")
            docnums, per_doc = [], []
            for docnum in local.tolist():
                if not matcher.is_active():
                    break
                matcher.skip_to(docnum)
                if not matcher.is_active():
                    break
                if matcher.id() == docnum:
                    docnums.append(offset + docnum)
                    per_doc.append(decode(matcher.value()))
            counts = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(per_doc))
            positions = np.fromiter(itertools.chain.from_iterable(per_doc), dtype=np.int64, count=int(counts.sum()))
            parts.append((np.repeat(np.array(docnums, dtype=np.int64), counts) << POSITION_BITS) + positions)
        result = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        result.sort()
        return result

    def mask_of(self, field_name: str, term: str) -> np.ndarray:
        mask = np.zeros(self.count, dtype=bool)
        mask[self.postings(field_name, term)[0]] = True
        return mask

    def bm25(self, field_name: str, term: str) -> np.ndarray:
        """Return a dense vector of a term's BM25 score in a field."""
        ids, tf = self.postings(field_name, term)
        scores = np.zeros(self.count, dtype=np.float32)
        if not len(ids):
            return scores
        df = len(ids)
        idf = np.log(1 + (self.live_count - df + 0.5) / (df + 0.5))
        norm = 1 - BM25_B + BM25_B * self.lengths[field_name][ids] / max(self.average_length[field_name], 1.0)
        scores[ids] = idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * norm)
        return scores

    def phrase_mask(self, grams: list[str]) -> np.ndarray:
        """Return the documents where the bigrams occur at consecutive positions."""
        cached = self._positions.get(tuple(grams))
        if cached is not None:
            return cached
        mask = np.zeros(self.count, dtype=bool)
        if not grams:
            return mask
        candidates = np.ones(self.count, dtype=bool)
        for gram in grams:
            candidates &= self.mask_of(f.BIGRAMS, gram)
        docs = np.nonzero(candidates & self.facets.live)[0]
        if len(grams) == 1 or not len(docs):
            mask[docs] = True
        else:
            starts = self.positions(grams[0], docs)
            for index, gram in enumerate(grams[1:], start=1):
                if not len(starts):
                    break
                other = self.positions(gram, docs) - index
                if not len(other):
                    starts = starts[:0]
                    break
                found = np.searchsorted(other, starts)
                found[found == len(other)] = 0
                starts = starts[other[found] == starts]
            mask[np.unique(starts >> POSITION_BITS)] = True
        self._remember(self._positions, tuple(grams), mask, POSITIONS_CACHE_SIZE)
        return mask


_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


@dataclass
class _Evaluated:
    mask: np.ndarray
    score: np.ndarray
    word_terms: np.ndarray  # how many terms matched as words (the ranking tier)


def _evaluate_term(engine: _Engine, term: Term) -> _Evaluated:
    """Return where a term matches and how well: words in body/heading/title, else its bigrams."""
    count = engine.count
    words = list(dict.fromkeys(token[0] for token in word_tokens(term.text, subwords=False)))
    word_mask = np.zeros(count, dtype=bool)
    word_score = np.zeros(count, dtype=np.float32)
    if words:
        for field_name, weight in FIELD_WEIGHTS.items():
            field_mask = np.ones(count, dtype=bool)
            field_score = np.zeros(count, dtype=np.float32)
            for word in words:
                field_mask &= engine.mask_of(field_name, word)
                if not field_mask.any():
                    break
                field_score += engine.bm25(field_name, word)
            word_mask |= field_mask
            word_score += weight * np.where(field_mask, field_score, 0)
    # Bigrams: every Chinese run of the term, and its other words (numbers, Latin) in the body.
    runs = _CJK_RUN.findall(term.text)
    grams_by_run = [[token[0] for token in bigram_tokens(run)] for run in runs]
    bigram_mask = np.ones(count, dtype=bool) if runs else np.zeros(count, dtype=bool)
    bigram_score = np.zeros(count, dtype=np.float32)
    for run, grams in zip(runs, grams_by_run):
        if grams:
            if term.phrase:
                bigram_mask &= engine.phrase_mask(grams)
            else:
                for gram in grams:
                    bigram_mask &= engine.mask_of(f.BIGRAMS, gram)
            for gram in dict.fromkeys(grams):
                bigram_score += engine.bm25(f.BIGRAMS, gram)
        else:
            # One character: any bigram that starts with it stands in for a unigram field.
            single = np.zeros(count, dtype=bool)
            for gram in itertools.islice(engine.reader.expand_prefix(f.BIGRAMS, run), SINGLE_CHAR_EXPANSION_LIMIT):
                gram = gram.decode("utf-8") if isinstance(gram, bytes) else gram
                single |= engine.mask_of(f.BIGRAMS, gram)
            bigram_mask &= single | engine.mask_of(f.BODY, run)
    others = [token[0] for token in word_tokens(_CJK_RUN.sub(" ", term.text), subwords=False)]
    for word in others:
        bigram_mask &= engine.mask_of(f.BODY, word)
    if term.phrase and runs:
        # A quoted phrase must occur as written (punctuation between characters aside).
        mask = bigram_mask
        word_mask &= mask
    else:
        mask = word_mask | bigram_mask
    score = np.where(word_mask, word_score, 0) + BIGRAM_BOOST * np.where(mask, bigram_score, 0)
    return _Evaluated(mask, score.astype(np.float32), word_mask.astype(np.int32))


def evaluate(engine: _Engine, parsed: ParsedQuery, deadline: float | None) -> tuple[_Evaluated, bool]:
    """Return the documents matching a parsed query with their scores, and whether time ran out."""
    count = engine.count
    total = _Evaluated(np.ones(count, dtype=bool), np.zeros(count, dtype=np.float32),
                       np.zeros(count, dtype=np.int32))
    partial = False
    for clause in parsed.clauses:
        if deadline is not None and time.monotonic() > deadline:
            partial = True
            break
        alternatives = [_evaluate_term(engine, term) for term in clause]
        mask = np.logical_or.reduce([alt.mask for alt in alternatives])
        score = np.sum([np.where(alt.mask, alt.score, 0) for alt in alternatives], axis=0)
        tier = np.max([alt.word_terms for alt in alternatives], axis=0)
        total.mask &= mask
        total.score += score.astype(np.float32)
        total.word_terms += tier
    for term in parsed.excluded:
        if deadline is not None and time.monotonic() > deadline:
            partial = True
            break
        total.mask &= ~_evaluate_term(engine, term).mask
    total.mask &= engine.facets.live
    return total, partial

# --- Snippets -----------------------------------------------------------------------------------

def _needle_pattern(parsed: ParsedQuery) -> re.Pattern | None:
    """Return a regex over simplified text that finds what the query's terms match."""
    alternatives = set()
    for term in parsed.positive_terms():
        chars = [char for char in term.text if not char.isspace()]
        if len(chars) > 1:
            # The whole term, allowing punctuation or spaces between its characters.
            alternatives.add(r"[\s\W_]*".join(re.escape(char) for char in chars))
        if not term.phrase:
            for word, *_ in word_tokens(term.text, subwords=False):
                alternatives.add(re.escape(word))
        elif len(chars) == 1:
            alternatives.add(re.escape(chars[0]))
    alternatives.discard("")
    if not alternatives:
        return None
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True)), re.IGNORECASE)


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((text.rfind(char, 0, start) for char in _SENTENCE_END), default=-1) + 1
    rights = [index for index in (text.find(char, end) for char in _SENTENCE_END) if index != -1]
    right = min(rights) + 1 if rights else len(text)
    return left, right


def make_snippet(text: str, pattern: re.Pattern | None) -> str:
    """Return 1–3 fragments of about 100 characters around the matches, escaped, matches in <mark>.

    Matches are found in the simplified form and marked at the same offsets in the original, so a
    traditional report shows traditional text with the right characters marked.
    """
    from indexer.script import to_simplified

    text = text.strip()
    if not text:
        return ""
    spans = []
    if pattern is not None:
        simple = to_simplified(text)
        spans = [(m.start(), m.end()) for m in pattern.finditer(simple) if m.end() > m.start()]
    if not spans:
        cut = text[:SNIPPET_FRAGMENT_CHARS]
        return html.escape(cut) + ("…" if len(text) > len(cut) else "")
    fragments: list[tuple[int, int]] = []
    for start, end in spans:
        if fragments and start < fragments[-1][1]:
            continue
        left, right = _sentence_bounds(text, start, end)
        if right - left > SNIPPET_FRAGMENT_CHARS:
            # A long sentence: a window around the match, still cut at a sentence boundary if near.
            half = (SNIPPET_FRAGMENT_CHARS - (end - start)) // 2
            left = max(left, start - max(half, 10))
            right = min(right, max(end + max(half, 10), left + SNIPPET_FRAGMENT_CHARS))
        if fragments and left <= fragments[-1][1]:
            fragments[-1] = (fragments[-1][0], max(right, fragments[-1][1]))
        else:
            fragments.append((left, right))
        if len(fragments) >= SNIPPET_MAX_FRAGMENTS and end >= fragments[-1][1]:
            break
    fragments = fragments[:SNIPPET_MAX_FRAGMENTS]
    pieces = []
    for left, right in fragments:
        out = ["…" if left > 0 else ""]
        cursor = left
        for start, end in spans:
            if end <= left or start >= right:
                continue
            start, end = max(start, left), min(end, right)
            out.append(html.escape(text[cursor:start]))
            out.append(f"<mark>{html.escape(text[start:end])}</mark>")
            cursor = end
        out.append(html.escape(text[cursor:right]))
        if right < len(text):
            out.append("…")
        pieces.append("".join(out).replace("\n", " "))
    return " ".join(pieces)


# --- Search -------------------------------------------------------------------------------------

def _validate(request: SearchRequest, max_page_size: int = MAX_PAGE_SIZE) -> None:
    if request.sort not in SORTS:
        raise QueryError("排序方式只能是 relevance（相关度）、year（年份）或 original（原创度）。")
    if not 1 <= request.page <= MAX_PAGE:
        raise QueryError(f"页码应在 1 到 {MAX_PAGE} 之间。")
    if not 1 <= request.page_size <= max_page_size:
        raise QueryError(f"每页条数应在 1 到 {max_page_size} 之间。")
    for value in request.consistency:
        if value not in f.CONSISTENCY_VALUES:
            raise QueryError(f"数据一致性只能是 {'、'.join(f.CONSISTENCY_VALUES)}，而不是“{value}”。")
    for key in request.sections:
        if key not in SECTION_LABELS:
            raise QueryError(f"没有这个章节：{key}。可选：{'、'.join(SECTION_LABELS)}。")
    for low, high in request.years:
        if low > high:
            raise QueryError(f"年份范围不对：{low}–{high}。")


def _region_masks(arrays: _FacetArrays, regions: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Return a mask per region level: selected names at one level OR together; levels AND."""
    by_level: dict[str, np.ndarray] = {}
    for name in regions:
        found = False
        for level in f.REGION_LEVELS:
            code = arrays.code_of(level, name)
            if code is None:
                continue
            found = True
            mask = arrays.codes[level] == code
            by_level[level] = by_level[level] | mask if level in by_level else mask
        if not found:
            # A name in no report matches nothing, and narrows every facet (no facet skips this key).
            by_level["unknown-region"] = np.zeros_like(arrays.live)
    return by_level


def _filter_masks(engine: _Engine, request: SearchRequest) -> dict[str, np.ndarray]:
    arrays = engine.facets
    masks = _region_masks(arrays, request.regions)
    if request.original_only:
        with np.errstate(invalid="ignore"):
            masks["original"] = engine.copies.originality() >= ORIGINAL_SHARE
    if request.years:
        years = arrays.years
        mask = np.zeros_like(arrays.live)
        for low, high in request.years:
            mask |= (years >= low) & (years <= high)
        masks[f.YEAR] = mask
    if request.sections:
        wanted = [arrays.code_of(f.SECTION, key) for key in request.sections]
        codes = [code for code in wanted if code is not None]
        masks[f.SECTION] = np.isin(arrays.codes[f.SECTION], codes) if codes else np.zeros_like(arrays.live)
    if request.consistency:
        wanted = [arrays.code_of(f.CONSISTENCY, value) for value in request.consistency]
        codes = [code for code in wanted if code is not None]
        masks[f.CONSISTENCY] = (np.isin(arrays.codes[f.CONSISTENCY], codes) if codes
                                else np.zeros_like(arrays.live))
    return masks


def _combine(base: np.ndarray, masks: dict[str, np.ndarray], skip: str | None = None) -> np.ndarray:
    result = base.copy()
    for name, mask in masks.items():
        if name != skip:
            result &= mask
    return result


def _facet_values(arrays: _FacetArrays, name: str, mask: np.ndarray) -> list[FacetValue]:
    counts = np.bincount(arrays.codes[name][mask], minlength=len(arrays.values[name]))
    values = []
    for code in np.nonzero(counts)[0]:
        value = arrays.values[name][code]
        if value in (None, "", 0):
            continue
        label = SECTION_LABELS.get(value, value) if name == f.SECTION else str(value)
        values.append(FacetValue(value=value, count=int(counts[code]), label=label))
    if name == f.YEAR:
        values.sort(key=lambda item: -item.value)
    elif name == f.SECTION:
        values.sort(key=lambda item: SECTION_ORDER.get(item.value, 99))
    else:
        values.sort(key=lambda item: (-item.count, item.value))
    return values


def _reports_per_value(arrays: _FacetArrays, name: str, mask: np.ndarray) -> np.ndarray:
    """Return, per value code of a field, how many distinct reports among the masked sections have it."""
    pairs = np.unique(np.stack([arrays.codes[name][mask], arrays.codes[f.REPORT_ID][mask]]), axis=1)
    return np.bincount(pairs[0], minlength=len(arrays.values[name]))


def _report_facet(arrays: _FacetArrays, name: str, mask: np.ndarray) -> list[FacetValue]:
    """Return a facet counted in reports (not sections): each report counts once per value."""
    if not mask.any():
        return []
    counts = _reports_per_value(arrays, name, mask)
    values = []
    for code in np.nonzero(counts)[0]:
        value = arrays.values[name][code]
        if value in (None, ""):
            continue
        values.append(FacetValue(value=value, count=int(counts[code]),
                                 label=CONSISTENCY_LABELS.get(value, str(value))))
    values.sort(key=lambda item: f.CONSISTENCY_VALUES.index(item.value)
                if item.value in f.CONSISTENCY_VALUES else 99)
    return values


def _report_fields(stored: dict) -> dict:
    """Return the report-level fields every section document stores, as hits and reports show them."""
    return {
        "report_id": stored.get(f.REPORT_ID, ""),
        "source": stored.get(f.SOURCE, ""),
        "title": stored.get(f.TITLE, ""),
        "issuer": stored.get(f.ISSUER, ""),
        "region": {level: stored.get(level) or None for level in f.REGION_LEVELS},
        "year": stored.get(f.YEAR) or None,
    }


def _section_text(stored: dict) -> str:
    """Return a section's whole text: its own text, then its subsections' headings and texts."""
    subsections = json.loads(stored.get(f.SUBSECTIONS) or "[]")
    parts = [stored.get(f.TEXT, "") or ""]
    return "\n".join(parts + [part for sub in subsections for part in (sub["heading"], sub["text"]) if part])


def _hit_from(stored: dict, score: float, pattern, with_snippet: bool, other_matches: int = 0,
              originality: float | None = None) -> Hit:
    key = stored.get(f.SECTION, "other")
    return Hit(
        **_report_fields(stored),
        section={"key": key, "label": SECTION_LABELS.get(key, key), "heading": stored.get(f.HEADING, "")},
        snippet=make_snippet(_section_text(stored), pattern) if with_snippet else "",
        score=float(score),
        position=stored.get(f.POSITION, 0),
        other_matches=other_matches,
        originality=originality,
    )


def _ranked(engine: _Engine, docnums: np.ndarray, evaluated: _Evaluated | None, sort: str) -> np.ndarray:
    """Return docnums in result order: relevance (words before bigrams), year (newest first), or
    originality (most original first, sections without measurable text last)."""
    arrays = engine.facets
    years = arrays.years
    keys = [docnums]  # last resort: index order, so pages never overlap
    if evaluated is None:
        keys += [arrays.position[docnums], arrays.codes[f.REPORT_ID][docnums], -years[docnums]]
    else:
        keys += [-evaluated.score[docnums], -evaluated.word_terms[docnums]]
        if sort == "year":
            keys.append(-years[docnums])
    if sort == "original":
        keys.append(-np.nan_to_num(engine.copies.originality()[docnums], nan=-1.0))
    return docnums[np.lexsort(keys)]


def search(index: SearchIndex, request: SearchRequest, *, max_page_size: int = MAX_PAGE_SIZE) -> SearchPage:
    """Run a search and return one page of hits with facet counts over the whole result set."""
    started = time.perf_counter()
    _validate(request, max_page_size)
    parsed = parse_query(request.query)
    searcher = index.searcher()
    cache_key = (index.version(searcher), request)
    cached = index.cached(cache_key)
    if cached is not None:
        return cached
    engine = index.engine(searcher)
    arrays = engine.facets
    deadline = time.monotonic() + request.time_limit if request.time_limit else None
    evaluated = None
    partial = False
    if parsed.is_empty:
        matched = arrays.live.copy()
    else:
        evaluated, partial = evaluate(engine, parsed, deadline)
        matched = evaluated.mask
    masks = _filter_masks(engine, request)
    selected = _combine(matched, masks)

    facets: dict[str, list[FacetValue]] = {}
    if request.with_facets:
        for name in f.FACET_FIELDS:
            # A facet's own selection does not narrow its counts (other years stay visible);
            # region levels drill down: a province narrows the city counts, not the province counts.
            facets[name] = _facet_values(arrays, name, _combine(matched, masks, skip=name))
        consistency = _report_facet(arrays, f.CONSISTENCY, _combine(matched, masks, skip=f.CONSISTENCY))
    else:
        consistency = []

    report_codes = arrays.codes[f.REPORT_ID]
    sections_total = int(selected.sum())
    ordered = _ranked(engine, np.nonzero(selected)[0], evaluated, request.sort)
    per_report = None
    if request.group_by_report:
        per_report = np.bincount(report_codes[ordered], minlength=len(arrays.values[f.REPORT_ID]))
        _, first_index = np.unique(report_codes[ordered], return_index=True)
        ordered = ordered[np.sort(first_index)]
    total = len(ordered)
    pages = max(1, math.ceil(total / request.page_size))
    first = (request.page - 1) * request.page_size
    page_docs = ordered[first:first + request.page_size]

    pattern = _needle_pattern(parsed) if request.with_snippets else None
    originality = engine.copies.originality() if request.with_originality and len(page_docs) else None
    hits = []
    for docnum in page_docs.tolist():
        stored = searcher.stored_fields(docnum)
        score = float(evaluated.score[docnum]) if evaluated is not None else 0.0
        others = int(per_report[report_codes[docnum]]) - 1 if per_report is not None else 0
        share = float(originality[docnum]) if originality is not None else math.nan
        hits.append(_hit_from(stored, score, pattern, request.with_snippets, others,
                              None if math.isnan(share) else share))
    page = SearchPage(
        query=request.query,
        total=total,
        page=request.page,
        pages=pages,
        hits=hits,
        facets=facets,
        took_ms=round((time.perf_counter() - started) * 1000, 1),
        partial=partial,
        grouped=request.group_by_report,
        sections_total=sections_total,
        consistency=consistency,
    )
    if not partial and request.page_size <= MAX_PAGE_SIZE:  # exports are too big to keep
        index.remember(cache_key, page)
    return page


# --- Reports ------------------------------------------------------------------------------------

_REPORT_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass
class ReportSection:
    key: str
    label: str
    heading: str
    text: str
    subsections: list[dict]

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "heading": self.heading, "text": self.text,
                "subsections": self.subsections}


@dataclass
class ReportView:
    """A whole report as the index holds it (sections in order, original script)."""

    report_id: str
    source: str
    title: str
    issuer: str
    region: dict
    year: int | None
    published: str | None
    script: str
    preamble: str
    warnings: list[str]
    sections: list[ReportSection]
    tables: dict | None = None  # statistics tables and checks (indexer.tables); None if not stored
    consistency: str = "none"

    def to_dict(self) -> dict:
        """Return the JSON shape of GET /api/reports/<id>."""
        return {
            "report_id": self.report_id,
            "source": self.source,
            "title": self.title,
            "issuer": self.issuer,
            "region": self.region,
            "year": self.year,
            "published": self.published,
            "script": self.script,
            "preamble": self.preamble,
            "sections": [section.to_dict() for section in self.sections],
            "warnings": self.warnings,
            "tables": self.tables,
            "consistency": self.consistency,
        }


@dataclass
class ReportLink:
    report_id: str
    year: int | None
    title: str
    sections: set[str] = field(default_factory=set)  # the canonical keys the report has


def is_report_id(value: str) -> bool:
    """Tell whether a string has the shape of a report id (never used as a path)."""
    return bool(_REPORT_ID.match(value or ""))


def _report_docnums(engine: "_Engine", report_id: str) -> list[int]:
    docnums = engine.postings(f.REPORT_ID, report_id)[0]
    return [int(docnum) for docnum in docnums if engine.facets.live[docnum]]


def get_report(index: SearchIndex, report_id: str) -> ReportView | None:
    """Return a report by id, or None when there is no such report."""
    if not is_report_id(report_id):
        return None
    searcher = index.searcher()
    engine = index.engine(searcher)
    stored = sorted((searcher.stored_fields(docnum) for docnum in _report_docnums(engine, report_id)),
                    key=lambda fields: fields.get(f.POSITION, 0))
    if not stored:
        return None
    first = stored[0]
    sections = [
        ReportSection(
            key=fields.get(f.SECTION, "other"),
            label=SECTION_LABELS.get(fields.get(f.SECTION, "other"), ""),
            heading=fields.get(f.HEADING, ""),
            text=fields.get(f.TEXT, "") or "",
            subsections=json.loads(fields.get(f.SUBSECTIONS) or "[]"),
        )
        for fields in stored
    ]
    return ReportView(
        **{**_report_fields(first), "report_id": report_id},
        published=first.get(f.PUBLISHED) or None,
        script=first.get(f.SCRIPT, "simplified"),
        preamble=first.get(f.PREAMBLE, "") or "",
        warnings=json.loads(first.get(f.WARNINGS) or "[]"),
        sections=sections,
        tables=json.loads(first[f.TABLES]) if first.get(f.TABLES) else None,
        consistency=first.get(f.CONSISTENCY) or "none",
    )


def other_years(index: SearchIndex, report: ReportView) -> list[ReportLink]:
    """Return the same issuer's other reports (same place), by year, with the sections each has."""
    if not report.issuer:
        return []
    searcher = index.searcher()
    engine = index.engine(searcher)
    arrays = engine.facets
    issuer_docs = engine.postings(f.ISSUER, report.issuer)[0]
    links: dict[str, ReportLink] = {}
    for docnum in issuer_docs.tolist():
        if not arrays.live[docnum]:
            continue
        fields = searcher.stored_fields(docnum)
        report_id = fields.get(f.REPORT_ID, "")
        if report_id == report.report_id:
            continue
        if any((fields.get(level) or None) != report.region.get(level) for level in (f.PROVINCE, f.CITY, f.COUNTY)):
            continue  # a same-named body elsewhere (青山区人民政府 in 包头市 and in 武汉市)
        link = links.setdefault(report_id, ReportLink(report_id, fields.get(f.YEAR) or None,
                                                      fields.get(f.TITLE, "")))
        link.sections.add(fields.get(f.SECTION))
    return sorted(links.values(), key=lambda link: (link.year or 0, link.report_id))


def corpus_stats(index: SearchIndex) -> dict:
    """Return what the corpus covers: report and section counts, reports by year and by province."""
    searcher = index.searcher()
    arrays = index.engine(searcher).facets
    live = arrays.live
    report_codes = arrays.codes[f.REPORT_ID][live]
    stats = {"reports": int(len(np.unique(report_codes))), "sections": int(live.sum())}
    for name in (f.YEAR, f.PROVINCE):
        counts = _reports_per_value(arrays, name, live)
        values = [(arrays.values[name][code], int(count)) for code, count in enumerate(counts)
                  if count and arrays.values[name][code] not in (None, "", 0)]
        values.sort(key=(lambda item: -item[0]) if name == f.YEAR else (lambda item: (-item[1], item[0])))
        stats["by_" + name] = values
    return stats


# --- Statistics (tables 3 and 4 across reports) ---------------------------------------------------

def _stats_row(engine: _Engine, code: int, docnum: int) -> dict:
    """Return a report's /stats row, from columns (title, key figures) and the facet arrays."""
    arrays = engine.facets
    row = arrays.stats_rows.get(code)
    if row is None:
        with engine.column_lock:  # Whoosh column readers share file handles
            columns = engine.stats_columns()
            title = columns[f.TITLE][docnum]
            values = {key: columns[name][docnum] for key, name in f.FIGURE_FIELDS.items()}
        figures = {key: None if value in (None, f.NO_FIGURE) else int(value) for key, value in values.items()}
        region = {level: arrays.values[level][arrays.codes[level][docnum]] or None for level in f.REGION_LEVELS}
        row = {
            "report_id": arrays.values[f.REPORT_ID][code],
            "title": title.decode("utf-8") if isinstance(title, bytes) else (title or ""),
            "issuer": arrays.values[f.ISSUER][arrays.codes[f.ISSUER][docnum]] or "",
            "region": region,
            "year": int(arrays.years[docnum]) or None,
            "consistency": arrays.values[f.CONSISTENCY][arrays.codes[f.CONSISTENCY][docnum]] or "none",
            "has_tables": any(value is not None for value in figures.values()),
            "figures": figures,
        }
        arrays.stats_rows[code] = row
    return row


def report_stats(index: SearchIndex, request: SearchRequest) -> dict:
    """Return the key figures of every report a search selects, their totals and chart series.

    Shape (also GET /api/stats): {"reports", "reports_with_tables", "figures": [{"key", "label"}],
    "totals": {key: number}, "rows": [{"report_id", "title", "issuer", "region", "year",
    "consistency", "has_tables", "figures": {key: number or null}}], "by_year": [{"year",
    "reports", "applications"}], "outcomes": [{"key", "label", "value"}], "top_issuers":
    [{"issuer", "applications"}]}. Rows come in index order (newest year first); callers sort.
    """
    _validate(request)
    parsed = parse_query(request.query)
    searcher = index.searcher()
    engine = index.engine(searcher)
    arrays = engine.facets
    if parsed.is_empty:
        matched = arrays.live.copy()
    else:
        deadline = time.monotonic() + request.time_limit if request.time_limit else None
        matched = evaluate(engine, parsed, deadline)[0].mask
    selected = _combine(matched, _filter_masks(engine, request))
    codes = np.unique(arrays.codes[f.REPORT_ID][selected])
    first = arrays.first_docs
    rows = [_stats_row(engine, int(code), int(first[code])) for code in codes.tolist() if first[code] >= 0]
    rows.sort(key=lambda row: (-(row["year"] or 0), row["issuer"], row["report_id"]))
    totals = {key: add_numbers(row["figures"][key] for row in rows) for key, _ in KEY_FIGURES}
    by_year: dict[int, dict] = {}
    for row in rows:
        if row["year"] and row["has_tables"]:
            entry = by_year.setdefault(row["year"], {"year": row["year"], "reports": 0, "applications": 0})
            entry["reports"] += 1
            entry["applications"] += row["figures"]["applications"] or 0
    issuers: dict[str, int] = {}
    for row in rows:
        value = row["figures"]["applications"]
        if row["issuer"] and value:
            issuers[row["issuer"]] = issuers.get(row["issuer"], 0) + value
    top = sorted(issuers.items(), key=lambda item: (-item[1], item[0]))[:10]
    return {
        "reports": len(rows),
        "reports_with_tables": sum(row["has_tables"] for row in rows),
        "figures": [{"key": key, "label": label} for key, label in KEY_FIGURES],
        "totals": totals,
        "rows": rows,
        "by_year": [by_year[year] for year in sorted(by_year)],
        "outcomes": [{"key": key, "label": FIGURE_LABELS[key], "value": totals[key] or 0} for key in OUTCOME_FIGURES],
        "top_issuers": [{"issuer": issuer, "applications": value} for issuer, value in top],
    }
