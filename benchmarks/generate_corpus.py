"""Generate a large, deterministic benchmark corpus from the real sample reports.

    python benchmarks/generate_corpus.py OUT_DIR --reports N [--seed 1] [--source corpus/reports]

Every sample report is parsed once with the real pipeline. Its sections are cut into blocks: prose
paragraphs (which get recombined) and everything else (statistics tables, short lines), which is
kept as it came. Place names and years of the source are turned into placeholders, so a paragraph
can later be filled in for any town, county and year with a few `str.replace` calls.

Then N plain-text UTF-8 reports are written to `OUT_DIR/<province-code>/<nnnnnn>.txt`, each for a
real town (乡/镇/街道) or, for about a fifth of the issuers, a county, taken from the gazetteer and
spread round-robin over the provinces. Every issuer reports for a run of consecutive years in
2019-2025 and keeps the same source reports as its skeleton from year to year, the way a town copies
last year's report: the same issuer across years, and near-duplicate paragraphs across towns, are
common. `OUT_DIR/manifest.tsv` lists what was written (path, title, year, region, section keys).

Same arguments -> byte-identical output: all randomness comes from one `random.Random(seed)`, and
nothing iterates over a set or depends on the clock (the clock only times the summary line).
"""

from __future__ import annotations

import argparse
import re
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout without an installed package
    sys.path.insert(0, str(ROOT))

from indexer.gazetteer import Division, Gazetteer, load_gazetteer  # noqa: E402
from indexer.pipeline import parse_report  # noqa: E402
from indexer.reading import ReadError  # noqa: E402
from indexer.script import TRADITIONAL, to_simplified  # noqa: E402

YEARS = (2019, 2025)
COUNTY_SHARE = 0.2  # share of issuers that are counties (no town)
OTHER_SHARE = 0.85  # share of issuers whose reports end with 其他需要报告的事项
MANIFEST_COLUMNS = ("path", "title", "year", "province", "city", "county", "town", "issuer", "sections")
TOWN_SUFFIXES = ("乡", "镇", "街道")

# The 2019 template's sections; fees and complaints belong to the 2008 format.
REPORT_KEYS = ("overview", "proactive", "applications", "review_litigation", "problems", "other")
# Sections whose body is mostly a statistics table in 2019-format reports.
TABLE_KEYS = ("proactive", "applications", "review_litigation")
# Heading wordings an issuer may use (the first is the canonical label); the number is added.
HEADINGS = {
    "overview": ("总体情况",),
    "proactive": ("主动公开政府信息情况",),
    "applications": ("收到和处理政府信息公开申请情况",),
    "review_litigation": ("政府信息公开行政复议、行政诉讼情况", "行政复议、行政诉讼情况"),
    "problems": ("存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况"),
    "other": ("其他需要报告的事项",),
}

# Recombination rates for prose paragraphs (per paragraph, per report).
SWAP = 0.25  # replaced by a paragraph of the same section key from any sample
DROP = 0.08
INSERT = 0.10  # another paragraph of the same key added after this one
SUB_SWAP = 0.2  # a subsection replaced by one of the same key from any sample
SUB_DROP = 0.08
JITTER = 0.5  # share of prose paragraphs whose small numbers are changed

# Placeholders (Unicode private use area) for what a report says about itself.
ISSUER = "\ue000"
STEM = "\ue008"  # the issuer's own name without its ending (平潭 of 平潭县, as in “中国·平潭”网)
LEVEL_BASE = 0xE001  # + 0 the issuer's own level (town or county), + 1 its parent, ...
YEAR_BASE = 0xE012  # + offset from the report year, -2 .. +1
YEAR_OFFSETS = (-2, -1, 0, 1)
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")

