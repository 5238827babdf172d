"""China's administrative divisions, and which of them a report belongs to.

The data are the National Bureau of Statistics' division codes (统计用区划代码, 2023 edition) down to
towns, shipped in `data/divisions/` (see SOURCE.md there). A code's length gives its level: 2
province, 4 city, 6 county, 9 town.

`resolve_region(clues, context)` finds division names in the most reliable strings of a report
(title, issuer, 信息来源 line, first paragraph), tells same-named places apart by the names of their
cities and provinces in the text, and fills the upper levels from the gazetteer.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from indexer.models import Region

DATA_DIR = Path(__file__).parent / "data" / "divisions"

LEVELS = ("province", "city", "county", "town")
_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_LEVEL_BY_CODE_LENGTH = {2: "province", 4: "city", 6: "county", 9: "town"}
_PARENT_CODE_LENGTH = {4: 2, 6: 4, 9: 6}

# NBS rows that hold a place in the code tree without being a level of government: the districts
# of a municipality sit under a city row "市辖区" (Chongqing's counties under "县"), and counties
# run directly by a province under "省直辖县级行政区划". Such a county has no city level.
NO_CITY_LEVEL = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# Only names with these endings are looked for in clues. Other NBS town-level units (农场, 开发区,
# 管理处, ...) stay findable with find() but are too generic to spot in running text.
_SCAN_SUFFIXES = {
    "province": ("省", "自治区", "市"),
    "city": ("市", "州", "地区", "盟"),
    "county": ("区", "县", "市", "旗"),
    "town": ("乡", "镇", "街道", "苏木"),
}
_BARE_SUFFIXES = frozenset(suffix for suffixes in _SCAN_SUFFIXES.values() for suffix in suffixes)

# Endings of county and town names, longest first, for reading a misspelt name.
_FUZZY_SUFFIXES = ("自治县", "自治旗", "民族乡", "街道", "苏木", "县", "旗", "区", "市", "乡", "镇")
_FUZZY_LAST_CHARS = frozenset(suffix[-1] for suffix in _FUZZY_SUFFIXES)
_FUZZY_MAX_STEM = 8
# An unknown name is only read as a misspelling when an issuer's words follow it.
_ISSUER_WORDS = ("人民政府", "政府")

# The 55 minority nationalities (without 族), to shorten 恩施土家族苗族自治州 to 恩施.
_ETHNIC_GROUPS = sorted(
    (
        "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 "
        "纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 "
        "鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
    ).split(),
    key=len,
    reverse=True,
)


@dataclass(frozen=True, slots=True)
class Division:
    """One official division; `parents` runs from the province down to the direct parent."""

    code: str
    name: str
    level: str  # "province", "city", "county" or "town"
    parents: tuple[Division, ...] = field(default=(), repr=False, compare=False)

    @property
    def chain(self) -> tuple[Division, ...]:
        """Return the parents and the division itself, province first."""
        return (*self.parents, self)

    def full_name(self) -> str:
        """Return the names from the province down, e.g. 江苏省宿迁市沭阳县."""
        return "".join(division.name for division in self.chain)

    def region(self) -> Region:
        """Return the division and its parents as a Region."""
        return Region(**{division.level: division.name for division in self.chain})


@dataclass(frozen=True)
class Alias:
    """A name used for a body that is not an official division, and the division it stands for."""

    name: str
    division: Division
    reason: str


@dataclass(frozen=True)
class Mention:
    """A division name found in a clue; `written` differs from the official name if misspelt."""

    written: str
    start: int
    end: int
    candidates: tuple[Division, ...]
    misspelt: bool = False

    @property
    def level(self) -> str:
        return self.candidates[0].level


def short_name(name: str) -> str | None:
    """Return the common short form of a province or city name (内蒙古, 包头, 恩施), if any."""
    for suffix in ("特别行政区", "自治区", "自治州", "地区", "省", "市", "盟"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            break
    else:
        return None
    # Autonomous areas carry their nationalities after the place: 广西壮族, 恩施土家族苗族.
    stripped = suffix.startswith("自治")
    while stripped:
        stripped = False
        for group in _ETHNIC_GROUPS:
            for form in (group + "族", group):
                # Keep two characters at least: 内蒙古 must not become 内.
                if stem.endswith(form) and len(stem) - len(form) >= 2:
                    stem = stem[: -len(form)]
                    stripped = True
                    break
            if stripped:
                break
    return stem if len(stem) >= 2 else None


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _name_suffix(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return None


def _read_tsv(path: Path) -> list[list[str]]:
    """Return the rows of a tab-separated data file, without comments and the header."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        lines = (line.rstrip("\n") for line in handle)
        lines = [line for line in lines if line and not line.startswith("#")]
    for line in lines[1:]:
        rows.append(line.split("\t"))
    return rows


