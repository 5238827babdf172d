"""The public web front end: search page, report pages, about page and the JSON API.

Every page state is a GET URL. Views turn request arguments into a `SearchRequest`, call
`app.search`, and hand templates values already worked out (facet values with their toggle URLs,
highlighted paragraphs as Markup built from escaped text), so templates only loop and print.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, send_file, url_for
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app import compare as cmp
from app.query import MAX_QUERY_LENGTH, QueryError, parse_query, parse_year_range
from app.search import (
    CONSISTENCY_LABELS,
    DEFAULT_TIME_LIMIT,
    KEY_FIGURES,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    ORIGINAL_SHARE,
    SORTS,
    ReportView,
    SearchPage,
    SearchRequest,
    _needle_pattern,
    corpus_stats,
    get_report,
    other_years,
    report_stats,
    search,
)
from app.similar import (
    MAX_SIMILAR_LIMIT,
    SIMILAR_LIMIT,
    SimilarError,
    passage_anchor,
    report_marks,
    section_originality,
    similar_to_report,
)
from indexer.fingerprints import THRESHOLD as fingerprint_threshold
from indexer.fingerprints import paragraphs
from indexer.script import to_simplified, to_traditional
from indexer.sections import SECTION_LABELS
from indexer.schema import REGION_LEVELS
from indexer.tables import table3_rows

bp = Blueprint("web", __name__)

DEFAULT_PAGE_SIZE = 10
MAX_FILTER_VALUES = 20  # repeated values of one parameter
MAX_REGION_LENGTH = 50
FACET_SHOWN = 10  # facet values listed before the rest fold under 更多
REGION_LEVEL_TITLES = {"province": "省份", "city": "市州", "county": "县区", "town": "乡镇街道"}
_SECTION_BY_LABEL = {label: key for key, label in SECTION_LABELS.items()}

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

ERROR_TITLES = {400: "请求有误", 404: "页面不存在", 405: "不支持的请求方式", 413: "上传内容太大", 500: "服务器出错了"}
ERROR_MESSAGES = {
    400: "请求的参数有误。",
    404: "找不到这个页面。链接可能有误，或这份报告已从索引中移除。",
    405: "这个地址不支持这种请求方式。",
    413: "上传的内容超过了大小限制。",
    500: "处理请求时出了问题，请稍后再试。问题已记录。",
}


# --- Search state ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchState:
    """The search page's state as it appears in the URL (validated)."""

    q: str = ""
    regions: tuple[str, ...] = ()
    years: tuple[str, ...] = ()  # as written in the URL: "2019" or "2019-2021"
    sections: tuple[str, ...] = ()
    consistency: tuple[str, ...] = ()  # "failed", "ok", "none"
    original: bool = False  # 只看原创表述
    sort: str = "relevance"
    group: bool = False
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def to_request(self, time_limit: float = DEFAULT_TIME_LIMIT) -> SearchRequest:
        return SearchRequest(
            query=self.q,
            regions=self.regions,
            years=tuple(parse_year_range(value) for value in self.years),
            sections=self.sections,
            consistency=self.consistency,
            original_only=self.original,
            group_by_report=self.group,
            sort=self.sort,
            page=self.page,
            page_size=self.size,
            time_limit=time_limit,
        )

    def query_pairs(self) -> list[tuple[str, str]]:
        pairs = [("q", self.q)] if self.q else []
        pairs += [("region", value) for value in self.regions]
        pairs += [("year", value) for value in self.years]
        pairs += [("section", value) for value in self.sections]
        pairs += [("consistency", value) for value in self.consistency]
        if self.original:
            pairs.append(("original", "1"))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.group:
            pairs.append(("group", "report"))
        if self.size != DEFAULT_PAGE_SIZE:
            pairs.append(("size", str(self.size)))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def url(self, **changes) -> str:
        """Return the search page URL of this state with some fields changed."""
        state = replace(self, **changes)
        pairs = state.query_pairs()
        base = url_for("web.search_page")
        return f"{base}?{urlencode(pairs)}" if pairs else base

    def toggle(self, name: str, value: str) -> str:
        """Return the URL that adds a filter value, or removes it when selected (back to page 1)."""
        values = getattr(self, name)
        if value in values:
            values = tuple(item for item in values if item != value)
        else:
            values = (*values, value)
        return self.url(**{name: values, "page": 1})


def _int_arg(args, name: str, default: int, low: int, high: int, what: str) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        raise QueryError(f"{what}应为 {low} 到 {high} 之间的整数，而不是“{raw}”。")
    number = int(raw)
    if not low <= number <= high:
        raise QueryError(f"{what}应在 {low} 到 {high} 之间，现在是 {number}。")
    return number


def _list_arg(args, name: str, what: str) -> list[str]:
    values = [value.strip() for value in args.getlist(name)]
    values = list(dict.fromkeys(value for value in values if value))
    if len(values) > MAX_FILTER_VALUES:
        raise QueryError(f"{what}最多选 {MAX_FILTER_VALUES} 个。")
    return values


