"""Near-duplicate passages: which other reports contain the same or nearly the same wording.

Used by the report page (the "此段另见于 N 份报告" marks and the originality figure per section),
GET /reports/<id>/similar and /api/reports/<id>/similar, and `gongkai similar`. The arrays behind
it are app.copies.CopyArrays (one per index version); the fingerprints are indexer.fingerprints.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from app.search import SearchIndex, is_report_id
from indexer import fingerprints as fp
from indexer import schema as f
from indexer.models import Report
from indexer.sections import SECTION_LABELS

SIMILAR_LIMIT = 50  # passages listed by default (the total is always counted)
MAX_SIMILAR_LIMIT = 1000
MARK_LINKS = 5  # links shown under one marked paragraph


class SimilarError(ValueError):
    """A request for similar passages that cannot be answered (the message is for the user)."""


@dataclass
class SimilarPassage:
    report_id: str
    source: str
    title: str
    issuer: str
    year: int | None
    section: str  # canonical key of the other report's section
    position: int  # that section's order in its report
    part: int
    line: int
    similarity: float
    passage: str  # the other report's passage, as written
    query_position: int = -1  # which of our passages it resembles (-1 for a file)
    query_part: int = 0
    query_line: int = 0

    @property
    def anchor(self) -> str:
        return passage_anchor(self.position, self.part, self.line)

    def to_dict(self) -> dict:
        """Return the JSON shape of `gongkai similar --json` and GET /api/reports/<id>/similar."""
        return {"report_id": self.report_id, "source": self.source, "section": self.section,
                "similarity": round(self.similarity, 3), "passage": self.passage}


@dataclass
class SimilarResult:
    passages: list[SimilarPassage]
    total: int  # near-duplicate passages found (all of them; `passages` is the first `limit`)
    reports: int  # distinct other reports among them
    query_passages: int  # fingerprinted passages of the report (or section) asked about


@dataclass
class PassageMark:
    """A paragraph of a report that appears in other reports."""

    reports: int
    links: list[dict] = field(default_factory=list)  # [{"report_id", "issuer", "year", "anchor", "similarity"}]


def passage_anchor(position: int, part: int, line: int) -> str:
    """Return the id of a paragraph on the report page: section position, part, line."""
    return f"p{position}-{part}-{line}"


def _report_code(engine, report_id: str) -> int | None:
    return engine.facets.code_of(f.REPORT_ID, report_id)


def _open(index: SearchIndex, report_id: str):
    """Return (searcher, engine, report code or None) of the index version a request sees."""
    searcher = index.searcher()
    engine = index.engine(searcher)
    return searcher, engine, _report_code(engine, report_id)


def _report_passages(engine, code: int, section: str | None) -> np.ndarray:
    """Return the indices (in CopyArrays) of a report's passages, optionally of one section key."""
    copies = engine.copies
    mine = np.flatnonzero(copies.report == code)
    if section:
        section_code = engine.facets.code_of(f.SECTION, section)
        if section_code is None:
            return np.zeros(0, dtype=np.int64)
        mine = mine[engine.facets.codes[f.SECTION][copies.doc[mine]] == section_code]
    return mine


