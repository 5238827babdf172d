"""The index format: field names, the Whoosh schema, and the version stamp stored with an index.

One Whoosh document per report section. Field names are constants here and nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path

from whoosh import columns, fields

from indexer import fingerprints
from indexer.analysis import ANALYZER_VERSION, bigram_analyzer, dictionary_fingerprint, word_analyzer
from indexer.figures import KEY_FIGURES

# Bump when fields or their meaning change; ANALYZER_VERSION covers the analyzers.
SCHEMA_VERSION = 4
META_FILE = "gongkai-index.json"

DOC_ID = "doc_id"  # "<report_id>:<section position>"
REPORT_ID = "report_id"
SOURCE = "source"  # path relative to the corpus folder, "/" separated
SOURCE_SHA = "source_sha"  # "<source>\t<sha256>": what incremental indexing compares
TITLE = "title"
ISSUER = "issuer"
PROVINCE = "province"
CITY = "city"
COUNTY = "county"
TOWN = "town"
REGION = "region"  # every level's name, so a filter on 怀化市 matches all of it
YEAR = "year"
PUBLISHED = "published"
SCRIPT = "script"
SECTION = "section"  # canonical key
POSITION = "position"  # the section's order in its report
HEADING = "heading"
BODY = "body"  # jieba words of the section text
BIGRAMS = "bigrams"  # overlapping character bigrams of the section text
TEXT = "text"  # the section text as written (original script), for display and snippets
SUBSECTIONS = "subsections"  # JSON list of {"heading", "text"}
PREAMBLE = "preamble"  # stored on the first section only
WARNINGS = "warnings"  # JSON list, stored on the first section only
TABLES = "tables"  # JSON of the statistics tables and checks (indexer.tables), first section only
CONSISTENCY = "consistency"  # every section: "failed", "ok" or "none" (no standard tables / no checks)
CONSISTENCY_VALUES = ("failed", "ok", "none")
FINGERPRINTS = "fingerprints"  # column: the section's passage MinHash signatures (indexer.fingerprints)
# Numeric fields of the key figures (indexer.figures), first section only: "figure_applications", ...
FIGURE_PREFIX = "figure_"
FIGURE_FIELDS = {key: FIGURE_PREFIX + key for key, _ in KEY_FIGURES}
NO_FIGURE = 0xFFFFFFFF  # column value of a figure the report does not state (a blank cell is not 0)

REGION_LEVELS = (PROVINCE, CITY, COUNTY, TOWN)
FACET_FIELDS = (PROVINCE, CITY, COUNTY, TOWN, YEAR, SECTION)

# Relevance: a match in the heading or title says more than one in the body; bigram-only matches
# are a safety net for recall and must rank below word matches.
HEADING_BOOST = 2.0
TITLE_BOOST = 1.5


def build_schema() -> fields.Schema:
    """Return the Whoosh schema of a gongkai index."""
    words = word_analyzer()
    return fields.Schema(
        **{
            DOC_ID: fields.ID(stored=True, unique=True),
            REPORT_ID: fields.ID(stored=True, sortable=True),
            SOURCE: fields.ID(stored=True),
            SOURCE_SHA: fields.ID(stored=False),
            # A column too, so /stats lists 10,000 reports' titles without reading their stored text.
            TITLE: fields.TEXT(analyzer=words, stored=True, phrase=False, field_boost=TITLE_BOOST, sortable=True),
            ISSUER: fields.ID(stored=True, sortable=True),
            PROVINCE: fields.ID(stored=True, sortable=True),
            CITY: fields.ID(stored=True, sortable=True),
            COUNTY: fields.ID(stored=True, sortable=True),
            TOWN: fields.ID(stored=True, sortable=True),
            REGION: fields.KEYWORD(stored=False, lowercase=False, scorable=False),
            YEAR: fields.NUMERIC(int, bits=32, stored=True, sortable=True, signed=False),
            PUBLISHED: fields.STORED(),
            SCRIPT: fields.STORED(),
            SECTION: fields.ID(stored=True, sortable=True),
            POSITION: fields.NUMERIC(int, bits=32, stored=True, sortable=True, signed=False),
            HEADING: fields.TEXT(analyzer=words, stored=True, phrase=False, field_boost=HEADING_BOOST),
            BODY: fields.TEXT(analyzer=words, stored=False, phrase=True),
            BIGRAMS: fields.TEXT(analyzer=bigram_analyzer(), stored=False, phrase=True),
            TEXT: fields.STORED(),
            SUBSECTIONS: fields.STORED(),
            PREAMBLE: fields.STORED(),
            WARNINGS: fields.STORED(),
            TABLES: fields.STORED(),
            CONSISTENCY: fields.ID(stored=True, sortable=True),
            FINGERPRINTS: fields.COLUMN(columns.VarBytesColumn()),
            **{name: fields.NUMERIC(int, bits=32, signed=False, stored=True, sortable=True, default=NO_FIGURE)
               for name in FIGURE_FIELDS.values()},
        }
    )


def current_stamp() -> dict:
    """Return what this code would write as an index's version stamp."""
    return {
        "schema_version": SCHEMA_VERSION,
        "analyzer_version": ANALYZER_VERSION,
        "analyzer": "indexer.analysis.ChineseWordTokenizer+BigramTokenizer",
        "dictionary": dictionary_fingerprint(),
        "fingerprints": fingerprints.PARAMETERS,
    }


def write_stamp(index_dir: Path, extra: dict | None = None) -> None:
    """Store the version stamp in an index folder."""
    stamp = {**current_stamp(), **(extra or {})}
    (index_dir / META_FILE).write_text(json.dumps(stamp, ensure_ascii=False, indent=2), encoding="utf-8")


def read_stamp(index_dir: Path) -> dict | None:
    """Return an index folder's version stamp, or None when it has none."""
    try:
        return json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stamp_mismatch(index_dir: Path) -> str | None:
    """Return why an index was built by another version of gongkai, or None if it is current."""
    stamp = read_stamp(index_dir)
    if stamp is None:
        return "it has no gongkai version stamp"
    expected = current_stamp()
    for key in ("schema_version", "analyzer_version", "dictionary", "fingerprints"):
        if stamp.get(key) != expected[key]:
            return f"its {key.replace('_', ' ')} is {stamp.get(key)!r}, this gongkai needs {expected[key]!r}"
    return None
