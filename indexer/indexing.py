"""Build and update the Whoosh index from a corpus folder (the only writer of the index).

Incremental by content hash: new, changed and deleted files are applied, unchanged ones skipped.
Reading and parsing run in a pool of worker processes; large batches are written by Whoosh's
multi-process writer so jieba segmentation also uses every core.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from indexer import schema as f
from indexer.models import Report
from indexer.pipeline import parse_report
from indexer.reading import ReadError
from indexer.store import (
    RunLock,
    current_generation,
    new_generation,
    remove_abandoned,
    switch_to,
    write_last_run,
)

REPORT_SUFFIXES = (".txt", ".html", ".htm")
# Below this many sections a single-process writer is faster than forking sub-writers.
MULTIPROCESS_MIN_SECTIONS = 3000
WRITER_MEMORY_MB = 256

Reporter = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class CorpusFile:
    source: str  # path relative to the corpus folder, "/" separated
    path: Path
    sha256: str


@dataclass
class RunSummary:
    """What an indexing run did; printed by the CLI and kept in last-run.json."""

    corpus: str
    index: str
    rebuilt: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)
    ignored: int = 0  # files of other types in the corpus folder
    reports: int = 0  # reports in the index after the run
    sections: int = 0
    seconds: float = 0.0
    started: str = ""
    note: str = ""

    @property
    def read_nothing(self) -> bool:
        return bool(self.failed) and not (self.added or self.updated or self.unchanged)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["failed"] = [{"source": source, "reason": reason} for source, reason in self.failed]
        return data


def report_id_for(source: str) -> str:
    """Return a report's id: stable across re-indexing because it derives from its source path."""
    return hashlib.blake2b(source.encode("utf-8"), digest_size=8).hexdigest()


def scan_corpus(corpus_dir: str | Path) -> tuple[list[CorpusFile], int]:
    """Return the report files under a corpus folder (sorted, hidden entries skipped) and how many others."""
    corpus_dir = Path(corpus_dir)
    files = []
    ignored = 0
    for root, dirs, names in os.walk(corpus_dir):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if not path.suffix.lower() in REPORT_SUFFIXES:
                ignored += 1
                continue
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError:
                digest = ""  # unreadable: parsing will say why
            files.append(CorpusFile(path.relative_to(corpus_dir).as_posix(), path, digest))
    return files, ignored


def report_documents(report: Report, source: str, sha256: str) -> list[dict]:
    """Return the Whoosh documents (one per section) of a parsed report."""
    report_id = report_id_for(source)
    region = report.region
    common = {
        f.REPORT_ID: report_id,
        f.SOURCE: source,
        f.SOURCE_SHA: f"{source}\t{sha256}",
        f.TITLE: report.title or "",
        f.ISSUER: report.issuer or "",
        f.REGION: " ".join(region.path()),
        f.SCRIPT: report.script,
        f.PUBLISHED: report.published or "",
    }
    for level in f.REGION_LEVELS:
        value = getattr(region, level)
        if value:
            common[level] = value
    if report.year:
        common[f.YEAR] = report.year
    documents = []
    for position, section in enumerate(report.sections):
        text = section.full_text()
        document = {
            **common,
            f.DOC_ID: f"{report_id}:{position}",
            f.SECTION: section.key,
            f.POSITION: position,
            f.HEADING: section.heading,
            f.BODY: text,
            f.BIGRAMS: f"{section.heading}\n{text}",
            f.TEXT: section.text,
            f.SUBSECTIONS: json.dumps([sub.to_dict() for sub in section.subsections], ensure_ascii=False),
        }
        if position == 0:
            document[f.PREAMBLE] = report.preamble
            document[f.WARNINGS] = json.dumps(report.warnings, ensure_ascii=False)
        documents.append(document)
    return documents


def _parse_file(item: tuple[str, str, str]) -> tuple[str, list[dict] | None, str | None]:
    """Parse one file in a worker: (source, documents, None) or (source, None, reason)."""
    source, path, sha256 = item
    try:
        report = parse_report(path)
    except ReadError as error:
        return source, None, error.reason
    except Exception as error:  # one bad file must not stop the run
        return source, None, f"could not be parsed ({type(error).__name__}: {error})"
    return source, report_documents(report, source, sha256), None


