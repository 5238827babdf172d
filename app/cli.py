"""The `gongkai` command line."""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from indexer.models import Report
from indexer.pipeline import parse_report
from indexer.reading import ReadError

DEFAULT_INDEX = "index"
DEFAULT_CORPUS = "corpus"


def _region_path(report: Report) -> str:
    return " / ".join(report.region.path()) or "（未知）"


def format_summary(report: Report) -> str:
    """Return the human-readable summary `gongkai inspect` prints for one report."""
    lines = [
        report.path,
        f"  标题      {report.title or '（无）'}",
        f"  发布机关  {report.issuer or '（未知）'}",
        f"  地区      {_region_path(report)}",
        f"  年度      {report.year or '（未知）'}",
        f"  发布日期  {report.published or '（未注明）'}",
        f"  文字      {'繁体' if report.script == 'traditional' else '简体'}（{report.encoding}）",
        f"  章节      {len(report.sections)}",
    ]
    if report.preamble:
        lines.append(f"    {'前言':<20} {len(report.preamble):>6} 字")
    for section in report.sections:
        size = len(section.full_text())
        heading = section.heading or "（无标题）"
        lines.append(f"    {section.key:<20} {size:>6} 字  {heading}")
        for sub in section.subsections:
            lines.append(f"    {'':<20} {len(sub.text):>6} 字    {sub.heading[:40]}")
    for warning in report.warnings:
        lines.append(f"  ! {warning}")
    return "\n".join(lines)


def fail(message: object, status: int) -> int:
    """Say why a command failed, in one line on stderr, and return its exit status."""
    print(f"gongkai: {message}", file=sys.stderr)
    return status


def print_json(payload) -> None:
    """Write JSON to stdout as the --json options do: Chinese as is, indented, one trailing newline."""
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def cmd_inspect(args: argparse.Namespace) -> int:
    reports = []
    failures = 0
    for path in args.files:
        try:
            report = parse_report(path)
        except ReadError as error:
            failures += 1
            print(f"gongkai: {error}", file=sys.stderr)
            continue
        except Exception as error:  # a bug must not hide the other files' results
            if args.debug:
                raise
            failures += 1
            print(f"gongkai: {path}: could not be parsed ({type(error).__name__}: {error})", file=sys.stderr)
            continue
        reports.append(report)
    if not reports:
        pass  # every file was refused, each with its own line on stderr
    elif args.json:
        if len(args.files) == 1:
            payload: object = reports[0].to_dict()
        else:
            payload = [report.to_dict() for report in reports]
        print_json(payload)
    else:
        print("\n\n".join(format_summary(report) for report in reports))
    if failures:
        print(f"gongkai: {len(reports)} read, {failures} skipped", file=sys.stderr)
    return 0 if reports else 1


