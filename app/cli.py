"""The `gongkai` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from indexer.models import Report
from indexer.pipeline import parse_report
from indexer.reading import ReadError


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
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print("\n\n".join(format_summary(report) for report in reports))
    if failures:
        print(f"gongkai: {len(reports)} read, {failures} skipped", file=sys.stderr)
    return 0 if reports else 1


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