def state_from_args(args) -> SearchState:
    """Return the validated search state of GET arguments; raise QueryError with a sentence."""
    query = (args.get("q") or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"查询太长：最多 {MAX_QUERY_LENGTH} 个字符，现在有 {len(query)} 个。")
    regions = _list_arg(args, "region", "地区")
    for region in regions:
        if len(region) > MAX_REGION_LENGTH:
            raise QueryError(f"地区名称太长：最多 {MAX_REGION_LENGTH} 个字符。")
    years = _list_arg(args, "year", "年份")
    for year in years:
        parse_year_range(year)
    sections = []
    for value in _list_arg(args, "section", "章节"):
        key = value if value in SECTION_LABELS else _SECTION_BY_LABEL.get(value)
        if key is None:
            raise QueryError(f"没有“{value}”这个章节。可选：{'、'.join(SECTION_LABELS)}。")
        if key not in sections:
            sections.append(key)
    consistency = _list_arg(args, "consistency", "数据一致性")
    for value in consistency:
        if value not in CONSISTENCY_LABELS:
            raise QueryError(f"consistency 参数只能是 failed（数据不一致）、ok（数据一致）或 none（无统计表），"
                             f"而不是“{value[:40]}”。")
    original = (args.get("original") or "").strip()
    if original not in ("", "0", "1"):
        raise QueryError("original 参数只能是 1（只看原创表述），或者不写。")
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        raise QueryError("排序方式只能是 relevance（相关度）、year（年份）或 original（原创度）。")
    group = (args.get("group") or "").strip()
    if group not in ("", "report"):
        raise QueryError("group 参数只能是 report（按报告合并），或者不写。")
    page = _int_arg(args, "page", 1, 1, MAX_PAGE, "页码")
    size = _int_arg(args, "size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE, "每页条数")
    return SearchState(q=query, regions=tuple(regions), years=tuple(years), sections=tuple(sections),
                       consistency=tuple(consistency), original=original == "1", sort=sort, group=group == "report",
                       page=page, size=size)


def request_from_args(args, time_limit: float = DEFAULT_TIME_LIMIT) -> SearchRequest:
    """Return the SearchRequest of GET arguments (q, region, year, section, sort, group, page, size)."""
    return state_from_args(args).to_request(time_limit)


# --- Facets, chips, pagination -------------------------------------------------------------------

@dataclass
class FacetChoice:
    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str


@dataclass
class FacetGroup:
    name: str
    title: str
    shown: list[FacetChoice] = field(default_factory=list)
    more: list[FacetChoice] = field(default_factory=list)


@dataclass
class Chip:
    label: str
    remove_url: str


def _facet_group(state: SearchState, page: SearchPage, name: str, title: str, selected_field: str,
                 selected: tuple[str, ...], values=None) -> FacetGroup | None:
    choices = []
    listed = set()
    for facet_value in page.facets.get(name, []) if values is None else values:
        value = str(facet_value.value)
        listed.add(value)
        choices.append(FacetChoice(value, facet_value.label or value, facet_value.count, value in selected,
                                   state.toggle(selected_field, value)))
    # A selected value the other filters leave empty still shows, so it can be removed here too.
    missing = [value for value in selected if value not in listed and _belongs(name, value)]
    for value in missing:
        label = SECTION_LABELS.get(value, value) if name == "section" else CONSISTENCY_LABELS.get(value, value)
        choices.insert(0, FacetChoice(value, label, 0, True, state.toggle(selected_field, value)))
    if not choices:
        return None
    # Selected values first, so they never fold away under 更多.
    choices.sort(key=lambda choice: not choice.selected)
    return FacetGroup(name, title, choices[:FACET_SHOWN], choices[FACET_SHOWN:])


def _belongs(name: str, value: str) -> bool:
    """Tell whether a selected value is one of this facet's own (a region's level is unknown here)."""
    if name == "year":
        return bool(re.fullmatch(r"\d{4}", value))
    if name == "consistency":
        return value in CONSISTENCY_LABELS
    return name == "section"


def facet_groups(state: SearchState, page: SearchPage) -> tuple[list[FacetGroup], list[FacetGroup]]:
    """Return (region groups drilled down province → town, other groups: year and section)."""
    deepest = -1
    for depth, level in enumerate(REGION_LEVELS):
        names = {str(value.value) for value in page.facets.get(level, [])}
        if names & set(state.regions):
            deepest = depth
    regions = []
    for depth, level in enumerate(REGION_LEVELS[:deepest + 2]):
        group = _facet_group(state, page, level, REGION_LEVEL_TITLES[level], "regions", state.regions)
        if group:
            regions.append(group)
    others = [group for group in (
        _facet_group(state, page, "year", "年份", "years", state.years),
        _facet_group(state, page, "section", "章节", "sections", state.sections),
        _facet_group(state, page, "consistency", "数据一致性（报告数）", "consistency", state.consistency,
                     values=page.consistency),
    ) if group]
    return regions, others


def chips(state: SearchState) -> list[Chip]:
    """Return the selected filters, each with the URL that removes it."""
    result = [Chip(f"地区：{value}", state.toggle("regions", value)) for value in state.regions]
    result += [Chip(f"年份：{value.replace('-', '–')}", state.toggle("years", value)) for value in state.years]
    result += [Chip(f"章节：{SECTION_LABELS.get(value, value)}", state.toggle("sections", value))
               for value in state.sections]
    result += [Chip(CONSISTENCY_LABELS.get(value, value), state.toggle("consistency", value))
               for value in state.consistency]
    if state.original:
        result.append(Chip("只看原创表述", state.url(original=False, page=1)))
    return result


@dataclass
class PageLink:
    number: int | None  # None is a gap (…)
    url: str = ""
    current: bool = False


def pagination(state: SearchState, page: SearchPage) -> dict | None:
    """Return previous/next URLs and a window of page links, or None for a single page."""
    last = min(page.pages, MAX_PAGE)
    if last <= 1:
        return None
    numbers = sorted({1, last, *range(max(1, state.page - 2), min(last, state.page + 2) + 1)})
    links: list[PageLink] = []
    for number in numbers:
        if links and number - links[-1].number > 1:
            links.append(PageLink(None))
        links.append(PageLink(number, state.url(page=number), number == state.page))
    return {
        "previous": state.url(page=state.page - 1) if state.page > 1 else None,
        "next": state.url(page=state.page + 1) if state.page < last else None,
        "links": links,
    }


def display_title(title: str, issuer: str, year: int | None) -> str:
    """Return a report's title, or one made of its issuer and year when the report has none."""
    if title:
        return title
    if issuer:
        return f"{issuer}{year}年政府信息公开工作年度报告" if year else f"{issuer}政府信息公开工作年度报告"
    return "（无标题）"


def region_path(region: dict) -> list[str]:
    return [region.get(level) for level in REGION_LEVELS if region.get(level)]


def report_url(report_id: str, query: str = "", position: int | None = None, key: str | None = None) -> str:
    url = url_for("web.report_page", report_id=report_id, **({"q": query} if query else {}))
    if position is not None:
        url += f"#sec-{position}"
    elif key:
        url += f"#s-{key}"
    return url


# --- Highlighting in report text -----------------------------------------------------------------

def highlight(text: str, pattern: re.Pattern | None) -> tuple[Markup, int]:
    """Return text escaped with query matches in <mark>, and how many were marked.

    Matches are found in the simplified form and marked at the same offsets of the text shown.
    """
    if not text or pattern is None:
        return escape(text or ""), 0
    simple = to_simplified(text)
    out = []
    cursor = 0
    count = 0
    for match in pattern.finditer(simple):
        start, end = match.span()
        if end <= start or start < cursor:
            continue
        out.append(escape(text[cursor:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        cursor = end
        count += 1
    out.append(escape(text[cursor:]))
    return Markup("").join(out), count


class _Marker:
    """Highlights text with one pattern and counts the marks made."""

    def __init__(self, pattern: re.Pattern | None, convert):
        self.pattern = pattern
        self.convert = convert
        self.count = 0

    def line(self, text: str) -> Markup:
        marked, count = highlight(self.convert(text or ""), self.pattern)
        self.count += count
        return marked

    def paragraphs(self, text: str) -> list[Markup]:
        return [self.line(line) for line in paragraphs(text)]

    def anchored(self, text: str, position: int, part: int, marks: dict) -> list[dict]:
        """Return a section part's paragraphs with their ids and copied-wording marks (app.similar)."""
        result = []
        for line, paragraph in enumerate(paragraphs(text)):
            anchor = passage_anchor(position, part, line)
            result.append({"html": self.line(paragraph), "anchor": anchor, "mark": marks.get(anchor)})
        return result


def _query_pattern(query: str) -> re.Pattern | None:
    if not query:
        return None
    try:
        return _needle_pattern(parse_query(query))
    except QueryError:
        return None  # a query too long to search is simply not highlighted


def _identity(text: str) -> str:
    return text


# --- Views ---------------------------------------------------------------------------------------

def _index():
    return current_app.extensions["gongkai"]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def json_response(data, status: int = 200) -> Response:
    """Return UTF-8 JSON (Chinese written as is, not as \\u escapes)."""
    body = json.dumps(data, ensure_ascii=False)
    return Response(body, status=status, mimetype="application/json", content_type="application/json; charset=utf-8")


def error_page(status: int, message: str | None = None) -> Response:
    """Return the friendly error page (or a JSON error under /api/) for a status."""
    message = message or ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])
    if _wants_json():
        return json_response({"error": message}, status)
    try:
        body = render_template("error.html", status=status, title=ERROR_TITLES.get(status, "出错了"),
                               message=message)
    except Exception:  # the error page itself failed: still no traceback
        current_app.logger.exception("error page failed")
        body = f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{escape(message)}</p>"
    return Response(body, status=status, mimetype="text/html")


@bp.route("/")
def search_page():
    try:
        state = state_from_args(request.args)
        result = search(_index(), state.to_request(current_app.config["SEARCH_TIME_LIMIT"]))
    except QueryError as error:
        return error_page(400, str(error))
    region_groups, other_groups = facet_groups(state, result)
    # Suggestions when nothing matched: each filter removed on its own, then all of them.
    chip_list = chips(state)
    suggestions = chip_list if not result.total else []
    hits = [
        {
            "hit": hit,
            "url": report_url(hit.report_id, state.q, position=hit.position),
            "report_url": report_url(hit.report_id, state.q),
            "title": display_title(hit.title, hit.issuer, hit.year),
            "region": region_path(hit.region),
        }
        for hit in result.hits
    ]
    return render_template(
        "search.html",
        state=state,
        result=result,
        hits=hits,
        region_groups=region_groups,
        other_groups=other_groups,
        chips=chip_list,
        suggestions=suggestions,
        clear_url=state.url(regions=(), years=(), sections=(), consistency=(), original=False, page=1),
        pagination=pagination(state, result),
        sort_links={
            "relevance": state.url(sort="relevance", page=1),
            "year": state.url(sort="year", page=1),
            "original": state.url(sort="original", page=1),
        },
        original_url=state.url(original=not state.original, page=1),
        original_share=ORIGINAL_SHARE,
        group_url=state.url(group=not state.group, page=1),
        first_page_url=state.url(page=1),
        export_urls=_export_urls(state),
        export_cap=cmp.EXPORT_MAX_ROWS,
        compare_section=_compare_section(state, result),
        section_labels=SECTION_LABELS,
        compare_max=cmp.MAX_REPORTS,
    )


def _export_urls(state: SearchState) -> dict[str, str]:
    pairs = [pair for pair in replace(state, page=1, size=DEFAULT_PAGE_SIZE).query_pairs()]
    query = f"?{urlencode(pairs)}" if pairs else ""
    return {"csv": url_for("web.export_csv") + query, "jsonl": url_for("web.export_jsonl") + query}


def _compare_section(state: SearchState, result: SearchPage) -> str:
    """The section a comparison from the search page starts with: the selected one, else the hits' commonest."""
    if state.sections:
        return state.sections[0]
    keys = [hit.section.get("key") for hit in result.hits if hit.section.get("key") in SECTION_LABELS]
    return max(keys, key=keys.count) if keys else "overview"


@bp.route("/api/search")
def api_search():
    try:
        search_request = request_from_args(request.args, current_app.config["SEARCH_TIME_LIMIT"])
        result = search(_index(), search_request)
    except QueryError as error:
        return json_response({"error": str(error)}, 400)
    return json_response(result.to_dict())


def _report_or_404(report_id: str) -> ReportView:
    report = get_report(_index(), report_id)
    if report is None:
        abort(404)
    return report


@bp.route("/reports/<report_id>")
def report_page(report_id: str):
    report = _report_or_404(report_id)
    own = "t" if report.script == "traditional" else "s"
    script = (request.args.get("script") or own).strip()
    if script not in ("s", "t"):
        return error_page(400, "script 参数只能是 s（简体）或 t（繁体）。")
    if script == own:
        convert = _identity
    else:
        convert = to_simplified if script == "s" else to_traditional
    query = (request.args.get("q") or "").strip()
    marker = _Marker(_query_pattern(query), convert)

    index = _index()
    others = other_years(index, report)  # one pass over the issuer's reports for every section
    marks = _copied_marks(index, report)
    originality = section_originality(index, report.report_id)
    links_by_key = {key: [link for link in others if key in link.sections]
                    for key in dict.fromkeys(section.key for section in report.sections)}
    years_by_key: dict[str, list] = {}
    sections = []
    seen_keys = set()
    for position, section in enumerate(report.sections):
        if section.key not in years_by_key:
            years_by_key[section.key] = [
                {"year": link.year, "title": link.title,
                 "url": report_url(link.report_id, query, key=section.key)}
                for link in links_by_key[section.key]
            ]
        sections.append({
            "position": position,
            "key": section.key,
            "label": section.label or SECTION_LABELS.get(section.key, ""),
            "key_anchor": f"s-{section.key}" if section.key not in seen_keys else None,
            "heading": marker.line(section.heading or section.label),
            "toc_heading": convert(section.heading or section.label),
            "paragraphs": marker.anchored(section.text, position, 0, marks),
            "subsections": [
                {"heading": marker.line(sub.get("heading", "")),
                 "paragraphs": marker.anchored(sub.get("text", ""), position, part, marks)}
                for part, sub in enumerate(section.subsections, start=1)
            ],
            "originality": originality.get(position),
            "similar_url": url_for("web.similar_page", report_id=report.report_id, section=section.key),
            "other_years": years_by_key[section.key],
        })
        seen_keys.add(section.key)
    compare_years, compare_towns = _compare_links(report, links_by_key)
    for section in sections:
        section["compare_years_url"] = compare_years.get(section["key"])
        section["compare_towns_url"] = compare_towns.get(section["key"])
    all_years = [
        {"year": link.year, "title": link.title, "url": report_url(link.report_id, query)}
        for link in others
    ]
    script_args = {"q": query} if query else {}
    return render_template(
        "report.html",
        report=report,
        title=_report_title(report, script, convert),
        preamble=marker.paragraphs(report.preamble),
        sections=sections,
        region=region_path(report.region),
        source_name=Path(report.source).name,
        source_url=url_for("web.report_source", report_id=report.report_id),
        script=script,
        own_script=own,
        script_urls={
            "s": url_for("web.report_page", report_id=report.report_id, script="s", **script_args),
            "t": url_for("web.report_page", report_id=report.report_id, script="t", **script_args),
        },
        query=query,
        marks=marker.count,
        unmarked_url=url_for("web.report_page", report_id=report.report_id,
                             **({"script": script} if script != own else {})),
        search_url=SearchState(q=query).url() if query else None,
        tables=tables_view(report.tables),
        all_years=all_years,
        warnings=[warning_in_chinese(warning) for warning in report.warnings],
    )


def _copied_marks(index, report: ReportView) -> dict[str, dict]:
    """Return the report page's "此段另见于 N 份报告" marks by paragraph anchor, with their links."""
    marks = {}
    for anchor, mark in report_marks(index, report.report_id).items():
        position = int(anchor[1:].split("-", 1)[0])
        key = report.sections[position].key if position < len(report.sections) else "other"
        links = [{**link, "url": report_url(link["report_id"]) + "#" + link["anchor"],
                  "compare_url": compare_url(key, [report.report_id, link["report_id"]])}
                 for link in mark.links]
        marks[anchor] = {"reports": mark.reports, "links": links}
    return marks


def _compare_links(report: ReportView, links_by_key: dict[str, list]) -> tuple[dict[str, str], dict[str, str]]:
    """Return per section key the compare URLs: other years of this issuer, other towns of this county."""
    index = _index()
    by_years: dict[str, str] = {}
    for key, links in links_by_key.items():
        links = list(links)
        # The nearest years first, so a long series still fits into one comparison.
        links.sort(key=lambda link: (abs((link.year or 0) - (report.year or 0)), link.year or 0))
        chosen = [(link.year, link.report_id) for link in links[:cmp.MAX_REPORTS - 1]]
        if chosen:
            chosen.append((report.year, report.report_id))
            chosen.sort(key=lambda pair: (pair[0] or 0, pair[1]))  # columns in year order
            by_years[key] = compare_url(key, [report_id for _, report_id in chosen])
    by_towns: dict[str, str] = {}
    county = report.region.get("county")
    if report.region.get("town") and county:
        years = ((report.year, report.year),) if report.year else ()
        try:
            result = search(index, SearchRequest(regions=(county,), years=years, page_size=MAX_PAGE_SIZE,
                                                 with_facets=False, with_snippets=False, with_originality=False))
        except QueryError:
            result = None
        towns: dict[str, list[str]] = {}
        for hit in result.hits if result else []:
            same_county = all(hit.region.get(level) == report.region.get(level)
                              for level in ("province", "city", "county"))
            if not same_county or not hit.region.get("town") or hit.report_id == report.report_id:
                continue
            ids = towns.setdefault(hit.section["key"], [])
            if hit.report_id not in ids:
                ids.append(hit.report_id)
        for key in links_by_key:
            ids = towns.get(key, [])[:cmp.MAX_REPORTS - 1]
            if ids:
                by_towns[key] = compare_url(key, [report.report_id] + ids)
    return by_years, by_towns


# --- Statistics tables on the report page ----------------------------------------------------------

TABLE3_COLUMN_LABELS = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构",
                        "social_welfare": "社会公益组织", "legal_services": "法律服务机构", "other_org": "其他",
                        "total": "总计"}
TABLE3_ROW_LABELS = {
    "new": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "outcome.granted": "三、本年度办理结果 （一）予以公开",
    "outcome.partly_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "outcome.denied.state_secret": "（三）不予公开 1.属于国家秘密",
    "outcome.denied.prohibited_by_law": "2.其他法律行政法规禁止公开",
    "outcome.denied.security_stability": "3.危及“三安全一稳定”",
    "outcome.denied.third_party": "4.保护第三方合法权益",
    "outcome.denied.internal_affairs": "5.属于三类内部事务信息",
    "outcome.denied.process_info": "6.属于四类过程性信息",
    "outcome.denied.enforcement_file": "7.属于行政执法案卷",
    "outcome.denied.inquiry": "8.属于行政查询事项",
    "outcome.cannot_provide.not_held": "（四）无法提供 1.本机关不掌握相关政府信息",
    "outcome.cannot_provide.needs_creation": "2.没有现成信息需要另行制作",
    "outcome.cannot_provide.unclear": "3.补正后申请内容仍不明确",
    "outcome.not_processed.petition": "（五）不予处理 1.信访举报投诉类申请",
    "outcome.not_processed.duplicate": "2.重复申请",
    "outcome.not_processed.publication": "3.要求提供公开出版物",
    "outcome.not_processed.mass_repeated": "4.无正当理由大量反复申请",
    "outcome.not_processed.confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "outcome.other": "（六）其他处理",
    "outcome.other.no_correction": "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "outcome.other.unpaid_fees": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "outcome.other.other": "3.其他",
    "outcome.total": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
TABLE2_ROW_LABELS = {"rules": "规章", "normative_documents": "规范性文件", "licensing": "行政许可",
                     "other_services": "其他对外管理服务事项", "penalty": "行政处罚", "enforcement": "行政强制",
                     "fees": "行政事业性收费", "procurement": "政府集中采购"}
TABLE2_COLUMN_LABELS = {"issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
                        "new_made": "本年新制作数量", "new_published": "本年新公开数量",
                        "total_published": "对外公开总数量", "previous_items": "上一年项目数量",
                        "change": "本年增/减", "decisions": "处理决定数量", "amount": "金额（万元）",
                        "items": "采购项目数量"}
TABLE4_ROW_LABELS = {"review": "行政复议", "litigation.direct": "行政诉讼：未经复议直接起诉",
                     "litigation.after_review": "行政诉讼：复议后起诉"}
TABLE4_COLUMN_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
                        "total": "总计"}
_TABLE4_ROWS = tuple(TABLE4_ROW_LABELS)


def _cell_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _check_cells(rule: str, table3: dict) -> set[str]:
    """Return the cell names a check adds up (so a failed one can be highlighted)."""
    rows3 = table3_rows(table3)
    if rule.startswith("applications.balance."):
        column = rule.rsplit(".", 1)[1]
        return {f"applications.{row}.{column}" for row in ("new", "carried_over", "outcome.total", "carried_forward")}
    if rule.startswith("applications.outcome_sum."):
        column = rule.rsplit(".", 1)[1]
        return {f"applications.{row}.{column}" for row in rows3 if row.startswith("outcome.")}
    if rule.startswith("applications.row_total."):
        row = rule[len("applications.row_total."):]
        return {f"applications.{row}.{column}" for column in TABLE3_COLUMN_LABELS}
    for row in _TABLE4_ROWS:
        if rule == f"{row}.total":
            return {f"{row}.{column}" for column in TABLE4_COLUMN_LABELS}
    return set()


def check_in_chinese(rule: str) -> str:
    """Return what a 勾稽关系 check requires, in Chinese."""
    if rule.startswith("applications.balance."):
        column = TABLE3_COLUMN_LABELS.get(rule.rsplit(".", 1)[1], rule)
        return f"“{column}”列：本年新收 + 上年结转 应等于 办理结果总计 + 结转下年度继续办理（第一项加第二项之和，等于第三项加第四项之和）"
    if rule.startswith("applications.outcome_sum."):
        column = TABLE3_COLUMN_LABELS.get(rule.rsplit(".", 1)[1], rule)
        return f"“{column}”列：各项办理结果之和应等于（七）总计"
    if rule.startswith("applications.row_total."):
        row = TABLE3_ROW_LABELS.get(rule[len("applications.row_total."):], rule)
        return f"“{row}”行：各类申请人数量之和应等于总计"
    for row in _TABLE4_ROWS:
        if rule == f"{row}.total":
            return f"“{TABLE4_ROW_LABELS[row]}”：维持、纠正、其他结果与尚未审结之和应等于总计"
    return rule


def tables_view(tables: dict | None) -> dict | None:
    """Return the report page's statistics tables (rows of display cells) and failed checks, or None."""
    if not tables or not any(tables.get(name) for name in ("table2", "table3", "table4")):
        return None
    table2 = tables.get("table2") or {}
    table3 = tables.get("table3") or {}
    table4 = tables.get("table4") or {}
    failed = [check for check in tables.get("checks") or [] if not check.get("ok")]
    marked: set[str] = set()
    for check in failed:
        marked |= _check_cells(check["rule"], table3)

    def cell(name: str, value) -> dict:
        return {"text": _cell_text(value), "failed": name in marked, "name": name}

    rows2 = []
    for key, value in table2.items():
        parts = key.split(".")
        if len(parts) != 3:
            continue
        rows2.append({"item": TABLE2_ROW_LABELS.get(parts[1], parts[1]),
                      "column": TABLE2_COLUMN_LABELS.get(parts[2], parts[2]), "cell": cell(key, value)})
    rows3 = [{"label": TABLE3_ROW_LABELS.get(row, row),
              "cells": [cell(f"applications.{row}.{column}", table3.get(f"applications.{row}.{column}"))
                        for column in TABLE3_COLUMN_LABELS]}
             for row in table3_rows(table3)]
    rows4 = [{"label": label, "cells": [cell(f"{row}.{column}", table4.get(f"{row}.{column}"))
                                        for column in TABLE4_COLUMN_LABELS]}
             for row, label in TABLE4_ROW_LABELS.items() if any(key.startswith(row + ".") for key in table4)]
    return {
        "table2": rows2,
        "table3": rows3,
        "table4": rows4,
        "table3_columns": list(TABLE3_COLUMN_LABELS.values()),
        "table4_columns": list(TABLE4_COLUMN_LABELS.values()),
        "checks": len(tables.get("checks") or []),
        "failed": [{"rule": check["rule"], "text": check_in_chinese(check["rule"]),
                    "expected": _cell_text(check.get("expected")), "actual": _cell_text(check.get("actual")),
                    "detail": check.get("detail", "")} for check in failed],
        "warnings": [warning for warning in tables.get("warnings") or []],
    }


_WARNINGS_ZH = [
    (re.compile(r"^no title found$"), lambda m: "未找到标题。"),
    (re.compile(r"^issuer could not be determined$"), lambda m: "未能确定发布机关。"),
    (re.compile(r"^year could not be determined$"), lambda m: "未能确定报告年度。"),
    (re.compile(r"^section '(\w+)' \((.*)\) is empty$"), lambda m: f"章节“{m.group(2)}”没有正文。"),
    (re.compile(r"^section '(\w+)' not found$"),
     lambda m: f"未找到章节“{SECTION_LABELS.get(m.group(1), m.group(1))}”。"),
    (re.compile(r"^region: '(.+)' is not an official name; read as (.+)$"),
     lambda m: f"地名“{m.group(1)}”不是规范名称，按 {m.group(2)} 处理。"),
    (re.compile(r"^year not stated; assumed (\d+).*$"), lambda m: f"报告未写明年度，按发布日期的前一年 {m.group(1)} 年处理。"),
    (re.compile(r"^no recognisable section headings.*$"), lambda m: "未识别出章节标题，全文作为一个章节。"),
]


def warning_in_chinese(warning: str) -> str:
    """Return a parser warning in Chinese for the page (unknown ones as they are)."""
    for pattern, render in _WARNINGS_ZH:
        match = pattern.match(warning)
        if match:
            return render(match)
    return warning


def _report_title(report: ReportView, script: str, convert) -> str:
    if report.title:
        return convert(report.title)
    made = display_title("", report.issuer, report.year)  # built from simplified names
    return to_traditional(made) if script == "t" else made


@bp.route("/reports/<report_id>/source")
def report_source(report_id: str):
    report = _report_or_404(report_id)
    corpus = Path(current_app.config["CORPUS_DIR"]).resolve()
    # The stored source path, never the URL, names the file; it must stay inside the corpus folder.
    try:
        path = (corpus / report.source).resolve()
    except (OSError, RuntimeError, ValueError):
        abort(404)
    if not report.source or not path.is_relative_to(corpus) or not path.is_file():
        abort(404)
    response = send_file(path, as_attachment=True, download_name=path.name,
                         mimetype="text/plain" if path.suffix.lower() == ".txt" else "application/octet-stream")
    return response


@bp.route("/api/reports/<report_id>")
def api_report(report_id: str):
    report = get_report(_index(), report_id)
    if report is None:
        return json_response({"error": f"没有编号为“{report_id}”的报告。"}, 404)
    return json_response(report.to_dict())


def _similar_args() -> tuple[str | None, int]:
    """Return the section key and limit of a similar-passages request; raise SimilarError if bad."""
    section = (request.args.get("section") or "").strip() or None
    if section and section not in SECTION_LABELS:
        section = _SECTION_BY_LABEL.get(section, section)
    try:
        limit = _int_arg(request.args, "limit", SIMILAR_LIMIT, 1, MAX_SIMILAR_LIMIT, "条数")
    except QueryError as error:
        raise SimilarError(str(error)) from None
    return section, limit


@bp.route("/reports/<report_id>/similar")
def similar_page(report_id: str):
    report = _report_or_404(report_id)
    try:
        section, limit = _similar_args()
        result = similar_to_report(_index(), report_id, section, limit)
    except SimilarError as error:
        return error_page(400, str(error))
    if result is None:
        abort(404)
    keys = list(dict.fromkeys(part.key for part in report.sections))
    section_links = [{"key": None, "label": "全部章节", "url": url_for("web.similar_page", report_id=report_id),
                      "current": section is None}]
    section_links += [{"key": key, "label": SECTION_LABELS.get(key, key), "current": key == section,
                       "url": url_for("web.similar_page", report_id=report_id, section=key)} for key in keys]
    passages = [{
        "passage": passage,
        "url": report_url(passage.report_id) + "#" + passage.anchor,
        "own_url": url_for("web.report_page", report_id=report_id) + "#" + passage_anchor(
            passage.query_position, passage.query_part, passage.query_line),
        "own_section": SECTION_LABELS.get(report.sections[passage.query_position].key, ""),
        "section_label": SECTION_LABELS.get(passage.section, passage.section),
        "compare_url": compare_url(report.sections[passage.query_position].key, [report_id, passage.report_id]),
    } for passage in result.passages]
    more_url = (url_for("web.similar_page", report_id=report_id, limit=min(MAX_SIMILAR_LIMIT, limit * 4),
                        **({"section": section} if section else {}))
                if result.total > len(result.passages) and limit < MAX_SIMILAR_LIMIT else None)
    return render_template("similar.html", report=report, title=_report_title(report, "s", _identity),
                           result=result, passages=passages, section=section, section_links=section_links,
                           section_label=SECTION_LABELS.get(section, "") if section else "",
                           more_url=more_url, threshold=fingerprint_threshold,
                           api_url=url_for("web.api_similar", report_id=report_id,
                                           **({"section": section} if section else {}), limit=limit))


@bp.route("/api/reports/<report_id>/similar")
def api_similar(report_id: str):
    report = get_report(_index(), report_id)
    if report is None:
        return json_response({"error": f"没有编号为“{report_id}”的报告。"}, 404)
    try:
        section, limit = _similar_args()
        result = similar_to_report(_index(), report_id, section, limit)
    except SimilarError as error:
        return json_response({"error": str(error)}, 400)
    return json_response({"report_id": report_id, "section": section, "total": result.total,
                          "reports": result.reports, "passages": [passage.to_dict() for passage in result.passages]})


@bp.route("/about")
def about_page():
    stats = corpus_stats(_index())
    return render_template("about.html", stats=stats, section_labels=SECTION_LABELS,
                           max_query_length=MAX_QUERY_LENGTH, export_cap=cmp.EXPORT_MAX_ROWS,
                           example_url=lambda query: SearchState(q=query).url())


# --- Compare view -------------------------------------------------------------------------------

class CompareError(ValueError):
    """A compare URL that cannot be shown; the message is a Chinese sentence for the 400 page."""


@dataclass
class CompareColumn:
    report: ReportView
    title: str
    region: list[str]
    heading: str
    url: str
    has_section: bool
    units: list


def _compare_args(args) -> tuple[str, list[ReportView]]:
    """Return (section key, reports) of a compare URL; raise CompareError with a sentence."""
    raw = (args.get("section") or "").strip()
    if not raw:
        raise CompareError(f"请用 section 参数选择要对比的章节。可选：{'、'.join(SECTION_LABELS)}。")
    key = raw if raw in SECTION_LABELS else _SECTION_BY_LABEL.get(raw)
    if key is None:
        raise CompareError(f"没有“{raw}”这个章节。可选：{'、'.join(SECTION_LABELS)}。")
    ids = list(dict.fromkeys(value.strip() for value in args.getlist("r") if value.strip()))
    if len(ids) < cmp.MIN_REPORTS:
        raise CompareError(f"请至少选择 {cmp.MIN_REPORTS} 份报告进行对比（参数 r，可重复）。")
    if len(ids) > cmp.MAX_REPORTS:
        raise CompareError(f"一次最多对比 {cmp.MAX_REPORTS} 份报告，现在选了 {len(ids)} 份。")
    reports = []
    for report_id in ids:
        report = get_report(_index(), report_id)
        if report is None:
            raise CompareError(f"没有编号为“{report_id[:40]}”的报告。")
        reports.append(report)
    return key, reports


def compare_columns(key: str, reports: list[ReportView]) -> list[CompareColumn]:
    columns = []
    for report in reports:
        sections = [section for section in report.sections if section.key == key]
        units = []
        for position, section in enumerate(sections):
            if position:  # a second section under the same key starts with its heading
                units.append(cmp.Unit(section.heading, cmp.key_of(section.heading), heading=True))
            units += cmp.section_units(section.text, section.subsections)
        columns.append(CompareColumn(
            report=report,
            title=display_title(report.title, report.issuer, report.year),
            region=region_path(report.region),
            heading=sections[0].heading if sections else "",
            url=report_url(report.report_id, key=key),
            has_section=bool(sections),
            units=units,
        ))
    return columns


def _compare_query(key: str, report_ids) -> str:
    return urlencode([("section", key)] + [("r", report_id) for report_id in report_ids])


def compare_url(key: str, report_ids) -> str:
    return f"{url_for('web.compare_page')}?{_compare_query(key, report_ids)}"


def _comparison(args):
    """Return (key, reports, columns, aligned rows) of a compare request; raise CompareError."""
    key, reports = _compare_args(args)
    columns = compare_columns(key, reports)
    return key, reports, columns, cmp.compare_columns([column.units for column in columns])


@bp.route("/compare")
def compare_page():
    try:
        key, reports, columns, rows = _comparison(request.args)
    except CompareError as error:
        return error_page(400, str(error))
    query = _compare_query(key, [report.report_id for report in reports])
    return render_template(
        "compare.html",
        key=key,
        label=SECTION_LABELS[key],
        columns=columns,
        rows=rows,
        pair=len(columns) == 2,
        csv_url=f"{url_for('web.compare_csv')}?{query}",
        section_urls=[(other, label, compare_url(other, [report.report_id for report in reports]))
                      for other, label in SECTION_LABELS.items()],
    )


@bp.route("/compare.csv")
def compare_csv():
    try:
        key, _reports, columns, rows = _comparison(request.args)
    except CompareError as error:
        return error_page(400, str(error))
    header = ["row", "shared"] + [
        f"{column.report.report_id} {column.report.issuer or column.title} {column.report.year or ''}".strip()
        for column in columns]
    body = cmp.to_csv(header, (
        [number, max(row.shared or [0])] + ["\n".join(unit.text for unit in cell) for cell in row.cells]
        for number, row in enumerate(rows, start=1)))
    return _download(body, "text/csv", f"gongkai-compare-{key}.csv")


# --- Export --------------------------------------------------------------------------------------

def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype, content_type=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_rows(state: SearchState, limit: int = cmp.EXPORT_MAX_ROWS) -> list[dict]:
    """Return the rows of a search's whole result set (every page), at most `limit`."""
    request = replace(state.to_request(current_app.config["SEARCH_TIME_LIMIT"]), page=1, page_size=limit,
                      with_facets=False, with_originality=False)  # exports have no originality column
    result = search(_index(), request, max_page_size=limit)
    return [
        cmp.export_row(hit, url_for("web.report_page", report_id=hit.report_id, _external=True)
                       + f"#sec-{hit.position}")
        for hit in result.hits
    ]


@bp.route("/export.csv")
def export_csv():
    """All pages of a search (same parameters as the search page) as CSV, at most EXPORT_MAX_ROWS rows."""
    try:
        rows = export_rows(state_from_args(request.args))
    except QueryError as error:
        return error_page(400, str(error))
    body = cmp.to_csv(list(cmp.EXPORT_COLUMNS), ([row[name] for name in cmp.EXPORT_COLUMNS] for row in rows))
    return _download(body, "text/csv", "gongkai-export.csv")


@bp.route("/export.jsonl")
def export_jsonl():
    """All pages of a search as JSON Lines (one object per hit), at most EXPORT_MAX_ROWS rows."""
    try:
        rows = export_rows(state_from_args(request.args))
    except QueryError as error:
        return error_page(400, str(error))
    return _download(cmp.to_jsonl(rows), "application/x-ndjson", "gongkai-export.jsonl")


# --- Statistics page, CSV and API ----------------------------------------------------------------

STATS_ARGS = ("q", "region", "year", "section", "consistency", "original")
STATS_PAGE_ROWS = 200  # rows of the per-report table per page (CSV and API have them all)
STATS_SORTS = ("year", "issuer") + tuple(key for key, _ in KEY_FIGURES)
STATS_CSV_COLUMNS = ("report_id", "title", "issuer", "province", "city", "county", "town", "year", "consistency")


def _stats_state(args) -> tuple[SearchState, str]:
    """Return the filters (as on the search page) and the table sort of a /stats URL."""
    state = state_from_args(MultiDict([(key, value) for key, value in args.items(multi=True) if key in STATS_ARGS]))
    sort = (args.get("sort") or "applications").strip()
    if sort not in STATS_SORTS:
        raise QueryError(f"排序字段只能是：{'、'.join(STATS_SORTS)}，而不是“{sort[:40]}”。")
    return state, sort


def _stats_query(state: SearchState, **extra) -> str:
    pairs = [pair for pair in replace(state, page=1, size=DEFAULT_PAGE_SIZE, sort="relevance", group=False).query_pairs()]
    pairs += [(key, value) for key, value in extra.items() if value]
    return f"?{urlencode(pairs)}" if pairs else ""


def _stats(state: SearchState) -> dict:
    request_ = replace(state.to_request(current_app.config["SEARCH_TIME_LIMIT"]), page=1, with_facets=False)
    return report_stats(_index(), request_)


def _sorted_rows(rows: list[dict], sort: str) -> list[dict]:
    if sort == "year":
        return sorted(rows, key=lambda row: (-(row["year"] or 0), row["issuer"]))
    if sort == "issuer":
        return sorted(rows, key=lambda row: (row["issuer"] or "\uffff", -(row["year"] or 0)))
    return sorted(rows, key=lambda row: (row["figures"][sort] is None, -(row["figures"][sort] or 0),
                                         -(row["year"] or 0), row["issuer"]))


def _script_json(data) -> Markup:
    """JSON for a <script type="application/json"> block: '<' escaped so '</script>' cannot end it."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


@bp.route("/stats")
def stats_page():
    try:
        state, sort = _stats_state(request.args)
        stats = _stats(state)
    except QueryError as error:
        return error_page(400, str(error))
    ordered = _sorted_rows(stats["rows"], sort)
    per_page = current_app.config.get("STATS_PAGE_ROWS", STATS_PAGE_ROWS)
    pages = max(1, math.ceil(len(ordered) / per_page))
    try:
        page = _int_arg(request.args, "page", 1, 1, pages, "页码")
    except QueryError as error:
        return error_page(400, str(error))
    shown = ordered[(page - 1) * per_page:page * per_page]
    rows = [
        {**row, "url": report_url(row["report_id"]), "title_shown": display_title(row["title"], row["issuer"], row["year"]),
         "region_shown": region_path(row["region"])}
        for row in shown
    ]
    base = url_for("web.stats_page")
    table_pages = {
        "page": page, "pages": pages, "first": (page - 1) * per_page + 1, "last": (page - 1) * per_page + len(rows),
        "previous": base + _stats_query(state, sort=sort, page=page - 1 if page > 2 else None) if page > 1 else None,
        "next": base + _stats_query(state, sort=sort, page=page + 1) if page < pages else None,
    }
    figures = [{"key": key, "label": label, "url": url_for("web.stats_page") + _stats_query(state, sort=key),
                "current": key == sort} for key, label in KEY_FIGURES]
    chart_data = {"by_year": stats["by_year"], "outcomes": stats["outcomes"], "top_issuers": stats["top_issuers"]}
    return render_template(
        "stats.html",
        state=state,
        stats=stats,
        rows=rows,
        table_pages=table_pages,
        figures=figures,
        sort=sort,
        year_sort_url=url_for("web.stats_page") + _stats_query(state, sort="year"),
        issuer_sort_url=url_for("web.stats_page") + _stats_query(state, sort="issuer"),
        chips=chips(state),
        search_url=state.url(page=1),
        csv_url=url_for("web.stats_csv") + _stats_query(state),
        api_url=url_for("web.api_stats") + _stats_query(state),
        chart_json=_script_json(chart_data),
        consistency_labels=CONSISTENCY_LABELS,
    )


@bp.route("/api/stats")
def api_stats():
    try:
        state, sort = _stats_state(request.args)
        stats = _stats(state)
    except QueryError as error:
        return json_response({"error": str(error)}, 400)
    return json_response({**stats, "rows": _sorted_rows(stats["rows"], sort)})


@bp.route("/stats.csv")
def stats_csv():
    """The key figures of every report the filters select, one row per report (UTF-8 with BOM)."""
    try:
        state, sort = _stats_state(request.args)
        stats = _stats(state)
    except QueryError as error:
        return error_page(400, str(error))
    header = list(STATS_CSV_COLUMNS) + [key for key, _ in KEY_FIGURES]
    body = cmp.to_csv(header, (
        [row["report_id"], row["title"], row["issuer"], *(row["region"].get(level) for level in REGION_LEVELS),
         row["year"], row["consistency"], *(row["figures"][key] for key, _ in KEY_FIGURES)]
        for row in _sorted_rows(stats["rows"], sort)))
    return _download(body, "text/csv", "gongkai-stats.csv")


# --- Wiring --------------------------------------------------------------------------------------

def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    message = ERROR_MESSAGES.get(error.code)
    if message is None:
        message = ERROR_MESSAGES[400] if error.code < 500 else ERROR_MESSAGES[500]
    response = error_page(error.code, message)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _unexpected_error(error: Exception):
    current_app.logger.exception("unhandled error on %s", request.path)
    return error_page(500)


def init_app(app: Flask) -> None:
    """Register the public pages, the JSON API, error pages, security headers and the admin."""
    app.register_blueprint(bp)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    from app import admin

    admin.init_app(app)