class _ProgressPrinter:
    """Progress of an indexing run: a tqdm bar on a terminal, a log line per tenth otherwise."""

    STAGES = {"index": "indexing", "commit": "committing"}

    def __init__(self) -> None:
        self.interactive = sys.stderr.isatty()
        self.bar = None
        self.stage = None
        self.next_log = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.next_log = 0
            if self.interactive and total > 1:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=self.STAGES.get(stage, stage), unit="doc", file=sys.stderr)
            elif stage == "commit":
                print("gongkai: committing the index", file=sys.stderr, flush=True)
        if self.bar is not None:
            self.bar.n = done
            self.bar.refresh()
        elif not self.interactive and total > 1 and done >= self.next_log:
            print(f"gongkai: {self.STAGES.get(stage, stage)} {done}/{total}", file=sys.stderr, flush=True)
            self.next_log = done + max(1, total // 10)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def cmd_index(args: argparse.Namespace) -> int:
    from indexer.indexing import index_corpus
    from indexer.store import IndexBusy

    progress = _ProgressPrinter()
    try:
        summary = index_corpus(args.corpus, args.index, rebuild=args.rebuild, report=progress)
    except IndexBusy as error:
        progress.close()
        return fail(error, 1)
    progress.close()
    if summary.note:
        print(f"gongkai: {summary.note}", file=sys.stderr)
    for source, reason in summary.failed:
        print(f"gongkai: {source}: {reason}", file=sys.stderr)
    print(
        f"{'rebuilt' if summary.rebuilt else 'updated'} {summary.index}: "
        f"{len(summary.added)} added, {len(summary.updated)} updated, {len(summary.removed)} removed, "
        f"{summary.unchanged} unchanged, {len(summary.failed)} failed; "
        f"{summary.reports} reports, {summary.sections} sections in the index ({summary.seconds:.1f} s)"
    )
    if summary.read_nothing:
        print("gongkai: no file could be read; the index was left as it was", file=sys.stderr)
        return 1
    if summary.reports == 0 and not summary.added:
        return 1
    return 0


def _parse_years(values: list[str] | None) -> tuple[tuple[int, int], ...]:
    from app.query import QueryError, parse_year_range

    try:
        return tuple(parse_year_range(value) for value in values or [])
    except QueryError as error:
        raise ValueError(f"--year: {error}") from None


def _terminal_snippet(snippet: str, color: bool) -> str:
    start, end = ("\033[1;33m", "\033[0m") if color else ("【", "】")
    return html.unescape(snippet.replace("<mark>", start).replace("</mark>", end))


def format_page(page, color: bool = False) -> str:
    """Return the human-readable text of a search result page."""
    unit = "份报告" if page.grouped else "个章节"
    lines = [f"找到 {page.total} {unit}（第 {page.page}/{page.pages} 页，{page.took_ms:.0f} 毫秒）"
             + ("；超时，结果不完整" if page.partial else "")]
    for number, hit in enumerate(page.hits, start=1):
        region = " / ".join(value for value in hit.region.values() if value)
        more = f"（另有 {hit.other_matches} 个章节匹配）" if hit.other_matches else ""
        lines.append("")
        lines.append(f"{number}. {hit.title or hit.issuer or hit.source} · {region or '地区未知'} · "
                     f"{hit.year or '年份未知'} · {hit.section['label']}{more}")
        if hit.snippet:
            lines.append("   " + _terminal_snippet(hit.snippet, color))
        lines.append(f"   {hit.source}  [{hit.report_id}]")
    names = {"province": "省", "city": "市", "county": "县区", "town": "乡镇", "year": "年份", "section": "章节"}
    facet_lines = []
    for name, values in page.facets.items():
        if values:
            shown = "  ".join(f"{value.label or value.value} ({value.count})" for value in values[:8])
            facet_lines.append(f"  {names.get(name, name)}: {shown}" + ("  …" if len(values) > 8 else ""))
    if facet_lines:
        lines += ["", "分面："] + facet_lines
    return "\n".join(lines)


def cmd_search(args: argparse.Namespace) -> int:
    from app.search import IndexMissing, QueryError, SearchRequest, open_index, search

    try:
        request = SearchRequest(
            query=args.query,
            regions=tuple(args.region or ()),
            years=_parse_years(args.year),
            sections=tuple(args.section or ()),
            group_by_report=args.group == "report",
            sort=args.sort,
            page=args.page,
            page_size=args.page_size,
        )
        index = open_index(args.index)
        page = search(index, request)
    except (QueryError, ValueError) as error:
        return fail(error, 2)
    except IndexMissing as error:
        return fail(error, 1)
    if args.json:
        print_json(page.to_dict())
    else:
        print(format_page(page, color=sys.stdout.isatty()))
    return 0


def format_similar(result, target: str) -> str:
    """Return `gongkai similar`'s plain-text listing."""
    lines = [f"{target}: {result.query_passages} passages compared; {result.total} near-duplicate passages "
             f"in {result.reports} other reports"]
    for passage in result.passages:
        year = f"{passage.year}" if passage.year else "----"
        lines.append(f"{passage.similarity:6.0%}  {year}  {passage.issuer or passage.title}  "
                     f"[{passage.section}]  {passage.report_id}")
        lines.append(f"        {passage.passage}")
    if result.total > len(result.passages):
        lines.append(f"... {result.total - len(result.passages)} more (use --limit)")
    return "\n".join(lines)


def cmd_similar(args: argparse.Namespace) -> int:
    from app.search import IndexMissing, is_report_id, open_index
    from app.similar import SimilarError, similar_to_file, similar_to_report

    target = args.target
    path = Path(target)
    try:
        index = open_index(args.index)
        if path.exists():
            result = similar_to_file(index, parse_report(path), args.section, args.limit)
        elif is_report_id(target):
            result = similar_to_report(index, target, args.section, args.limit)
            if result is None:
                return fail(f"no report {target} in {args.index}", 1)
        else:
            return fail(f"{target}: neither a report file nor a report id (16 hex digits)", 2)
    except (SimilarError, ReadError) as error:
        return fail(error, 2)
    except IndexMissing as error:
        return fail(error, 1)
    if args.json:
        print_json([passage.to_dict() for passage in result.passages])
    else:
        print(format_similar(result, target))
    return 0


class RequestLog:
    """WSGI middleware: write one line per request (method, path, status, bytes, ms) to a stream."""

    def __init__(self, application, stream=None) -> None:
        self.application = application
        self.stream = stream

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = ["-"]

        def logged_start_response(status_line, headers, exc_info=None):
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        try:
            body = self.application(environ, logged_start_response)
        except BaseException:
            self._write(environ, "500", 0, started)
            raise
        return _CountedBody(body, lambda sent: self._write(environ, status[0], sent, started))

    def _write(self, environ, status: str, sent: int, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        line = (f"{time.strftime('%Y-%m-%d %H:%M:%S')} {environ.get('REMOTE_ADDR', '-')} "
                f"{_printable(environ.get('REQUEST_METHOD', '-'))} {_request_target(environ)} "
                f"{status} {sent} {elapsed_ms:.1f}ms")
        stream = self.stream or sys.stderr
        try:
            print(line, file=stream, flush=True)
        except (OSError, ValueError):
            pass  # a closed log must not break the response


class _CountedBody:
    """The response iterable, counting the bytes sent and reporting them when the server closes it."""

    def __init__(self, body, on_close) -> None:
        self.body = body
        self.on_close = on_close
        self.sent = 0

    def __iter__(self):
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            self.on_close(self.sent)


def _printable(text: str) -> str:
    # Request lines are untrusted: a decoded %0A must not start a forged log line.
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _request_target(environ) -> str:
    """Return the path and query of a request, readable (Chinese shown as Chinese)."""
    from urllib.parse import unquote

    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    # WSGI hands over the path as latin-1 characters of the raw bytes.
    path = path.encode("latin-1", "replace").decode("utf-8", "replace")
    query = environ.get("QUERY_STRING", "")
    if query:
        path += "?" + unquote(query, errors="replace")
    return _printable(path) or "/"


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def cmd_serve(args: argparse.Namespace) -> int:
    import signal

    import waitress

    from app import create_app
    from app.search import IndexMissing

    settings = {}
    if args.index is not None:
        settings["INDEX_DIR"] = str(Path(args.index).resolve())
    if args.corpus is not None:
        settings["CORPUS_DIR"] = str(Path(args.corpus).resolve())
    if args.threads < 1:
        print("gongkai: --threads must be at least 1", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print("gongkai: --port must be between 0 and 65535", file=sys.stderr)
        return 2
    try:
        application = create_app(settings=settings)
    except IndexMissing as error:
        return fail(error, 1)
    try:
        server = waitress.create_server(
            RequestLog(application), host=args.host, port=args.port, threads=args.threads, ident="gongkai",
        )
    except OSError as error:
        return fail(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}", 1)
    listen = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    for host, port in listen:
        print(f"gongkai: serving {application.config['INDEX_DIR']} at {_url(host, port)} "
              f"({args.threads} threads; Ctrl+C stops)", flush=True)

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    print("gongkai: stopped", file=sys.stderr, flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gongkai",
        description="Search Chinese government information-disclosure annual reports.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inspect = commands.add_parser("inspect", help="parse report files without indexing them")
    inspect.add_argument("files", nargs="+", metavar="FILE", help=".txt, .html or .htm report files")
    inspect.add_argument("--json", action="store_true", help="print JSON (one object, or a list for several files)")
    inspect.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    inspect.set_defaults(handler=cmd_inspect)

    index = commands.add_parser("index", help="build or update the search index from a corpus folder")
    index.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, metavar="CORPUS_DIR",
                       help=f"folder of report files (default: {DEFAULT_CORPUS}/)")
    index.add_argument("--index", default=DEFAULT_INDEX, metavar="DIR", help=f"index folder (default: {DEFAULT_INDEX}/)")
    index.add_argument("--rebuild", action="store_true", help="build a fresh index beside the live one, then switch")
    index.set_defaults(handler=cmd_index)

    search = commands.add_parser("search", help="search the index")
    search.add_argument("query", nargs="?", default="", metavar="QUERY",
                        help='words (all must match), "a phrase", -excluded, a OR b; empty browses everything')
    search.add_argument("--index", default=DEFAULT_INDEX, metavar="DIR", help=f"index folder (default: {DEFAULT_INDEX}/)")
    search.add_argument("--region", action="append", metavar="NAME", help="a place at any level (repeatable)")
    search.add_argument("--year", action="append", metavar="Y", help="a year or a range 2019-2021 (repeatable)")
    search.add_argument("--section", action="append", metavar="KEY", help="a canonical section key (repeatable)")
    search.add_argument("--group", choices=["report"], help="one hit per report")
    search.add_argument("--sort", choices=["relevance", "year"], default="relevance")
    search.add_argument("--page", type=int, default=1, metavar="N")
    search.add_argument("--page-size", type=int, default=10, metavar="N")
    search.add_argument("--json", action="store_true", help="print the JSON of GET /api/search")
    search.set_defaults(handler=cmd_search)

    similar = commands.add_parser("similar", help="list other reports' passages near a report's (copied wording)")
    similar.add_argument("target", metavar="REPORT_ID_OR_FILE",
                         help="a report id from the index, or a report file (compared without adding it)")
    similar.add_argument("--section", metavar="KEY", help="only this canonical section of the report")
    similar.add_argument("--index", default=DEFAULT_INDEX, metavar="DIR", help=f"index folder (default: {DEFAULT_INDEX}/)")
    similar.add_argument("--limit", type=int, default=50, metavar="N", help="passages listed (default: 50)")
    similar.add_argument("--json", action="store_true",
                         help='print [{"report_id", "source", "section", "similarity", "passage"}], most similar first')
    similar.set_defaults(handler=cmd_similar)

    serve = commands.add_parser("serve", help="serve the search site and JSON API with waitress")
    serve.add_argument("--index", metavar="DIR",
                       help="index folder (default: GONGKAI_INDEX_DIR, else index/ of the project)")
    serve.add_argument("--corpus", metavar="DIR",
                       help="corpus folder for downloads and admin uploads (default: GONGKAI_CORPUS_DIR, else corpus/)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default: 8080; 0 picks a free one)")
    serve.add_argument("--threads", type=int, default=8, metavar="N", help="worker threads (default: 8)")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the gongkai command line and return its exit status."""
    # Reports are Chinese: write UTF-8 whatever the terminal's locale says.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("gongkai: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
