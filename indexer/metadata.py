"""Title, issuer, covered year, publishing date and region of a cleaned report."""

from __future__ import annotations

import datetime
import re
import unicodedata

from indexer.gazetteer import find as find_division
from indexer.gazetteer import resolve_region
from indexer.models import Metadata
from indexer.script import to_simplified
from indexer.sections import strip_line

FIRST_REPORT_YEAR = 2008  # the regulation took effect on 2008-05-01

_TITLE_WORDS = re.compile(r"年度报告|年报|工作报告")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_CHINESE_DIGITS = str.maketrans("〇零○Ｏ一二三四五六七八九", "0000123456789")
_CHINESE_YEAR = re.compile(r"[二][〇零○Ｏ一二三四五六七八九]{3}(?=\s*年)")
_DATE_LINE = re.compile(r"^[（(]?\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[)）]?$")
_PERIOD_START = re.compile(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日?\s*(?:起\s*)?(?:至|到|—|-|～|~)")
# Suffixes that make a name a government body rather than a place.
_BODY_SUFFIX = re.compile(
    r"(人民政府|政府|办公厅|办公室|管委会|管理委员会|委员会|委|厅|局|办|院|中心|办事处|公司|站|所|队)$"
)
_PLACE_SUFFIX = re.compile(r"(省|自治区|市|盟|州|地区|县|区|旗|乡|镇|街道|苏木)$")
# What remains once higher-level places are cut off: a place's own government (岩垅乡人民政府).
_GOVERNMENT_OF_PLACE = re.compile(
    r"^[\u4e00-\u9fff]{1,10}?(?:乡|镇|街道|苏木|县|区|旗|市)(?:人民政府|政府|办事处|街道办事处)"
)
_PLACE_IN_TEXT = re.compile(r"([\u4e00-\u9fff]{1,8}?(?:街道|乡|镇|苏木|县|区|旗))")


def _normalise_digits(text: str) -> str:
    """Return text with full-width digits made ASCII and 二〇二二年-style years made 2022年."""
    text = unicodedata.normalize("NFKC", text)
    return _CHINESE_YEAR.sub(lambda match: match.group(0).translate(_CHINESE_DIGITS), text)


def _lines(text: str) -> list[str]:
    return [strip_line(line) for line in text.split("\n") if line.strip()]


def find_title(lines: list[str]) -> tuple[str | None, int]:
    """Return the report's title (lines broken by PDF extraction joined) and its last line index."""
    for index, line in enumerate(lines[:15]):
        simple = to_simplified(line)
        if re.match(r"^[一二三四五六七八九十]+\s*[、.．]", simple):
            break  # reached the first section: there is no title
        if len(line) > 60 or "。" in line or not _TITLE_WORDS.search(simple):
            continue
        title = line
        first = index
        # "平潭综合实验区" / "2019年" / "政府信息公开工作年度报告": join the short lines above while
        # the title still lacks the body's name in front of its year.
        while first > 0 and not _has_name(title):
            above = lines[first - 1]
            if len(above) > 25 or re.search(r"[。，,：:；>]", above) or _TITLE_WORDS.search(to_simplified(above)):
                break
            title = above + title
            first -= 1
        return re.sub(r"\s+", " ", title).strip(), index
    return None, -1


def _has_name(title: str) -> bool:
    """Tell whether a title names its body: CJK text before the year, or right after it."""
    simple = _normalise_digits(to_simplified(title))
    year = _YEAR.search(simple)
    if not year:
        return bool(re.match(r"[\u4e00-\u9fff]{2,}", simple)) and not simple.startswith(("政府信息", "年度"))
    before = re.sub(r"[^\u4e00-\u9fff]", "", simple[: year.start()])
    after = re.sub(r"[^\u4e00-\u9fff]", "", simple[year.end():])
    return len(before) >= 2 or not after.startswith(("度", "政府信息", "信息公开", "年度报告", "年报"))


def find_year(title: str | None, text: str, published: str | None) -> tuple[int | None, list[str]]:
    """Return the year a report covers (not its publishing year) and warnings."""
    this_year = datetime.date.today().year
    candidates = []
    if title:
        candidates += [int(year) for year in _YEAR.findall(_normalise_digits(title))]
    normalised = _normalise_digits(text[:6000])
    period = _PERIOD_START.search(normalised)
    if period:
        candidates.append(int(period.group(1)))
    # The first year the text mentions, skipping dates (publishing lines, signatures).
    for match in _YEAR.finditer(normalised[:3000]):
        after = normalised[match.end(): match.end() + 4]
        if re.match(r"\s*\d{1,2}\s*月", after):
            continue
        candidates.append(int(match.group(1)))
        break
    warnings = []
    for year in candidates:
        if FIRST_REPORT_YEAR <= year <= this_year:
            if published and year > int(published[:4]):
                warnings.append(f"year {year} is later than the publishing date {published}")
            return year, warnings
    if published:
        year = int(published[:4]) - 1
        return year, [f"year not stated; assumed {year}, the year before publication ({published})"]
    return None, ["year could not be determined"]


def find_published(lines: list[str], published: str | None) -> str | None:
    """Return the publishing date: from the page furniture, else a date line near the top or end."""
    if published:
        return published
    for line in lines[:6] + lines[-4:]:
        match = _DATE_LINE.match(_normalise_digits(line))
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day).isoformat()
            except ValueError:
                continue
    return None


