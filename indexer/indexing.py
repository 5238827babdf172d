"""Build and update the Whoosh index from a corpus folder (the only writer of the index).

Incremental by content hash: new, changed and deleted files are applied, unchanged ones skipped.
Reading and parsing run in a pool of worker processes; large batches are written by Whoosh's
multi-process writer so jieba segmentation also uses every core.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index

from indexer import fingerprints
from indexer import schema as f
from indexer.figures import figures_of
from indexer.models import Report
from indexer.pipeline import parse_report
from indexer.reading import SUPPORTED_SUFFIXES, ReadError
from indexer.store import (
    RunLock,
    current_generation,
    new_generation,
    remove_abandoned,
    switch_to,
    write_last_run,
)

REPORT_SUFFIXES = tuple(SUPPORTED_SUFFIXES)  # the types read_file reads
# Below this many files a single process is faster than forking workers.
PARALLEL_MIN_FILES = 200
WRITER_MEMORY_MB = 256
SEGMENT_REPORTS = 1000  # reports per segment a worker writes before starting the next one

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
    tables = report.tables or {}
    checks = tables.get("checks") or []
    if any(not check.get("ok") for check in checks):
        common[f.CONSISTENCY] = "failed"
    elif checks:
        common[f.CONSISTENCY] = "ok"
    else:
        common[f.CONSISTENCY] = "none"
    documents = []
    for position, section in enumerate(report.sections):
        text = section.full_text()
        subsections = [sub.to_dict() for sub in section.subsections]
        document = {
            **common,
            f.DOC_ID: f"{report_id}:{position}",
            f.SECTION: section.key,
            f.POSITION: position,
            f.HEADING: section.heading,
            f.BODY: text,
            f.BIGRAMS: f"{section.heading}\n{text}",
            f.TEXT: section.text,
            f.SUBSECTIONS: json.dumps(subsections, ensure_ascii=False),
            f.FINGERPRINTS: fingerprints.encode(fingerprints.section_passages(section.text, subsections)),
        }
        if position == 0:
            document[f.PREAMBLE] = report.preamble
            document[f.WARNINGS] = json.dumps(report.warnings, ensure_ascii=False)
            if report.tables is not None:
                document[f.TABLES] = json.dumps(report.tables, ensure_ascii=False)
            for key, value in figures_of(report.tables).items():
                if isinstance(value, int) and 0 <= value < f.NO_FIGURE:
                    document[f.FIGURE_FIELDS[key]] = value
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


def _add_file(writer, item: tuple[str, str, str], added: list, failed: list) -> int:
    """Parse one file and add its sections to writer; record it in added or failed; return the count."""
    source, documents, reason = _parse_file(item)
    if documents is None:
        failed.append((source, reason))
        return 0
    for document in documents:
        writer.add_document(**document)
    added.append(source)
    return len(documents)


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to kill this worker when its parent dies (kill -9 of a run leaves no orphans)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _build_segment(ix, items, limitmb, connection, parent_pid, lock_fd) -> None:
    """In a worker process: parse files and write them as one new segment of ix.

    Sends ("progress", n) per file, then ("done", segment, added, failed, sections). This is what
    Whoosh's own MpWriter does in its sub-writers (a SegmentWriter without the lock, finalised into
    a segment the parent commits), minus shipping every document through a pipe: each worker reads
    its own files, so parsing, segmentation and posting all run in parallel.
    """
    from whoosh.writing import SegmentWriter

    _die_with_parent(parent_pid)
    # Millions of live posting tuples make every cyclic-GC pass slower as the segment grows; the
    # indexing data has no reference cycles to collect, and the worker exits when done.
    gc.disable()
    if lock_fd is not None:
        os.close(lock_fd)  # only the parent holds the run lock: a killed run must free it
    try:
        writer = SegmentWriter(ix, _lk=False, limitmb=limitmb)
        added, failed, sections, segments = [], [], 0, []
        in_segment = 0
        for item in items:
            written = _add_file(writer, item, added, failed)
            sections += written
            in_segment += 1 if written else 0
            if in_segment >= SEGMENT_REPORTS:
                # Whoosh sorts a segment's postings as Python tuples: cost grows faster than the
                # segment, so many moderate segments are much cheaper than one huge one.
                segments.append(writer._finalize_segment())
                writer = SegmentWriter(ix, _lk=False, limitmb=limitmb)
                in_segment = 0
            connection.send(("progress", 1))
        if in_segment:
            segments.append(writer._finalize_segment())
        else:
            writer.cancel()
        connection.send(("done", segments, added, failed, sections))
    except BaseException as error:  # report, never hang the parent
        connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


def _split_by_size(files: list[CorpusFile], parts: int) -> list[list[CorpusFile]]:
    """Split files into contiguous runs of about equal total size."""
    sizes = [max(1, file.path.stat().st_size) if file.path.exists() else 1 for file in files]
    total = sum(sizes)
    chunks: list[list[CorpusFile]] = [[] for _ in range(parts)]
    running = 0
    for file, size in zip(files, sizes):
        index = min(parts - 1, running * parts // total)
        chunks[index].append(file)
        running += size
    return [chunk for chunk in chunks if chunk]


def _write_in_parallel(ix, todo: list[CorpusFile], workers: int, report: Reporter | None,
                       lock_fd: int | None = None):
    """Write todo files as one segment per worker; return (added, failed, sections, segments)."""
    import multiprocessing.connection

    from indexer.analysis import jieba_tokenizer

    jieba_tokenizer()  # load the dictionary once; forked workers inherit it
    context = multiprocessing.get_context("fork")
    processes, connections = [], []
    for chunk in _split_by_size(todo, workers):
        receiver, sender = context.Pipe(duplex=False)
        items = [(file.source, str(file.path), file.sha256) for file in chunk]
        process = context.Process(target=_build_segment, daemon=True,
                                  args=(ix, items, WRITER_MEMORY_MB, sender, os.getpid(), lock_fd))
        process.start()
        sender.close()
        processes.append(process)
        connections.append(receiver)
    added, failed, sections, segments, errors = [], [], 0, [], []
    done = 0
    if report:
        report("index", 0, len(todo))
    waiting = list(connections)
    try:
        while waiting:
            for connection in multiprocessing.connection.wait(waiting):
                try:
                    message = connection.recv()
                except EOFError:
                    waiting.remove(connection)
                    errors.append("an indexing worker died")
                    continue
                if message[0] == "progress":
                    done += message[1]
                    if report:
                        report("index", done, len(todo))
                    continue
                waiting.remove(connection)
                if message[0] == "error":
                    errors.append(message[1])
                else:
                    _, chunk_segments, chunk_added, chunk_failed, chunk_sections = message
                    segments += chunk_segments
                    added += chunk_added
                    failed += chunk_failed
                    sections += chunk_sections
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    if errors:
        raise RuntimeError("; ".join(errors))
    return added, failed, sections, segments


def _remove_segment_files(ix, segment) -> None:
    for name in segment.list_files(ix.storage):
        try:
            ix.storage.delete_file(name)
        except OSError:
            pass


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
    with RunLock(index_dir) as lock:
        remove_abandoned(index_dir)
        files, summary.ignored = scan_corpus(corpus_dir)
        live = current_generation(index_dir)
        ix = None if rebuild else _open_compatible(live)
        if ix is None and live is not None and not rebuild:
            summary.note = "the index was built by another version of gongkai: rebuilt"
        summary.rebuilt = ix is None
        if not files:
            summary.note = f"no report files ({', '.join(REPORT_SUFFIXES)}) in {corpus_dir}: index left as it was"
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
        writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            for source in removed:
                writer.delete_by_term(f.SOURCE, source)
            if len(todo) >= PARALLEL_MIN_FILES and workers > 1:
                added, failed, sections, segments = _write_in_parallel(ix, todo, workers, report, lock.fileno())
            else:
                added, failed, sections, segments = [], [], 0, []
                if report:
                    report("index", 0, len(todo))
                for done, file in enumerate(todo, start=1):
                    sections += _add_file(writer, (file.source, str(file.path), file.sha256), added, failed)
                    if report:
                        report("index", done, len(todo))
            # Old versions of changed files go; the writer's deletions never touch what it just added.
            for source in added:
                if source in indexed:
                    writer.delete_by_term(f.SOURCE, source)
            summary.failed = failed
            summary.added = [source for source in added if source not in indexed]
            summary.updated = [source for source in added if source in indexed]
            if summary.read_nothing:
                writer.cancel()
                for segment in segments:
                    _remove_segment_files(ix, segment)
                if generation is not None:
                    shutil.rmtree(generation, ignore_errors=True)
                summary.seconds = time.monotonic() - started
                write_last_run(index_dir, summary.to_dict())
                return summary
            if report:
                report("commit", 0, 1)
            if segments:
                # What MpWriter(multisegment=True) does: keep the existing segments (with this
                # writer's deletions), add the workers' segments, and write one new TOC.
                final = writer._merge_segments(None, False, False) + segments
                if writer._added:
                    final.append(writer._finalize_segment())
                else:
                    writer._close_segment()
                writer._commit_toc(final)
                writer._finish()
            else:
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
