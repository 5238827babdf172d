"""The one module that reads the index: SearchRequest in, SearchPage out (dataclasses, no Whoosh).

Views, the CLI and tests call `open_index()` and `search()`. Facet counts are computed with numpy
over per-generation arrays of facet codes (built once per index version), so counting a result
set of any size is one pass; Whoosh is only asked for the matching document numbers and, when
there is a query, for the top hits of the requested page.
"""

from __future__ import annotations

import html
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
from whoosh import query as wq
from whoosh.collectors import CollapseCollector, WrappingCollector
from whoosh.scoring import BM25F
from whoosh.sorting import FieldFacet, MultiFacet, ScoreFacet

from app.query import ParsedQuery, QueryError, Term, parse_query
from indexer import schema as f
from indexer.analysis import bigram_tokens, word_tokens
from indexer.sections import SECTION_LABELS, SECTION_ORDER
from indexer.store import IndexMissing, current_generation, current_marker

__all__ = ["FacetValue", "Hit", "QueryError", "SearchIndex", "SearchPage", "SearchRequest", "open_index",
           "search", "IndexMissing"]

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


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    regions: tuple[str, ...] = ()
    years: tuple[tuple[int, int], ...] = ()  # inclusive ranges; one year is (y, y)
    sections: tuple[str, ...] = ()
    group_by_report: bool = False
    sort: str = "relevance"  # or "year"
    page: int = 1
    page_size: int = 10
    with_facets: bool = True
    with_snippets: bool = True
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


class _TimeLimit(Exception):
    pass


class _FilteredDeadlineCollector(WrappingCollector):
    """Pass on only allowed documents, and stop at a deadline.

    Whoosh's TimeLimitCollector uses SIGALRM (main thread only; it signals the whole process) and
    bypasses a FilterCollector it wraps. This sits directly above the top-N collector, so a
    CollapseCollector above it sees only allowed documents.
    """

    def __init__(self, child, allow: set | None, seconds: float | None):
        super().__init__(child)
        self.allow = allow
        self.seconds = seconds
        self.deadline = None

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.deadline = time.monotonic() + self.seconds if self.seconds else None

    def matches(self):
        allow = self.allow
        deadline = self.deadline
        offset = self.offset
        for count, sub_docnum in enumerate(self.child.matches()):
            if deadline is not None and not count % 64 and time.monotonic() > deadline:
                raise _TimeLimit
            if allow is None or offset + sub_docnum in allow:
                yield sub_docnum


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
        for name in (*f.FACET_FIELDS, f.REPORT_ID):
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
        self._facets: tuple[object, _FacetArrays] | None = None
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
        searcher = self._ix.searcher(weighting=BM25F())
        self._local.searcher = searcher
        self._local.ix = self._ix
        return searcher

    def version(self, searcher) -> tuple:
        """Return a key that changes whenever the index's content changes."""
        return (self._marker, searcher.reader().generation())

    def facet_arrays(self, searcher) -> _FacetArrays:
        key = self.version(searcher)
        cached = self._facets
        if cached is not None and cached[0] == key:
            return cached[1]
        arrays = _FacetArrays(searcher.reader())
        self._facets = (key, arrays)
        return arrays

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


# --- Query building -----------------------------------------------------------------------------

def _word_part(text: str):
    """Return the word-field query for a term: its jieba words, all required, in body/heading/title."""
    words = [token[0] for token in word_tokens(text, subwords=False)]
    if not words:
        return None
    per_field = []
    for name in (f.BODY, f.HEADING, f.TITLE):
        terms = [wq.Term(name, word) for word in dict.fromkeys(words)]
        per_field.append(terms[0] if len(terms) == 1 else wq.And(terms))
    return wq.Or(per_field)


