"""Read, clean, split and describe one report file: what `gongkai inspect` prints."""

from __future__ import annotations

from pathlib import Path

from indexer.cleaning import clean
from indexer.metadata import parse_metadata
from indexer.models import Report
from indexer.reading import read_file
from indexer.script import detect_script
from indexer.sections import split_report
from indexer.tables import extract_tables

# Sections every report in the 2019 template has; a missing one is worth a warning.
TEMPLATE_2019_KEYS = ("overview", "proactive", "applications", "review_litigation", "problems")


def parse_report(path: str | Path) -> Report:
    """Return the structured report read from a file (raises ReadError for unreadable input)."""
    raw = read_file(path)
    cleaned = clean(raw.text)
    split = split_report(cleaned.text)
    metadata = parse_metadata(
        cleaned.text, source=cleaned.source, published=cleaned.published, signer=cleaned.signer
    )
    warnings = list(metadata.warnings) + split.warnings
    if metadata.year and metadata.year >= 2019 and split.sections[0].heading:
        found = {section.key for section in split.sections}
        warnings += [f"section '{key}' not found" for key in TEMPLATE_2019_KEYS if key not in found]
    return Report(
        path=str(path),
        sha256=raw.sha256,
        encoding=raw.encoding,
        title=metadata.title,
        issuer=metadata.issuer,
        year=metadata.year,
        published=metadata.published,
        script=detect_script(cleaned.text),
        region=metadata.region,
        preamble=split.preamble,
        sections=split.sections,
        warnings=warnings,
        tables=extract_tables(split.sections, metadata.year),
    )