def _match(engine, signatures: np.ndarray, keys: np.ndarray, exclude_report: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (query index, passage, similarity) of every near-duplicate of signatures with their band keys."""
    copies = engine.copies
    queries, found, scores = [], [], []
    for index, (signature, key) in enumerate(zip(signatures, keys)):
        passages, similarity = copies.near(signature, key, exclude_report=exclude_report)
        queries.append(np.full(len(passages), index, dtype=np.int64))
        found.append(passages)
        scores.append(similarity)
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(queries), np.concatenate(found).astype(np.int64), np.concatenate(scores)


def _validate_section(section: str | None) -> None:
    if section and section not in SECTION_LABELS:
        raise SimilarError(f"没有这个章节：{section}。可选：{'、'.join(SECTION_LABELS)}。")


def _validate_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_SIMILAR_LIMIT:
        raise SimilarError(f"条数应在 1 到 {MAX_SIMILAR_LIMIT} 之间。")


def _best_first(engine, found: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Return the order of found passages: most similar first, then newest year, then index order."""
    return np.lexsort((found, -engine.facets.years[engine.copies.doc[found]], -scores))


def _result(searcher, engine, queries: np.ndarray, found: np.ndarray, scores: np.ndarray,
            query_places: list[tuple[int, int, int]], query_count: int, limit: int) -> SimilarResult:
    """Keep each other passage once (its best similarity), order them, and read the first `limit`."""
    copies = engine.copies
    if len(found):
        # Each other passage once, at its best similarity.
        order = _best_first(engine, found, scores)
        queries, found, scores = queries[order], found[order], scores[order]
        _, first = np.unique(found, return_index=True)
        keep = np.sort(first)
        queries, found, scores = queries[keep], found[keep], scores[keep]
    reports = len(np.unique(copies.report[found])) if len(found) else 0
    passages = []
    stored_cache: dict[int, dict] = {}
    for query, passage, score in zip(queries[:limit].tolist(), found[:limit].tolist(), scores[:limit].tolist()):
        docnum = int(copies.doc[passage])
        stored = stored_cache.get(docnum)
        if stored is None:
            stored = stored_cache[docnum] = searcher.stored_fields(docnum)
        part, line = int(copies.part[passage]), int(copies.line[passage])
        position, query_part, query_line = query_places[query]
        passages.append(SimilarPassage(
            report_id=stored.get(f.REPORT_ID, ""), source=stored.get(f.SOURCE, ""), title=stored.get(f.TITLE, ""),
            issuer=stored.get(f.ISSUER, ""), year=stored.get(f.YEAR) or None,
            section=stored.get(f.SECTION, "other"), position=stored.get(f.POSITION, 0), part=part, line=line,
            similarity=float(score), passage=_passage_text(stored, part, line),
            query_position=position, query_part=query_part, query_line=query_line,
        ))
    return SimilarResult(passages=passages, total=len(found), reports=reports, query_passages=query_count)


def _passage_text(stored: dict, part: int, line: int) -> str:
    if part == 0:
        text = stored.get(f.TEXT, "") or ""
    else:
        subsections = json.loads(stored.get(f.SUBSECTIONS) or "[]")
        text = subsections[part - 1].get("text", "") if part - 1 < len(subsections) else ""
    lines = fp.paragraphs(text)
    return lines[line] if line < len(lines) else ""


def similar_to_report(index: SearchIndex, report_id: str, section: str | None = None,
                      limit: int = SIMILAR_LIMIT) -> SimilarResult | None:
    """Return the passages of other reports near a report's passages (or one section's); None if no report."""
    _validate_section(section)
    _validate_limit(limit)
    if not is_report_id(report_id):
        return None
    searcher, engine, code = _open(index, report_id)
    if code is None or not engine.facets.live[engine.facets.codes[f.REPORT_ID] == code].any():
        return None
    copies = engine.copies
    mine = _report_passages(engine, code, section)
    positions = engine.facets.position[copies.doc[mine]]
    places = [(int(position), int(copies.part[i]), int(copies.line[i])) for position, i in zip(positions, mine)]
    queries, found, scores = _match(engine, copies.signatures[mine], copies.keys[mine], code)
    return _result(searcher, engine, queries, found, scores, places, len(mine), limit)


def similar_to_file(index: SearchIndex, report: Report, section: str | None = None,
                    limit: int = SIMILAR_LIMIT) -> SimilarResult:
    """Return the indexed passages near a parsed report's passages (the report is not added)."""
    _validate_section(section)
    _validate_limit(limit)
    searcher = index.searcher()
    engine = index.engine(searcher)
    signatures, places = [], []
    for position, part in enumerate(report.sections):
        if section and part.key != section:
            continue
        for passage in fp.section_passages(part.text, [sub.to_dict() for sub in part.subsections]):
            signatures.append(passage.signature)
            places.append((position, passage.part, passage.line))
    stacked = np.array(signatures, dtype=np.uint32).reshape(-1, fp.NUM_PERM)
    queries, found, scores = _match(engine, stacked, fp.band_hashes(stacked), -1)
    return _result(searcher, engine, queries, found, scores, places, len(places), limit)


def report_marks(index: SearchIndex, report_id: str) -> dict[str, PassageMark]:
    """Return, per paragraph anchor of a report, in how many other reports it appears and where."""
    _searcher, engine, code = _open(index, report_id)
    if code is None:
        return {}
    copies = engine.copies
    arrays = engine.facets
    mine = _report_passages(engine, code, None)
    queries, found, scores = _match(engine, copies.signatures[mine], copies.keys[mine], code)
    order = _best_first(engine, found, scores)
    order = order[np.argsort(queries[order], kind="stable")]  # grouped by our passage, best first in each
    marks = {}
    for group in np.split(order, np.flatnonzero(np.diff(queries[order])) + 1):
        if not len(group):
            continue
        _, first = np.unique(copies.report[found[group]], return_index=True)
        best = group[np.sort(first)]  # each other report once, at its most similar passage
        links = []
        for other in best[:MARK_LINKS].tolist():
            docnum = int(copies.doc[found[other]])
            links.append({
                "report_id": arrays.values[f.REPORT_ID][arrays.codes[f.REPORT_ID][docnum]],
                "issuer": arrays.values[f.ISSUER][arrays.codes[f.ISSUER][docnum]] or "",
                "year": int(arrays.years[docnum]) or None,
                "anchor": _anchor_of(engine, int(found[other])),
                "similarity": float(scores[other]),
            })
        marks[_anchor_of(engine, int(mine[queries[group[0]]]))] = PassageMark(reports=len(best), links=links)
    return marks


def _anchor_of(engine, passage: int) -> str:
    """Return the report-page paragraph id of a passage (by its index in CopyArrays)."""
    copies = engine.copies
    position = int(engine.facets.position[copies.doc[passage]])
    return passage_anchor(position, int(copies.part[passage]), int(copies.line[passage]))


def section_originality(index: SearchIndex, report_id: str) -> dict[int, float | None]:
    """Return per section position of a report its originality (None: nothing to measure)."""
    _searcher, engine, code = _open(index, report_id)
    if code is None:
        return {}
    arrays = engine.facets
    originality = engine.copies.originality()
    docs = np.flatnonzero(arrays.live & (arrays.codes[f.REPORT_ID] == code))
    return {int(arrays.position[doc]): (None if math.isnan(originality[doc]) else float(originality[doc]))
            for doc in docs.tolist()}