def indexed_sources(ix) -> dict[str, str]:
    """Return {source: sha256} of the reports in an index (deleted documents excluded)."""
    sources = {}
    with ix.reader() as reader:
        for term in reader.lexicon(f.SOURCE_SHA):
            matcher = reader.postings(f.SOURCE_SHA, term)
            if not matcher.is_active():
                continue
            source, _, sha256 = term.decode("utf-8").rpartition("\t")
            sources[source] = sha256
    return sources


def _open_compatible(generation: Path | None):
    """Return the live Whoosh index if this version of gongkai can update it, else None."""
    if generation is None or f.stamp_mismatch(generation) is not None:
        return None
    try:
        return whoosh_index.open_dir(str(generation))
    except Exception:  # an unreadable index is rebuilt, not updated
        return None


def _parse_all(items: list[tuple[str, str, str]], workers: int, report: Reporter | None):
    """Yield parse results in order, from a process pool when there is enough work."""
    total = len(items)
    if report:
        report("parse", 0, total)
    if workers <= 1 or total < 8:
        results = map(_parse_file, items)
        pool = None
    else:
        pool = multiprocessing.get_context("fork").Pool(workers)
        results = pool.imap(_parse_file, items, chunksize=4)
    try:
        for done, result in enumerate(results, start=1):
            if report:
                report("parse", done, total)
            yield result
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


def index_corpus(
    corpus_dir: str | Path,
    index_dir: str | Path,
    rebuild: bool = False,
    report: Reporter | None = None,
    workers: int | None = None,
) -> RunSummary:
    """Bring the index in index_dir up to date with corpus_dir; raises IndexBusy if a run is going on."""
    started = time.monotonic()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    workers = workers or min(2, os.cpu_count() or 1)
    summary = RunSummary(corpus=str(corpus_dir), index=str(index_dir),
                         started=time.strftime("%Y-%m-%d %H:%M:%S"))
    with RunLock(index_dir):
        remove_abandoned(index_dir)
        files, summary.ignored = scan_corpus(corpus_dir)
        live = current_generation(index_dir)
        ix = None if rebuild else _open_compatible(live)
        if ix is None and live is not None and not rebuild:
            summary.note = "the index was built by another version of gongkai: rebuilt"
        summary.rebuilt = ix is None
        if not files:
            summary.note = f"no report files (.txt, .html, .htm) in {corpus_dir}: index left as it was"
            summary.seconds = time.monotonic() - started
            return summary
        indexed = indexed_sources(ix) if ix is not None else {}
        by_source = {file.source: file for file in files}
        todo = [file for file in files if indexed.get(file.source) != file.sha256]
        summary.unchanged = len(files) - len(todo)
        removed = sorted(set(indexed) - set(by_source))

        generation = None
        if ix is None:
            generation = new_generation(index_dir)
            ix = whoosh_index.create_in(str(generation), f.build_schema())
        items = [(file.source, str(file.path), file.sha256) for file in todo]
        parsed = []
        sections = 0
        for source, documents, reason in _parse_all(items, workers, report):
            if documents is None:
                summary.failed.append((source, reason))
                continue
            parsed.append((source, documents))
            sections += len(documents)
        if summary.failed and not parsed and not summary.unchanged:
            if generation is not None:
                shutil.rmtree(generation, ignore_errors=True)
            summary.seconds = time.monotonic() - started
            write_last_run(index_dir, summary.to_dict())
            return summary

        if report:
            report("write", 0, sections)
        if sections >= MULTIPROCESS_MIN_SECTIONS and workers > 1:
            writer = ix.writer(procs=workers, multisegment=True, limitmb=WRITER_MEMORY_MB)
        else:
            writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            for source in removed:
                writer.delete_by_term(f.SOURCE, source)
            written = 0
            for source, documents in parsed:
                if source in indexed:
                    writer.delete_by_term(f.SOURCE, source)
                    summary.updated.append(source)
                else:
                    summary.added.append(source)
                for document in documents:
                    writer.add_document(**document)
                written += len(documents)
                if report:
                    report("write", written, sections)
            if report:
                report("commit", 0, 1)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        summary.removed = removed
        if generation is not None:
            f.write_stamp(generation)
            switch_to(index_dir, generation)
        with ix.searcher() as searcher:
            summary.sections = searcher.doc_count()
            summary.reports = len(indexed_sources(ix))
        ix.close()
        summary.seconds = round(time.monotonic() - started, 3)
        write_last_run(index_dir, summary.to_dict())
        return summary