def _bigram_part(text: str, searcher):
    """Return the bigram-field query for a term: every Chinese run as a bigram phrase."""
    runs = re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", text)
    parts = []
    for run in runs:
        grams = [token[0] for token in bigram_tokens(run)]
        if len(grams) == 1:
            parts.append(wq.Term(f.BIGRAMS, grams[0]))
        elif grams:
            parts.append(wq.Phrase(f.BIGRAMS, grams))
        elif len(run) == 1:
            # One character: any bigram starting with it (bounded) stands in for a unigram field.
            expanded = []
            for gram in searcher.reader().expand_prefix(f.BIGRAMS, run):
                expanded.append(wq.Term(f.BIGRAMS, gram.decode("utf-8") if isinstance(gram, bytes) else gram))
                if len(expanded) >= SINGLE_CHAR_EXPANSION_LIMIT:
                    break
            if expanded:
                parts.append(wq.Or(expanded))
    if not parts:
        return None
    # Non-Chinese words (numbers, Latin) must still be there as words.
    others = [token[0] for token in word_tokens(re.sub(r"[\u3400-\u9fff\uf900-\ufaff]+", " ", text),
                                                subwords=False)]
    parts += [wq.Term(f.BODY, word) for word in others]
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _term_query(term: Term, searcher):
    bigrams = _bigram_part(term.text, searcher)
    if term.phrase:
        # A quoted phrase must occur as written (punctuation between characters aside): the bigram
        # phrase decides; word matches only add to the score.
        words = _word_part(term.text)
        if bigrams is None:
            return words
        return wq.AndMaybe(bigrams, words) if words is not None else bigrams
    words = _word_part(term.text)
    alternatives = []
    if words is not None:
        alternatives.append(words)
    if bigrams is not None:
        alternatives.append(bigrams.with_boost(BIGRAM_BOOST))
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)


def build_query(parsed: ParsedQuery, searcher):
    """Return the Whoosh query for a parsed user query (None for an empty one)."""
    clauses = []
    for clause in parsed.clauses:
        alternatives = [q for q in (_term_query(term, searcher) for term in clause) if q is not None]
        if alternatives:
            clauses.append(alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives))
    if not clauses:
        return None
    positive = clauses[0] if len(clauses) == 1 else wq.And(clauses)
    negatives = [q for q in (_term_query(term, searcher) for term in parsed.excluded) if q is not None]
    if negatives:
        return wq.AndNot(positive, wq.Or(negatives) if len(negatives) > 1 else negatives[0])
    return positive


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

def _validate(request: SearchRequest) -> None:
    if request.sort not in ("relevance", "year"):
        raise QueryError("排序方式只能是 relevance（相关度）或 year（年份）。")
    if not 1 <= request.page <= MAX_PAGE:
        raise QueryError(f"页码应在 1 到 {MAX_PAGE} 之间。")
    if not 1 <= request.page_size <= MAX_PAGE_SIZE:
        raise QueryError(f"每页条数应在 1 到 {MAX_PAGE_SIZE} 之间。")
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


def _filter_masks(arrays: _FacetArrays, request: SearchRequest) -> dict[str, np.ndarray]:
    masks = _region_masks(arrays, request.regions)
    if request.years:
        years = np.array([value or 0 for value in arrays.values[f.YEAR]], dtype=np.int64)[arrays.codes[f.YEAR]]
        mask = np.zeros_like(arrays.live)
        for low, high in request.years:
            mask |= (years >= low) & (years <= high)
        masks[f.YEAR] = mask
    if request.sections:
        wanted = [arrays.code_of(f.SECTION, key) for key in request.sections]
        codes = [code for code in wanted if code is not None]
        masks[f.SECTION] = np.isin(arrays.codes[f.SECTION], codes) if codes else np.zeros_like(arrays.live)
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


def _hit_from(stored: dict, score: float, pattern, with_snippet: bool, other_matches: int = 0) -> Hit:
    key = stored.get(f.SECTION, "other")
    text = stored.get(f.TEXT, "") or ""
    subsections = json.loads(stored.get(f.SUBSECTIONS) or "[]")
    full = "\n".join([text] + [part for sub in subsections for part in (sub["heading"], sub["text"]) if part])
    return Hit(
        report_id=stored.get(f.REPORT_ID, ""),
        source=stored.get(f.SOURCE, ""),
        title=stored.get(f.TITLE, ""),
        issuer=stored.get(f.ISSUER, ""),
        region={level: stored.get(level) or None for level in f.REGION_LEVELS},
        year=stored.get(f.YEAR) or None,
        section={"key": key, "label": SECTION_LABELS.get(key, key), "heading": stored.get(f.HEADING, "")},
        snippet=make_snippet(full, pattern) if with_snippet else "",
        score=float(score),
        position=stored.get(f.POSITION, 0),
        other_matches=other_matches,
    )


