"""Split a cleaned report into canonical top-level sections and their （一）-style subsections.

Real reports number their headings inconsistently, break them across lines, repeat them in a table
of contents, and print table rows that look exactly like headings. So every line that could be a
top-level heading becomes a candidate with a canonical key and a score, and the chosen headings
are the highest-scoring subsequence whose keys follow the national template's order (each key at
most once). Candidates not chosen stay in the text as subsections: nothing is ever dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from indexer.models import Section, Subsection
from indexer.script import to_simplified

# Canonical keys in template order (2008 and 2019 formats agree on this order).
SECTION_LABELS = {
    "overview": "总体情况",
    "proactive": "主动公开政府信息情况",
    "applications": "收到和处理政府信息公开申请情况",
    "fees": "收费及减免情况",
    "complaints": "咨询、投诉情况",
    "review_litigation": "行政复议、行政诉讼情况",
    "problems": "存在的主要问题及改进情况",
    "other": "其他需要报告的事项",
}
SECTION_ORDER = {key: position for position, key in enumerate(SECTION_LABELS)}

# Headings exactly as the 2008/2019/2021 templates word them (compared on CJK characters only).
_TEMPLATE_HEADINGS = {
    "overview": ["总体情况", "概述", "概况"],
    "proactive": ["主动公开政府信息情况", "主动公开政府信息的情况", "主动公开情况"],
    "applications": [
        "收到和处理政府信息公开申请情况",
        "收到和处理政府信息公开的申请情况",
        "依申请公开政府信息情况",
        "政府信息依申请公开工作情况",
        "政府信息依申请公开情况",
        "依申请公开情况",
    ],
    "fees": ["政府信息公开的收费及减免情况", "收费及减免情况", "政府信息公开收费及减免情况"],
    "complaints": ["受理关于政府信息公开咨询投诉情况及处理结果", "咨询投诉情况"],
    "review_litigation": [
        "政府信息公开行政复议行政诉讼情况",
        "因政府信息公开申请提起行政复议行政诉讼的情况",
        "因政府信息公开申请行政复议提起行政诉讼的情况",
        "行政复议行政诉讼情况",
    ],
    "problems": [
        "存在的主要问题及改进情况",
        "政府信息公开工作存在的主要问题及改进情况",
        "存在的主要问题改进情况",
        "存在问题及改进措施",
        "存在的主要问题及改进措施",
        "主要问题和改进措施",
    ],
    "other": ["其他需要报告的事项"],
}
_TEMPLATE_LOOKUP = {heading: key for key, headings in _TEMPLATE_HEADINGS.items() for heading in headings}

# Broader wording, checked in this order (first match wins).
_STRONG_PATTERNS = [
    ("other", re.compile(r"其他需要报告|其他事项")),
    ("review_litigation", re.compile(r"行政复议|行政诉讼")),
    ("problems", re.compile(r"问题.*(改进|措施|整改|不足)|存在.*问题|不足.*(改进|措施)")),
    ("fees", re.compile(r"收费|减免")),
    ("complaints", re.compile(r"咨询.*投诉|投诉|举报")),
    ("applications", re.compile(r"依申请|收到和处理.*申请|公开申请|申请公开")),
    ("proactive", re.compile(r"主动公开")),
    ("overview", re.compile(r"总体情况|概述|概况|^(政府)?信息公开(工作)?(开展)?情况$|^政务公开工作情况$")),
]
_WEAK_PATTERNS = [
    ("proactive", re.compile(r"重点领域.*公开|公开.*重点领域")),
    ("other", re.compile(r"统计表|附表|附件")),
]

SCORE_TEMPLATE = 4.0
SCORE_STRONG = 3.0
SCORE_WEAK = 2.0
UNNUMBERED_PENALTY = 1.0
CONTENT_BONUS = 0.5  # prefer the occurrence with text under it over a table-of-contents entry

_NUMERAL = "一二三四五六七八九十"
_TOP_MARKER = re.compile(rf"^(?:第[{_NUMERAL}]+部分|[{_NUMERAL}]{{1,3}})\s*[、.．，,]\s*")
_SUB_MARKER = re.compile(rf"^[（(]\s*[{_NUMERAL}]{{1,3}}\s*[）)]\s*")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s*")
# Row labels of the applications table (table 3) that look like numbered headings.
_TABLE_ROW = re.compile(r"本年新收|上年结转|本年度办理结果|结转下年度|申请人情况|本列数据")
# Its （一）…（七） outcome rows, which look like subsection headings.
_TABLE_SUBROW = re.compile(
    r"^(予以公开|部分公开.*|不予公开|无法提供|不予处理|其他处理|其他|总计)[\s|]*$"
)
_TABLE_CAPTION = re.compile(rf"^(附?表[{_NUMERAL}\d]+|附表)")
_SENTENCE_END = re.compile(r"[。；;：:！？!?]")
_NON_CJK = re.compile(r"[^\u3400-\u9fff]")
_MAX_HEADING = 40


@dataclass
class _Candidate:
    start: int  # first line index
    end: int  # one past the last line index
    heading: str  # as written (markdown marks stripped), lines joined
    rest: str  # text after the heading on its last line (a heading with an inline sentence)
    key: str
    score: float
    number: str | None


def strip_line(line: str) -> str:
    """Return the line without surrounding whitespace and Markdown heading marks."""
    return _MARKDOWN_HEADING.sub("", line.strip()).strip()


def classify_heading(title: str) -> tuple[str | None, float]:
    """Return the canonical key of a heading's wording (numbering removed) and how sure we are."""
    core = _NON_CJK.sub("", to_simplified(title))
    if not core or "年度报告" in core or "年报" in core:
        return None, 0.0
    if core in _TEMPLATE_LOOKUP:
        return _TEMPLATE_LOOKUP[core], SCORE_TEMPLATE
    for prefix in ("政府信息公开工作", "政府信息公开", "信息公开"):
        if core.startswith(prefix) and core[len(prefix):] in _TEMPLATE_LOOKUP:
            return _TEMPLATE_LOOKUP[core[len(prefix):]], SCORE_TEMPLATE
    for key, pattern in _STRONG_PATTERNS:
        if pattern.search(core):
            return key, SCORE_STRONG
    for key, pattern in _WEAK_PATTERNS:
        if pattern.search(core):
            return key, SCORE_WEAK
    return None, 0.0