NUMERALS = "一二三四五六七八九十"
_TOP_MARKER = re.compile(rf"^\s*(?:第[{NUMERALS}]+部分|[{NUMERALS}]{{1,3}})\s*[、.．，,]\s*")
_SUB_MARKER = re.compile(rf"^\s*([（(])\s*[{NUMERALS}]{{1,3}}\s*([）)])\s*")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d\d)(?=\s*年)")
# Small counts in running text ("发布信息37条"); not dates, document numbers or decimals.
_COUNT = re.compile(r"(?<![\d.〔\[第/-])(\d{1,4})(?![\d.%〕\]月日号时/-])")
# Strip a body suffix to get the place a source calls itself (平潭综合实验区管委会 -> 平潭综合实验区).
_BODY_SUFFIX = re.compile(r"(管委会办公室|管理委员会|管委会|人民政府办公厅|人民政府|办事处|政府)$")
_PLACE_NAME = re.compile(r"(区|县|市|旗|乡|镇|街道)$")
_NAME_ENDING = re.compile(r"(特别行政区|自治区|自治州|自治县|自治旗|街道|地区|省|市|盟|州|县|区|旗|乡|镇)$")


# -- material from the samples ---------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    text: str  # one prose paragraph, or a run of table/short lines kept together
    prose: bool


@dataclass
class SourceSub:
    title: str  # heading without its (一)/一、 marker
    bracket: tuple[str, str]  # the marker's brackets, e.g. ("（", "）")
    blocks: list[Block]


@dataclass
class SourceSection:
    key: str
    source: str  # file name of the sample
    year: int | None
    blocks: list[Block]
    subs: list[SourceSub]

    def has_table(self) -> bool:
        return any(not block.prose and block.text.count("\n") >= 10 for block in self.blocks)


@dataclass
class Material:
    sections: dict[str, list[SourceSection]] = field(default_factory=dict)
    paragraphs: dict[str, list[str]] = field(default_factory=dict)  # prose by key, deduplicated
    subs: dict[str, list[SourceSub]] = field(default_factory=dict)
    preambles: list[list[str]] = field(default_factory=list)  # prose paragraphs per sample
    sources: int = 0


