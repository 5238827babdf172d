"""Remove page furniture lines (breadcrumbs, share buttons, view counters) from report text.

A line is furniture only when the whole line, stripped, matches a furniture pattern: a sentence
of the report that mentions 来源 or 浏览次数 is content and stays. Kept lines are returned
byte for byte. The 来源/作者 and 发布时间 fields the furniture carries become CleanText.source and
CleanText.published.
"""

from __future__ import annotations

import datetime
import re

from indexer.models import CleanText

# Sentence punctuation: furniture never contains it, report sentences nearly always do.
_SENTENCE_PUNCTUATION = re.compile(r"[。，；！？!?]|,\s")
_ARROWS = r"[>＞»›→/]"
_EDGE_CHARS = " \t\u3000\xa0【】[]［］|｜"
_MAX_FURNITURE_LENGTH = 200

_BREADCRUMB = re.compile(
    r"^[【\[]?\s*(?:您(?:当前|當前|现在|現在)?(?:的|所在的?)?位置|当前位置|當前位置|所在位置|"
    r"现在位置|現在位置|当前页面|當前頁面)\s*[:：]?(?P<rest>.*)$"
)
_BREADCRUMB_CONTINUATION = re.compile(rf"^(?:{_ARROWS}|首[页頁]\s*(?:{_ARROWS}|$))")
_SCAN_QR = re.compile(r"^[【\[]?\s*[扫掃]一[扫掃].{0,20}$")
_FONT_SIZE = re.compile(
    r"^[【\[]?\s*字\s*[体體号號]\s*[:：]?\s*[\[［【（(]?\s*(?:[大中小]\s*)*[\]］】）)]?\s*[】\]]?$"
)
_NEIGHBOUR_ARTICLE = re.compile(r"^(?:上一篇|下一篇|上一條|下一條|上一条|下一条)\s*[:：]")
_SITE_TITLE = re.compile(r"^(?P<title>[^_\s]{4,}?)(?:_[^_\s]{2,}){1,3}$")

# Widgets that are furniture when a line holds nothing but them (and at least two of them, for
# words that could also be a table cell of the report, such as 微信).
_STRONG_WIDGETS = (
    "打印本页", "打印本頁", "关闭窗口", "關閉窗口", "关闭本页", "關閉本頁", "返回顶部", "返回頂部",
    "分享到", "相关链接", "相關鏈接", "全真版", "文字版", "文件下载", "文件下載", "附件下载",
    "附件下載", "加入收藏", "设为首页", "設為首頁",
)
_WEAK_WIDGETS = (
    "打印", "关闭", "關閉", "收藏", "分享", "微信", "微博", "新浪微博", "腾讯微博", "騰訊微博",
    "QQ空间", "QQ空間", "QQ", "朋友圈", "返回", "顶部", "頂部", "今日头条", "今日頭條",
)
_WIDGET_TOKEN = re.compile(
    "|".join(sorted(map(re.escape, _STRONG_WIDGETS + _WEAK_WIDGETS), key=len, reverse=True))
)
_WIDGET_SEPARATORS = re.compile(r"[\s【】\[\]［］()（）|｜:：/·•、]+")