class Gazetteer:
    """Lookups over the division table; build one with `load_gazetteer()`."""

    def __init__(
        self,
        rows: list[tuple[str, str]],
        aliases: list[tuple[str, str, str, str]],
        confusables: list[tuple[str, str]],
    ) -> None:
        self.by_code: dict[str, Division] = {}
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        # Chains by code, placeholders included (they get their parent's chain).
        chains: dict[str, tuple[Division, ...]] = {}
        for code, name in sorted(rows):
            level = _LEVEL_BY_CODE_LENGTH[len(code)]
            parents = chains[code[: _PARENT_CODE_LENGTH[len(code)]]] if len(code) > 2 else ()
            if self._is_placeholder(level, name, parents):
                chains[code] = parents
                continue
            division = Division(code, name, level, parents)
            self.by_code[code] = division
            self.by_name[name].append(division)
            chains[code] = division.chain
        self.by_name = dict(self.by_name)

        self.aliases: dict[str, Alias] = {}
        for alias, name, code, reason in aliases:
            division = self.by_code.get(code)
            if division is None or division.name != name:
                raise ValueError(f"aliases.tsv: {alias} -> {name} {code} is not in divisions.tsv")
            self.aliases[alias] = Alias(alias, division, reason)

        self._confusables = {frozenset(pair) for pair in confusables}
        self._short_names = {
            division.code: short
            for division in self.by_code.values()
            if division.level in ("province", "city") and (short := short_name(division.name))
        }
        self._build_scan_table()
        self._shapes: dict[tuple[int, str], list[str]] | None = None

    @staticmethod
    def _is_placeholder(level: str, name: str, parents: tuple[Division, ...]) -> bool:
        if level == "city":
            return name in NO_CITY_LEVEL
        # 东莞市, 中山市, 儋州市, 嘉峪关市 have no counties: NBS repeats the city as a county row.
        return level == "county" and bool(parents) and parents[-1].name == name

    def _build_scan_table(self) -> None:
        scan: dict[str, tuple[Division, ...]] = {}
        for name, divisions in self.by_name.items():
            scannable = [
                division
                for division in divisions
                if name.endswith(_SCAN_SUFFIXES[division.level]) and name not in _BARE_SUFFIXES
            ]
            if not scannable:
                continue
            # A name used at two levels (东城区: a Beijing district and a town in 许昌) reads as
            # the higher level; there are a dozen such names.
            top = min(_LEVEL_RANK[division.level] for division in scannable)
            scan[name] = tuple(d for d in scannable if _LEVEL_RANK[d.level] == top)
        for alias in self.aliases.values():
            scan[alias.name] = (alias.division,)
        self._scan = scan
        lengths: dict[str, set[int]] = defaultdict(set)
        for name in scan:
            lengths[name[-1]].add(len(name))
        self._lengths_by_last_char = {
            char: tuple(sorted(found, reverse=True)) for char, found in lengths.items()
        }

    # -- lookups -----------------------------------------------------------------------------

    def find(self, name: str) -> list[Division]:
        """Return the divisions with this official name, or the one an alias stands for."""
        if name in self.by_name:
            return list(self.by_name[name])
        alias = self.aliases.get(name)
        return [alias.division] if alias else []

    def division(self, code: str) -> Division | None:
        """Return the division with this code (placeholder rows such as 市辖区 have none)."""
        return self.by_code.get(code)

    def names(self) -> list[str]:
        """Return every official name once, sorted."""
        return sorted(self.by_name)

    def count(self, level: str) -> int:
        """Return how many divisions the table has at this level."""
        return sum(1 for division in self.by_code.values() if division.level == level)

    # -- finding names in text ---------------------------------------------------------------

    def scan(self, text: str) -> list[Mention]:
        """Return the division names written in `text`, longest first, without overlaps."""
        found: list[tuple[int, int]] = []
        for index, char in enumerate(text):
            lengths = self._lengths_by_last_char.get(char)
            if not lengths:
                continue
            end = index + 1
            for length in lengths:
                start = end - length
                if start >= 0 and text[start:end] in self._scan:
                    found.append((start, end))
        found.sort(key=lambda span: (span[0] - span[1], span[0]))
        taken: list[tuple[int, int]] = []
        for start, end in found:
            if not any(start < other_end and other_start < end for other_start, other_end in taken):
                taken.append((start, end))
        taken.sort()
        mentions: list[Mention] = []
        for start, end in taken:
            name = text[start:end]
            # A one-character stem (南县, 和县, 城区) is a word inside 湖南县级, 乡镇和县直, 主城区:
            # it counts only at the start of a name, not after another character.
            if len(name) == 2 and start > 0 and _is_cjk(text[start - 1]):
                if not (mentions and mentions[-1].end == start):
                    continue
            mentions.append(Mention(name, start, end, self._scan[name]))
        return mentions

    def _unknown_names(self, text: str, mentions: list[Mention]) -> list[tuple[int, int]]:
        """Return spans of county/town-like names followed by 人民政府 that are not official."""
        mention_ends = {mention.end for mention in mentions}
        covered = [(mention.start, mention.end) for mention in mentions]
        spans = []
        for index, char in enumerate(text):
            end = index + 1
            if char not in _FUZZY_LAST_CHARS:
                continue
            if not any(text.startswith(word, end) for word in _ISSUER_WORDS):
                continue
            if any(start < end <= stop for start, stop in covered):
                continue
            # The name runs back to the start of the Chinese text, the end of a known name, or
            # a 年 ("2019年沐阳县…" in titles).
            start = end
            while start > 0 and _is_cjk(text[start - 1]) and text[start - 1] != "年":
                if start in mention_ends:
                    break
                start -= 1
            name = text[start:end]
            suffix = _name_suffix(name, _FUZZY_SUFFIXES)
            if not suffix or name in self.by_name:
                continue
            if 2 <= len(name) - len(suffix) <= _FUZZY_MAX_STEM:
                spans.append((start, end))
        return spans

    def _names_by_shape(self) -> dict[tuple[int, str], list[str]]:
        """Group county and town names by (length, ending), built on first use."""
        if self._shapes is None:
            shapes: dict[tuple[int, str], list[str]] = defaultdict(list)
            for name, divisions in self._scan.items():
                suffix = _name_suffix(name, _FUZZY_SUFFIXES)
                if suffix and name not in self.aliases and divisions[0].level in ("county", "town"):
                    shapes[len(name), suffix].append(name)
            self._shapes = dict(shapes)
        return self._shapes

    def near_names(self, name: str) -> list[Division]:
        """Return county/town divisions whose name differs from `name` in one stem character."""
        suffix = _name_suffix(name, _FUZZY_SUFFIXES)
        if not suffix:
            return []
        found: list[Division] = []
        for other in self._names_by_shape().get((len(name), suffix), ()):
            if sum(a != b for a, b in zip(name, other)) == 1:
                found.extend(self._scan[other])
        return found

    # -- resolution --------------------------------------------------------------------------

    def _evidence(self, division: Division, text: str) -> int:
        """Count the parents of `division` named in `text` (cities and provinces by short name too)."""
        count = 0
        for parent in division.parents:
            short = self._short_names.get(parent.code)
            if parent.name in text or (short and short in text):
                count += 1
        return count

    def _narrow(
        self, candidates: tuple[Division, ...], clue_text: str, context: str
    ) -> tuple[Division, ...]:
        """Keep the candidates whose parents the clues, then the context, name most often."""
        if len(candidates) <= 1:
            return candidates
        scores = [
            (self._evidence(division, clue_text), self._evidence(division, context))
            for division in candidates
        ]
        best = max(scores)
        if best == (0, 0):
            return candidates
        return tuple(division for division, score in zip(candidates, scores) if score == best)

    def _read_misspelt(
        self, written: str, clue_text: str, context: str
    ) -> tuple[tuple[Division, ...], tuple[Division, ...]]:
        """Return (all one-off candidates, those left after context and look-alike characters)."""
        candidates = tuple(self.near_names(written))
        narrowed = self._narrow(candidates, clue_text, context)
        if len(narrowed) > 1:
            alike = tuple(
                division
                for division in narrowed
                if any(
                    frozenset((a, b)) in self._confusables
                    for a, b in zip(written, division.name)
                    if a != b
                )
            )
            if alike:
                narrowed = alike
        return candidates, narrowed

    def resolve(self, clues: list[str], context: str = "") -> tuple[Region, list[str]]:
        """Return the region of a report and warnings; see `resolve_region`."""
        warnings: list[str] = []
        clue_text = "\n".join(clues)
        issuer: Mention | None = None
        for clue in clues:
            mentions = self.scan(clue)
            for start, end in self._unknown_names(clue, mentions):
                written = clue[start:end]
                candidates, narrowed = self._read_misspelt(written, clue_text, context)
                if len(narrowed) == 1:
                    mentions.append(Mention(written, start, end, narrowed, misspelt=True))
                elif candidates:
                    warnings.append(
                        f"region: '{written}' is not an official name; it may be "
                        f"{_listing(narrowed)}"
                    )
            if mentions:
                mentions.sort(key=lambda mention: mention.start)
                issuer = max(mentions, key=lambda mention: _LEVEL_RANK[mention.level])
                break
        if issuer is None:
            warnings.append("region: no division name found in the title, issuer or first lines")
            return Region(), warnings

        candidates = self._narrow(issuer.candidates, clue_text, context)
        if issuer.misspelt:
            division = candidates[0]
            where = "".join(parent.name for parent in division.parents)
            warnings.append(
                f"region: '{issuer.written}' is not an official name; "
                f"read as {division.name} ({where})"
            )
        if len(candidates) == 1:
            return candidates[0].region(), warnings

        # Same-named places the text does not tell apart: keep only the levels they share.
        level = issuer.level
        shared = {}
        for upper in LEVELS[: _LEVEL_RANK[level]]:
            names = {getattr(division.region(), upper) for division in candidates}
            if len(names) == 1:
                shared[upper] = names.pop()
        empty = [name for name in LEVELS[: _LEVEL_RANK[level] + 1] if name not in shared]
        warnings.append(
            f"region: '{issuer.written}' matches {len(candidates)} divisions "
            f"({_listing(candidates)}) and the text does not say which; "
            f"{', '.join(reversed(empty))} left empty"
        )
        return Region(**shared), warnings