def search(index: SearchIndex, request: SearchRequest) -> SearchPage:
    """Run a search and return one page of hits with facet counts over the whole result set."""
    started = time.perf_counter()
    _validate(request)
    parsed = parse_query(request.query)
    searcher = index.searcher()
    cache_key = (index.version(searcher), request)
    cached = index.cached(cache_key)
    if cached is not None:
        return cached
    arrays = index.facet_arrays(searcher)
    whoosh_query = build_query(parsed, searcher)
    partial = False
    if whoosh_query is None:
        matched = arrays.live.copy()
    else:
        matched = np.zeros_like(arrays.live)
        ids = np.fromiter(searcher.docs_for_query(whoosh_query), dtype=np.int64)
        matched[ids] = True
        matched &= arrays.live
    masks = _filter_masks(arrays, request)
    selected = _combine(matched, masks)

    facets: dict[str, list[FacetValue]] = {}
    if request.with_facets:
        for name in f.FACET_FIELDS:
            # A facet's own selection does not narrow its counts (other years stay visible);
            # region levels drill down: a province narrows the city counts, not the province counts.
            facets[name] = _facet_values(arrays, name, _combine(matched, masks, skip=name))

    report_codes = arrays.codes[f.REPORT_ID]
    sections_total = int(selected.sum())
    if request.group_by_report:
        per_report = np.bincount(report_codes[selected], minlength=len(arrays.values[f.REPORT_ID]))
        total = int(np.count_nonzero(per_report))
    else:
        per_report = None
        total = sections_total
    pages = max(1, math.ceil(total / request.page_size))
    first = (request.page - 1) * request.page_size
    wanted = first + request.page_size

    ranked: list[tuple[int, float]] = []
    if total and first < total:
        if whoosh_query is None or request.sort == "year":
            candidates = np.nonzero(selected)[0]
            years = np.array([value or 0 for value in arrays.values[f.YEAR]], dtype=np.int64)[arrays.codes[f.YEAR]]
            order = np.lexsort((arrays.position[candidates], report_codes[candidates], -years[candidates]))
            ordered = candidates[order]
            scores = {}
            if whoosh_query is not None:
                results = searcher.search(whoosh_query, limit=None, filter=set(ordered.tolist()),
                                          sortedby=MultiFacet([FieldFacet(f.YEAR, reverse=True), ScoreFacet()]))
                ordered = np.array([hit.docnum for hit in results], dtype=np.int64)
                scores = {hit.docnum: hit.score if isinstance(hit.score, float) else 0.0 for hit in results}
            if request.group_by_report:
                _, first_index = np.unique(report_codes[ordered], return_index=True)
                ordered = ordered[np.sort(first_index)]
            ranked = [(int(docnum), float(scores.get(int(docnum), 0.0))) for docnum in ordered[first:wanted]]
        else:
            allow = None if not masks else set(np.nonzero(selected)[0].tolist())
            # Whoosh's pruning (block quality, and matcher.replace(minscore) every few documents) relies
            # on max-quality bounds that boosted compound queries get wrong: it drops real top hits.
            # Score every match instead.
            top = searcher.collector(limit=wanted, optimize=False)
            top.replace = 0
            collector = _FilteredDeadlineCollector(top, allow, request.time_limit)
            if request.group_by_report:
                collector = CollapseCollector(collector, f.REPORT_ID, limit=1)
            try:
                searcher.search_with_collector(whoosh_query, collector)
            except _TimeLimit:
                partial = True
            results = collector.results()
            ranked = [(hit.docnum, hit.score or 0.0) for hit in results][first:wanted]

    pattern = _needle_pattern(parsed) if request.with_snippets else None
    hits = []
    for docnum, score in ranked:
        stored = searcher.stored_fields(docnum)
        others = int(per_report[report_codes[docnum]]) - 1 if per_report is not None else 0
        hits.append(_hit_from(stored, score, pattern, request.with_snippets, others))
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
    )
    if not partial:
        index.remember(cache_key, page)
    return page
