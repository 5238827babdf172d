"""Plain data the indexer passes between its steps (no Whoosh, no Flask)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class RawReport:
    """A report file decoded to text, before any cleaning."""

    path: str
    sha256: str
    encoding: str  # the codec the bytes were decoded with, e.g. "utf-8", "gb18030", "big5"
    kind: str  # "text" or "html"
    text: str  # decoded text, "\n" line endings; HTML already turned into text


@dataclass(frozen=True)
class CleanText:
    """Report text with page furniture removed, and what the furniture told us."""

    text: str
    source: str | None = None  # the body named by 信息来源/来源 (often the issuer)
    published: str | None = None  # ISO date (YYYY-MM-DD) from 发布时间/发布日期/时间
    removed: tuple[str, ...] = ()  # furniture lines dropped, for warnings and tests
    signer: str | None = None  # the body that signed the report at its end


@dataclass(frozen=True)
class Region:
    """Administrative divisions a report belongs to; official simplified names, None if unknown."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    town: str | None = None

    def path(self) -> list[str]:
        """Return the known levels from province down."""
        return [name for name in (self.province, self.city, self.county, self.town) if name]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Metadata:
    title: str | None
    issuer: str | None
    year: int | None
    published: str | None
    region: Region
    warnings: tuple[str, ...] = ()


@dataclass
class Subsection:
    heading: str
    text: str

    def to_dict(self) -> dict:
        return {"heading": self.heading, "text": self.text}


@dataclass
class Section:
    """A top-level section of a report, mapped to a canonical key (see DESIGN.md)."""

    key: str
    label: str
    heading: str  # as written in the report ("" for the preamble)
    text: str  # text directly under the heading, before the first subsection
    subsections: list[Subsection] = field(default_factory=list)

    def full_text(self) -> str:
        """Return the section's text including its subsections, headings and all."""
        parts = [self.text] if self.text else []
        for sub in self.subsections:
            parts.append(sub.heading)
            if sub.text:
                parts.append(sub.text)
        return "\n".join(parts)

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "heading": self.heading,
            "text": self.text,
            "subsections": [sub.to_dict() for sub in self.subsections],
        }


@dataclass
class Report:
    """Everything `gongkai inspect` extracts from one file."""

    path: str
    sha256: str
    encoding: str
    title: str | None
    issuer: str | None
    year: int | None
    published: str | None
    script: str  # "simplified" or "traditional"
    region: Region
    preamble: str
    sections: list[Section]
    warnings: list[str]
    tables: dict | None = None  # statistics tables and checks (indexer.tables), None if not read

    def to_dict(self) -> dict:
        """Return the JSON shape of `gongkai inspect --json` (DESIGN.md)."""
        result = {
            "path": self.path,
            "sha256": self.sha256,
            "title": self.title,
            "issuer": self.issuer,
            "year": self.year,
            "published": self.published,
            "script": self.script,
            "region": self.region.to_dict(),
            "preamble": self.preamble,
            "sections": [section.to_dict() for section in self.sections],
            "warnings": list(self.warnings),
        }
        if self.tables is not None:
            result["tables"] = self.tables
        return result