# Labelled fields of an article header or footer ("发布时间:… 来源:… 浏览次数:…").
_SOURCE_LABELS = ("信息来源", "信息來源", "文章来源", "文章來源", "来源", "來源", "发布机构", "發布機構")
_AUTHOR_LABELS = ("作者",)
_DATE_LABELS = (
    "发布时间", "發布時間", "發佈時間", "发布日期", "發布日期", "發佈日期", "更新时间", "更新時間",
    "时间", "時間", "日期",
)
_COUNTER_LABELS = (
    "浏览次数", "瀏覽次數", "阅读次数", "閱讀次數", "访问量", "訪問量", "访问次数", "訪問次數",
    "点击数", "點擊數", "点击量", "點擊量", "点击率", "浏览量", "瀏覽量", "阅读量", "閱讀量",
)
_FONT_LABELS = ("字体", "字體", "字号", "字號")
_EDITOR_LABELS = ("责任编辑", "責任編輯", "编辑", "編輯")
_FIELD_LABEL = re.compile(
    "(?P<label>"
    + "|".join(
        sorted(
            _SOURCE_LABELS + _AUTHOR_LABELS + _DATE_LABELS + _COUNTER_LABELS + _FONT_LABELS
            + _EDITOR_LABELS,
            key=len,
            reverse=True,
        )
    )
    + r")\s*[:：]"
)
_DATE = re.compile(
    r"(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
)
_DATE_VALUE = re.compile(_DATE.pattern + r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?")
_COUNTER_VALUE = re.compile(r"\d*\s*次?")
_FONT_VALUE = re.compile(r"[\[［【（(]?\s*(?:[大中小]\s*)*[\]］】）)]?")
_NAME_VALUE_MAX = 40


def clean(text: str) -> CleanText:
    """Drop page furniture lines from report text and return what they said."""
    kept: list[str] = []
    removed: list[str] = []
    sources: list[tuple[int, str]] = []  # (priority, name): 来源 outranks 作者
    published: str | None = None
    in_breadcrumb = False
    for line in text.split("\n"):
        stripped = line.strip(" \t\u3000\xa0")
        if in_breadcrumb and stripped and _BREADCRUMB_CONTINUATION.match(stripped):
            removed.append(line)
            continue
        in_breadcrumb = False
        if not stripped or len(stripped) > _MAX_FURNITURE_LENGTH:
            kept.append(line)
            continue
        if _is_breadcrumb(stripped):
            in_breadcrumb = True
            removed.append(line)
            continue
        fields = _header_fields(stripped)
        if fields is not None:
            removed.append(line)
            for label, value in fields:
                if label in _SOURCE_LABELS and value:
                    sources.append((0, value))
                elif label in _AUTHOR_LABELS and value:
                    sources.append((1, value))
                elif label in _DATE_LABELS and published is None:
                    published = _iso_date(value)
            continue
        if _is_widget_line(stripped):
            removed.append(line)
            continue
        kept.append(line)
    signature, signed = _split_signature(kept)
    if signature:
        removed.extend(line for line in kept[len(kept) - signed:] if line.strip())
        kept = kept[: len(kept) - signed]
    signature_date = next((_iso_date(line) for line in signature if _SIGNATURE_DATE.match(line.strip())), None)
    signer = next((line.strip() for line in signature if _SIGNATURE_BODY.match(line.strip())), None)
    source = min(sources, key=lambda item: item[0])[1] if sources else None
    return CleanText(
        text="\n".join(kept),
        source=source,
        published=published or signature_date,
        removed=tuple(removed),
        signer=signer,
    )


_SIGNATURE_DATE = re.compile(r"^[（(]?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[)）]?$")
_SIGNATURE_BODY = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,30}(人民政府|政府|办公厅|辦公廳|办公室|辦公室|管委会|管委會|委员会|委員會|"
    r"局|委|厅|廳|办事处|辦事處|领导小组|領導小組)$"
)


def _split_signature(lines: list[str]) -> tuple[list[str], int]:
    """Return the signature closing a report (a date, maybe under a body's name) and its line count.

    The signature is furniture for sections (it is not part of 其他需要报告的事项) but tells who
    issued the report and when.
    """
    tail: list[int] = []
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].strip():
            tail.append(index)
            if len(tail) == 2:
                break
    if not tail:
        return [], 0
    last = lines[tail[0]].strip()
    if not _SIGNATURE_DATE.match(last):
        return [], 0
    first = tail[0]
    if len(tail) == 2:
        above = lines[tail[1]].strip()
        if _SIGNATURE_BODY.match(above):
            first = tail[1]
    return [line for line in lines[first:] if line.strip()], len(lines) - first


def _is_breadcrumb(line: str) -> bool:
    match = _BREADCRUMB.match(line)
    if match:
        return not _SENTENCE_PUNCTUATION.search(match.group("rest"))
    # A bare trail such as "首页 > 政务公开 > 年报".
    return bool(re.match(rf"^首[页頁]\s*{_ARROWS}", line)) and not _SENTENCE_PUNCTUATION.search(
        line
    )


def _is_widget_line(line: str) -> bool:
    if _SCAN_QR.match(line) or _FONT_SIZE.match(line):
        return True
    if _NEIGHBOUR_ARTICLE.match(line) and len(line) <= 100:
        return True
    site_title = _SITE_TITLE.match(line)
    if site_title and re.search("报告|報告", site_title.group("title")):
        return True
    tokens = _WIDGET_TOKEN.findall(line)
    if not tokens:
        return False
    leftover = _WIDGET_SEPARATORS.sub("", _WIDGET_TOKEN.sub("", line))
    if leftover:
        return False
    return len(tokens) >= 2 or tokens[0] in _STRONG_WIDGETS


def _header_fields(line: str) -> list[tuple[str, str]] | None:
    """Split a line made only of labelled header fields into (label, value); None otherwise."""
    matches = list(_FIELD_LABEL.finditer(line))
    if not matches or line[: matches[0].start()].strip(_EDGE_CHARS):
        return None
    fields = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        label = match.group("label")
        value = line[match.end() : end].strip(_EDGE_CHARS)
        if not _valid_field(label, value):
            return None
        fields.append((label, value))
    return fields


def _valid_field(label: str, value: str) -> bool:
    if label in _DATE_LABELS:
        return bool(_DATE_VALUE.fullmatch(value))
    if label in _COUNTER_LABELS:
        return bool(_COUNTER_VALUE.fullmatch(value))
    if label in _FONT_LABELS:
        return bool(_FONT_VALUE.fullmatch(value))
    # Names: a body or a person, short and without sentence punctuation (may be empty: "编辑:").
    return len(value) <= _NAME_VALUE_MAX and not _SENTENCE_PUNCTUATION.search(value)


def _iso_date(value: str) -> str | None:
    match = _DATE.search(value)
    if not match:
        return None
    try:
        day = datetime.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    return day.isoformat()