def _split_heading(line: str, limit: int = _MAX_HEADING) -> tuple[str, str] | None:
    """Split "heading。sentence…" into (heading, rest); None if the line is too long for a heading."""
    if len(line) <= limit and not _SENTENCE_END.search(line[:-1]):
        return line, ""
    match = _SENTENCE_END.search(line)
    if match and match.end() <= limit:
        return line[: match.end()], line[match.end():].strip()
    if len(line) <= limit:
        return line, ""
    return None


def _looks_like_table_row(line: str) -> bool:
    return line.endswith("|") or line.startswith("|") or "\t" in line


def _top_candidate(lines: list[str], simplified: list[str], index: int) -> _Candidate | None:
    """Return a top-level heading candidate starting at line index, if the line can be one."""
    line = strip_line(lines[index])
    simple = strip_line(simplified[index])
    if not line or _looks_like_table_row(line) or _TABLE_CAPTION.match(simple):
        return None
    end = index + 1
    marker = _TOP_MARKER.match(simple)
    if marker:
        body = simple[marker.end():]
        # A marker alone on its line ("一、" then "概述" below it), or a heading broken across
        # lines ("…存在的主要问题及改进" then "情况"): join the short continuation.
        following = _next_nonblank(lines, end)
        if following is not None:
            continuation = strip_line(simplified[following])
            if continuation and len(continuation) <= 30 and not _TOP_MARKER.match(continuation) \
                    and not _SUB_MARKER.match(continuation) and not _looks_like_table_row(continuation):
                joined = body + continuation
                needs_join = not body or (
                    len(continuation) <= 6
                    and classify_heading(joined)[1] > classify_heading(body)[1]
                )
                if needs_join:
                    line = line + strip_line(lines[following])
                    simple = simple + continuation
                    body = joined
                    end = following + 1
        if _TABLE_ROW.search(body):
            return None
        split = _split_heading(line)
        if split is None:
            return None
        heading, rest = split
        key, score = classify_heading(to_simplified(heading)[marker.end():])
        if key is None:
            return None  # a numbered heading of no known kind stays in the text as a subsection
        return _Candidate(index, end, heading, rest, key, score, marker.group(0).strip())
    # A heading without its number must read like a template heading, on a short line of its own.
    if len(simple) > _MAX_HEADING or _SENTENCE_END.search(simple[-1:]) or _SUB_MARKER.match(simple):
        return None
    key, score = classify_heading(simple)
    if key is None or score < SCORE_TEMPLATE:
        return None
    return _Candidate(index, end, line, "", key, score - UNNUMBERED_PENALTY, None)


def _next_nonblank(lines: list[str], start: int) -> int | None:
    for index in range(start, min(start + 3, len(lines))):
        if lines[index].strip():
            return index
    return None