def _listing(divisions: tuple[Division, ...], limit: int = 6) -> str:
    names = [division.full_name() for division in divisions[:limit]]
    if len(divisions) > limit:
        names.append(f"… {len(divisions) - limit} more")
    return ", ".join(names)


@functools.cache
def load_gazetteer() -> Gazetteer:
    """Load the division table and aliases once per process."""
    rows = [(code, name) for code, name in _read_tsv(DATA_DIR / "divisions.tsv")]
    aliases = [
        (alias, name, code, reason)
        for alias, name, code, reason in _read_tsv(DATA_DIR / "aliases.tsv")
    ]
    confusables = [(row[0], row[1]) for row in _read_tsv(DATA_DIR / "ocr_confusables.tsv")]
    return Gazetteer(rows, aliases, confusables)


def resolve_region(clues: list[str], context: str = "") -> tuple[Region, list[str]]:
    """Return the region a report belongs to, and warnings (one line each).

    `clues` are simplified-script strings, most reliable first (title, issuer, 信息来源 line, first
    paragraph); `context` is the whole simplified text. The first clue that names a division
    decides the issuer: its lowest-level name sets which levels apply (a county's report has no
    town), and the gazetteer fills the levels above it. Same-named places are told apart by
    their cities and provinces named in the clues, then in the context; when that fails, the
    level is left empty with a warning naming the candidates.
    """
    return load_gazetteer().resolve(clues, context)


def find(name: str) -> list[Division]:
    """Return the divisions with this official name (or the one an alias stands for)."""
    return load_gazetteer().find(name)


def division_names() -> list[str]:
    """Return every official division name once, sorted (for a segmenter's user dictionary)."""
    return load_gazetteer().names()