def _strip_higher_levels(name: str) -> str:
    """Return a government's name without the higher-level places in front (洪江市岩垅乡… -> 岩垅乡…).

    A prefix is cut only when it is an official province, city or county name and what follows is
    itself a place's government, so 金州区湾里街道办事处 loses 金州区, not 金州.
    """
    stripped = True
    while stripped:
        stripped = False
        for size in range(min(len(name) - 4, 12), 1, -1):
            prefix, rest = name[:size], name[size:]
            if not _GOVERNMENT_OF_PLACE.match(rest):
                continue
            if any(division.level in ("province", "city", "county") for division in find_division(prefix)):
                name = rest
                stripped = True
                break
    return name


def find_issuer(title: str | None, source: str | None, text: str, signer: str | None = None) -> str | None:
    """Return the issuing body: named in the title, the 信息来源 line or signature, or from the place."""
    name_in_title = None
    if title:
        simple = _normalise_digits(to_simplified(title))
        year = _YEAR.search(simple)
        head = simple[: year.start()] if year else re.split(r"政府信息|信息公开", simple)[0]
        if year and len(re.sub(r"[^\u4e00-\u9fff]", "", head)) < 2:
            head = re.split(r"政府信息|信息公开", simple[year.end():])[0]
            head = re.sub(r"^度", "", head)
        name_in_title = re.sub(r"[\s《》“”\"]", "", head) or None
    if name_in_title and _BODY_SUFFIX.search(name_in_title):
        return _strip_higher_levels(name_in_title)
    for named in (source, signer):
        if named:
            simple_named = re.sub(r"\s", "", to_simplified(named))
            if _BODY_SUFFIX.search(simple_named):
                return _strip_higher_levels(simple_named)
    place = name_in_title
    if not place:
        first_place = _PLACE_IN_TEXT.search(to_simplified(text[:400]))
        place = first_place.group(1) if first_place else None
    if place and _PLACE_SUFFIX.search(place):
        place = _strip_higher_levels(place + "人民政府")[: -len("人民政府")] or place
        return place + ("办事处" if place.endswith("街道") else "人民政府")
    return name_in_title


def parse_metadata(
    text: str, source: str | None = None, published: str | None = None, signer: str | None = None
) -> Metadata:
    """Return the metadata of cleaned report text; source, published and signer come from furniture."""
    lines = _lines(text)
    title, title_index = find_title(lines)
    published = find_published(lines, published)
    body = "\n".join(lines[title_index + 1:])
    year, warnings = find_year(title, body, published)
    issuer = find_issuer(title, source, body, signer)
    simple_text = to_simplified(text)
    first_paragraph = next((line for line in _lines(simple_text)[title_index + 1:] if len(line) > 30), "")
    clues = [clue for clue in (issuer, title and to_simplified(title), source and to_simplified(source),
                               signer and to_simplified(signer), first_paragraph) if clue]
    region, region_warnings = resolve_region(clues, simple_text)
    if title is None:
        warnings.append("no title found")
    if issuer is None:
        warnings.append("issuer could not be determined")
    return Metadata(
        title=title,
        issuer=issuer,
        year=year,
        published=published,
        region=region,
        warnings=tuple(warnings + list(region_warnings)),
    )