def _choose(candidates: list[_Candidate], lines: list[str]) -> list[_Candidate]:
    """Return the best-scoring candidates whose keys follow template order, each key once."""
    scores = []
    for position, candidate in enumerate(candidates):
        next_start = candidates[position + 1].start if position + 1 < len(candidates) else len(lines)
        has_content = bool(candidate.rest) or any(
            lines[index].strip() for index in range(candidate.end, next_start)
        )
        scores.append(candidate.score + (CONTENT_BONUS if has_content else 0.0))
    best = [0.0] * len(candidates)
    previous: list[int | None] = [None] * len(candidates)
    for i, candidate in enumerate(candidates):
        best[i] = scores[i]
        for j in range(i):
            if candidates[j].end <= candidate.start and \
                    SECTION_ORDER[candidates[j].key] < SECTION_ORDER[candidate.key] and \
                    best[j] + scores[i] > best[i]:
                best[i] = best[j] + scores[i]
                previous[i] = j
    if not candidates:
        return []
    # Ties go to the later path end, then to the earlier start (the body, not a contents list).
    last = max(range(len(candidates)), key=lambda i: (best[i], i))
    chosen = []
    cursor: int | None = last
    while cursor is not None:
        chosen.append(candidates[cursor])
        cursor = previous[cursor]
    return list(reversed(chosen))


_NUMERAL_VALUES = {numeral: value for value, numeral in enumerate(_NUMERAL, start=1)}


def _numeral_value(marker: str) -> int:
    """Return the value of the Chinese numeral in a marker such as （十二）."""
    digits = [_NUMERAL_VALUES[char] for char in marker if char in _NUMERAL_VALUES]
    if len(digits) == 1:
        return digits[0]
    if len(digits) == 2:
        return digits[0] * 10 if digits[1] == 10 else 10 + digits[1]
    return digits[0] * 10 + digits[2] if digits else 0


def _subsection_heading(line: str, simple: str, expected: int) -> tuple[str, str, int] | None:
    """Return (heading, rest, number) when a line opens a subsection.

    （一）-style subsections must count up from （一） within a section: a stray （三） is a broken
    table row, not a heading. Demoted numbered headings (二、…) keep their own numbering.
    """
    marker = _SUB_MARKER.match(simple)
    number = 0
    if marker:
        number = _numeral_value(marker.group(0))
        if number != expected:
            return None
    else:
        marker = _TOP_MARKER.match(simple)
    if not marker or _looks_like_table_row(line):
        return None
    if _TABLE_ROW.search(simple) or _TABLE_SUBROW.match(simple[marker.end():]):
        return None
    split = _split_heading(line)
    return None if split is None else (split[0], split[1], number)


def _build_section(key: str, heading: str, body: list[tuple[str, str]]) -> Section:
    """Group a section's lines (original, simplified) into its text and subsections."""
    section = Section(key=key, label=SECTION_LABELS[key], heading=heading, text="")
    text_lines: list[str] = []
    current: Subsection | None = None
    current_lines: list[str] = []
    expected = 1
    for line, simple in body:
        stripped, simple_stripped = strip_line(line), strip_line(simple)
        if not stripped:
            continue
        split = _subsection_heading(stripped, simple_stripped, expected)
        if split is not None:
            if split[2]:
                expected = split[2] + 1
            if current is not None:
                current.text = "\n".join(current_lines)
                section.subsections.append(current)
            current = Subsection(heading=split[0], text="")
            current_lines = [split[1]] if split[1] else []
        elif current is None:
            text_lines.append(stripped)
        else:
            current_lines.append(stripped)
    if current is not None:
        current.text = "\n".join(current_lines)
        section.subsections.append(current)
    section.text = "\n".join(text_lines)
    return section


@dataclass
class SplitResult:
    preamble: str
    sections: list[Section]
    warnings: list[str]


def split_report(text: str) -> SplitResult:
    """Split cleaned report text into a preamble and canonical sections, with warnings."""
    lines = text.split("\n")
    simplified = to_simplified(text).split("\n")
    candidates: list[_Candidate] = []
    index = 0
    while index < len(lines):
        candidate = _top_candidate(lines, simplified, index)
        if candidate is not None:
            candidates.append(candidate)
            index = candidate.end
        else:
            index += 1
    chosen = _choose(candidates, lines)
    if not chosen:
        body = "\n".join(strip_line(line) for line in lines if line.strip())
        section = Section(key="other", label=SECTION_LABELS["other"], heading="", text=body)
        return SplitResult("", [section], ["no recognisable section headings: the whole report is one section"])
    preamble = "\n".join(strip_line(line) for line in lines[: chosen[0].start] if line.strip())
    sections = []
    for position, candidate in enumerate(chosen):
        stop = chosen[position + 1].start if position + 1 < len(chosen) else len(lines)
        body = list(zip(lines[candidate.end:stop], simplified[candidate.end:stop]))
        if candidate.rest:
            body.insert(0, (candidate.rest, to_simplified(candidate.rest)))
        sections.append(_build_section(candidate.key, candidate.heading, body))
    warnings = [
        f"section '{section.key}' ({section.heading}) is empty"
        for section in sections
        if not section.text and not section.subsections
    ]
    return SplitResult(preamble, sections, warnings)


def split_sections(text: str) -> list[Section]:
    """Return the canonical top-level sections of cleaned report text."""
    return split_report(text).sections