def _is_prose(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= 15 and "。" in stripped and "|" not in stripped and "\t" not in stripped


def split_blocks(text: str) -> list[Block]:
    """Cut text into prose paragraphs and runs of other lines (tables stay in one piece)."""
    blocks: list[Block] = []
    run: list[str] = []

    def flush() -> None:
        while run and not run[-1].strip():
            run.pop()
        while run and not run[0].strip():
            run.pop(0)
        if run:
            blocks.append(Block("\n".join(run), False))
        run.clear()

    for line in text.split("\n"):
        if _is_prose(line):
            flush()
            blocks.append(Block(line.strip(), True))
        else:
            run.append(line.rstrip())
    flush()
    return blocks


def _templater(report):
    """Return a function that puts placeholders for the report's own names and years into text."""
    region = report.region
    levels = [name for name in (region.town, region.county, region.city, region.province) if name]
    names: dict[str, str] = {}
    for depth, name in enumerate(levels):
        names.setdefault(name, chr(LEVEL_BASE + depth))
    # The name the report calls itself by, when it is not the official one (沐阳县, 平潭综合实验区).
    for written in (report.issuer, report.title and re.split(r"\s*\d{4}\s*年", report.title)[0]):
        place = _BODY_SUFFIX.sub("", re.sub(r"\s", "", written or ""))
        if len(place) >= 3 and _PLACE_NAME.search(place) and levels:
            names.setdefault(place, chr(LEVEL_BASE))
    stem = _stem(levels[0]) if levels else ""
    if len(stem) >= 2:
        names.setdefault(stem, STEM)
    if report.issuer and len(report.issuer) >= 4:
        names[report.issuer] = ISSUER
    pattern = (
        re.compile("|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)))
        if names
        else None
    )
    year = report.year

    def year_marker(match: re.Match) -> str:
        offset = int(match.group(1)) - year
        return chr(YEAR_BASE + offset) if offset in YEAR_OFFSETS else match.group(1)

    def templatize(text: str) -> str:
        text = _PRIVATE_USE.sub("", text)
        if report.script == TRADITIONAL:
            text = to_simplified(text)
        if pattern is not None:
            text = pattern.sub(lambda match: names[match.group(0)], text)
        if year:
            text = _YEAR_IN_TEXT.sub(year_marker, text)
        return text

    return templatize


def _stem(name: str) -> str:
    """Return a place name without its ending (平潭县 -> 平潭, 巴丹吉林镇 -> 巴丹吉林)."""
    return _NAME_ENDING.sub("", name)


def _sub_heading(heading: str) -> tuple[str, tuple[str, str]]:
    """Return a subsection heading without its number, and the brackets it used."""
    match = _SUB_MARKER.match(heading)
    if match:
        return heading[match.end():].strip(), (match.group(1), match.group(2))
    match = _TOP_MARKER.match(heading)  # 二、工作机制保障 inside a section: demoted to （二）
    if match:
        return heading[match.end():].strip(), ("（", "）")
    return heading.strip(), ("", "")


def collect(source_dir: Path) -> Material:
    """Parse every sample once and collect its sections, paragraphs and preamble."""
    material = Material(
        sections={key: [] for key in REPORT_KEYS},
        paragraphs={key: [] for key in REPORT_KEYS},
        subs={key: [] for key in REPORT_KEYS},
    )
    seen: dict[str, set[str]] = {key: set() for key in REPORT_KEYS}
    for path in sorted(source_dir.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            report = parse_report(path)
        except ReadError:
            continue
        material.sources += 1
        templatize = _templater(report)
        preamble = [block.text for block in split_blocks(templatize(report.preamble)) if block.prose]
        if preamble:
            material.preambles.append(preamble)
        for section in report.sections:
            if section.key not in material.sections:
                continue
            blocks = split_blocks(templatize(section.text))
            subs = []
            for sub in section.subsections:
                title, bracket = _sub_heading(templatize(sub.heading))
                subs.append(SourceSub(title, bracket, split_blocks(templatize(sub.text))))
            if not blocks and not any(sub.blocks for sub in subs):
                continue  # an empty section (its table was lost in the source) is no material
            material.sections[section.key].append(
                SourceSection(section.key, path.name, report.year, blocks, subs)
            )
            for block in blocks + [block for sub in subs for block in sub.blocks]:
                if block.prose and block.text not in seen[section.key]:
                    seen[section.key].add(block.text)
                    material.paragraphs[section.key].append(block.text)
            material.subs[section.key].extend(sub for sub in subs if sub.bracket[0] and sub.blocks)
    if not material.sources:
        raise SystemExit(f"no readable reports in {source_dir}")
    return material


# -- issuers ---------------------------------------------------------------------------------


@dataclass
class Issuer:
    unit: Division  # a town, or a county for a county-level report
    county: Division
    years: list[int]
    style: int  # which heading wording to use
    keys: tuple[str, ...]
    primaries: dict[str, SourceSection]  # the sample each section is based on, kept across years
    preamble: list[str]

    @property
    def name(self) -> str:
        """The body that issues the report."""
        if self.unit.level == "county":
            return self.unit.name + "人民政府"
        return self.unit.name + ("办事处" if self.unit.name.endswith("街道") else "人民政府")

    def title(self, year: int) -> str:
        prefix = self.county.name if self.unit.level == "town" else ""
        return f"{prefix}{self.name}{year}年政府信息公开工作年度报告"


def _county_of(division: Division) -> Division | None:
    return next((parent for parent in division.parents if parent.level == "county"), None)


class Places:
    """Provinces, counties and towns from the gazetteer, in code order."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        divisions = sorted(gazetteer.by_code.values(), key=lambda division: division.code)
        self.provinces = [division for division in divisions if division.level == "province"]
        self.counties: dict[str, list[Division]] = {p.code: [] for p in self.provinces}
        self.towns: dict[str, list[Division]] = {}
        for division in divisions:
            if division.level == "county":
                self.counties[division.parents[0].code].append(division)
            elif division.level == "town" and division.name.endswith(TOWN_SUFFIXES):
                county = _county_of(division)
                if county is not None:
                    self.towns.setdefault(county.code, []).append(division)

    def resolves(self, unit: Division, issuer_name: str, title: str) -> bool:
        """Tell whether the parser will find this unit from its report's issuer and title alone.

        The parser reads the simplified search form, where OpenCC turns some official names into
        others (乾安县 -> 干安县); such names are left out rather than written unresolvable.
        """
        region, _ = self.gazetteer.resolve([to_simplified(issuer_name), to_simplified(title)])
        return region == unit.region()


def choose_issuers(rng: random.Random, places: Places, material: Material, reports: int) -> list[Issuer]:
    """Pick issuers round-robin over the provinces until they cover `reports` reports."""
    provinces = list(places.provinces)
    rng.shuffle(provinces)
    decks: dict[str, list[Division]] = {}
    positions: dict[str, int] = {}
    for province in provinces:
        deck = list(places.counties[province.code])
        rng.shuffle(deck)
        decks[province.code] = deck
        positions[province.code] = 0
    used: set[str] = set()  # division codes (only tested for membership, never iterated)
    candidates = {
        key: [s for s in sections if key not in TABLE_KEYS or (s.year or 0) >= 2019 and s.has_table()]
        or sections
        for key, sections in material.sections.items()
    }
    issuers: list[Issuer] = []
    total = 0
    turn = misses = 0
    while total < reports:
        province = provinces[turn % len(provinces)]
        turn += 1
        deck = decks[province.code]
        unit = None
        for _ in range(8 if deck else 0):  # a few tries: a used or ambiguous name is skipped
            county = deck[positions[province.code] % len(deck)]
            positions[province.code] += 1
            towns = places.towns.get(county.code)
            if rng.random() < COUNTY_SHARE or not towns:
                candidate = county
            else:
                candidate = rng.choice(towns)
            if candidate.code in used:
                continue
            probe = Issuer(candidate, county, [], 0, (), {}, [])
            if places.resolves(candidate, probe.name, probe.title(YEARS[0])):
                unit = candidate
                break
        if unit is None:
            misses += 1
            if misses > 50 * len(provinces):
                raise SystemExit(f"ran out of unused towns and counties after {total} reports")
            continue
        misses = 0
        used.add(unit.code)
        span = rng.randint(2, YEARS[1] - YEARS[0] + 1)
        start = rng.randint(YEARS[0], YEARS[1] - span + 1)
        years = list(range(start, start + span))[: reports - total]
        keys = REPORT_KEYS if rng.random() < OTHER_SHARE else REPORT_KEYS[:-1]
        keys = tuple(key for key in keys if material.sections[key])
        primaries = {key: rng.choice(candidates[key]) for key in keys}
        preamble = rng.choice(material.preambles) if material.preambles else []
        issuers.append(Issuer(unit, county, years, rng.randrange(2), keys, primaries, preamble))
        total += len(years)
    return issuers


# -- writing a report ------------------------------------------------------------------------


def _jitter(rng: random.Random, text: str) -> str:
    """Change the small counts in a paragraph, as another town's numbers would differ."""

    def replace(match: re.Match) -> str:
        value = int(match.group(1))
        if value == 0 or 1900 <= value <= 2100:
            return match.group(1)
        return str(rng.randint(max(1, value // 2), value + value // 2 + 1))

    return _COUNT.sub(replace, text)


def _recombine(rng: random.Random, blocks: list[Block], pool: list[str]) -> list[str]:
    """Return the blocks' texts with some prose paragraphs swapped, dropped or added."""
    out: list[str] = []
    for block in blocks:
        if not block.prose:
            out.append(block.text)
            continue
        roll = rng.random()
        if roll < DROP:
            continue
        text = rng.choice(pool) if roll < DROP + SWAP else block.text
        out.append(_jitter(rng, text) if rng.random() < JITTER else text)
        if rng.random() < INSERT:
            out.append(rng.choice(pool))
    return out


def _section_lines(rng: random.Random, key: str, primary: SourceSection, material: Material) -> list[str]:
    pool = material.paragraphs[key] or [""]
    lines = _recombine(rng, primary.blocks, pool)
    subs = list(primary.subs)
    if subs:
        chosen: list[SourceSub] = []
        titles = [sub.title for sub in subs]
        for sub in subs:
            roll = rng.random()
            if roll < SUB_DROP and len(subs) > 1:
                continue
            if roll < SUB_DROP + SUB_SWAP and sub.bracket[0] and material.subs[key]:
                other = rng.choice(material.subs[key])
                if other.title not in titles:  # no subsection twice in one section
                    titles.append(other.title)
                    sub = other
            chosen.append(sub)
        number = 0
        for sub in chosen:
            if sub.bracket[0]:
                number += 1
                lines.append(f"{sub.bracket[0]}{_numeral(number)}{sub.bracket[1]}{sub.title}")
            else:
                lines.append(sub.title)
            lines.extend(_recombine(rng, sub.blocks, pool))
    if not any(line.strip() for line in lines):
        lines.append(rng.choice(pool))
    return lines


def _numeral(number: int) -> str:
    if number <= 10:
        return NUMERALS[number - 1]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


def _fills(issuer: Issuer, year: int) -> list[tuple[str, str]]:
    """Return (placeholder, text) pairs that fill a report of this issuer and year."""
    chain = [division.name for division in reversed(issuer.unit.chain)]  # own level first
    fills = [(ISSUER, issuer.name), (STEM, _stem(issuer.unit.name) or issuer.unit.name)]
    for depth in range(4):
        fills.append((chr(LEVEL_BASE + depth), chain[min(depth, len(chain) - 1)]))
    for offset in YEAR_OFFSETS:
        fills.append((chr(YEAR_BASE + offset), str(year + offset)))
    return fills


def render(rng: random.Random, issuer: Issuer, year: int, material: Material) -> str:
    """Return the text of one report."""
    parts = [issuer.title(year), ""]
    if issuer.preamble:
        parts.extend(issuer.preamble)
        parts.append("")
    for number, key in enumerate(issuer.keys, start=1):
        wordings = HEADINGS[key]
        parts.append(f"{_numeral(number)}、{wordings[issuer.style % len(wordings)]}")
        parts.extend(_section_lines(rng, key, issuer.primaries[key], material))
        parts.append("")
    text = "\n".join(parts)
    for placeholder, fill in _fills(issuer, year):  # str.replace is far faster than translate here
        text = text.replace(placeholder, fill)
    return text


def generate(out_dir: Path, reports: int, seed: int = 1, source: Path | None = None) -> list[dict]:
    """Write the corpus and its manifest; return the manifest rows."""
    source = source or ROOT / "corpus" / "reports"
    material = collect(Path(source))
    places = Places(load_gazetteer())
    rng = random.Random(seed)
    issuers = choose_issuers(rng, places, material, reports)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    made: set[str] = set()
    number = 0
    for issuer in issuers:
        province = issuer.unit.chain[0]
        folder = out_dir / province.code
        if province.code not in made:
            folder.mkdir(exist_ok=True)
            made.add(province.code)
        for year in issuer.years:
            number += 1
            relative = f"{province.code}/{number:06d}.txt"
            text = render(rng, issuer, year, material)
            (out_dir / relative).write_bytes(text.encode("utf-8"))
            region = issuer.unit.region()
            rows.append(
                {
                    "path": relative,
                    "title": issuer.title(year),
                    "year": str(year),
                    "province": region.province or "",
                    "city": region.city or "",
                    "county": region.county or "",
                    "town": region.town or "",
                    "issuer": issuer.name,
                    "sections": ",".join(issuer.keys),
                }
            )
    manifest = "\t".join(MANIFEST_COLUMNS) + "\n"
    manifest += "".join("\t".join(row[column] for column in MANIFEST_COLUMNS) + "\n" for row in rows)
    (out_dir / "manifest.tsv").write_bytes(manifest.encode("utf-8"))
    return rows


def read_manifest(out_dir: Path) -> list[dict]:
    """Return the rows of a generated corpus's manifest.tsv."""
    lines = (out_dir / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def _prepare(out_dir: Path, force: bool) -> None:
    """Refuse to write into a non-empty folder, except over an earlier generated corpus (--force)."""
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return
    manifest = out_dir / "manifest.tsv"
    if not force or not manifest.exists():
        raise SystemExit(
            f"{out_dir} is not empty; use --force to replace a corpus generated there before"
        )
    for row in read_manifest(out_dir):  # remove only what the earlier run wrote
        (out_dir / row["path"]).unlink(missing_ok=True)
    manifest.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    parser.add_argument("--reports", type=int, required=True, metavar="N")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", type=Path, default=ROOT / "corpus" / "reports")
    parser.add_argument("--force", action="store_true", help="replace an earlier generated corpus")
    args = parser.parse_args(argv)
    if args.reports < 1:
        parser.error("--reports must be at least 1")
    started = time.perf_counter()
    _prepare(args.out_dir, args.force)
    rows = generate(args.out_dir, args.reports, args.seed, args.source)
    size = sum((args.out_dir / row["path"]).stat().st_size for row in rows)
    folders = len({row["path"].split("/")[0] for row in rows})
    print(
        f"{len(rows)} files in {folders} folders, {size / 1e6:.1f} MB, "
        f"{time.perf_counter() - started:.1f} s -> {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
