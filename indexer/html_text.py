"""Turn a crawled HTML page into report text: one line per paragraph, heading, list item or cell."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

# Elements that never hold report text.
_DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "audio", "video", "map", "nav", "input", "select", "textarea", "button", "option",
    "optgroup", "datalist", "label", "head", "link", "meta",
)

# Elements that start and end a line of output; everything else is inline.
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "menu",
    "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
})

# Paragraph-level elements: a content container is never chosen inside one of these, so a report
# laid out in one table or one <p> full of <br> keeps all its parts.
_LEAF_BLOCKS = frozenset({
    "p", "pre", "blockquote", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "ul", "ol", "dl",
})

# Class/id words of page chrome (as in readability's "unlikely candidates"), unless the same
# attribute also says it is the article.
_CHROME_WORDS = re.compile(
    r"nav|menu|breadcrumb|crumb|footer|foot\b|bottom|header|topbar|top_bar|banner|sidebar|"
    r"share|fenxiang|social|search|sousuo|qrcode|ewm|erweima|toolbar|function_icon|"
    r"copyright|banquan|login|skip|pagination|pager|related|xglj|links_con|friend_?link|"
    r"out_links|yqlj|wza|barrier|accessib|btn_group|print|popup|modal|advert|gg_",
    re.IGNORECASE,
)
_ARTICLE_WORDS = re.compile(r"article|content|main|body|text|editor|zhengwen|detail|TRS", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

# Article header lines worth keeping from just above the body: where it came from and when.
_HEADER_LINE = re.compile(
    r"^(信息)?(来源|來源|发布|發布|时间|時間|日期|作者|发文|發文|成文|文章来源|文章來源)"
    r"[^:：]{0,4}[:：]"
)
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|—|--| - )\s*")
_SPACES = re.compile(r"[ \t\n\r\f\v\xa0]+")
_PROSE = re.compile(r"[。；，！？]")
_SECTION_HEADING = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)])\S")
_SOFT_BREAK = "\x00"
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
# A table cell this short is one line even if it holds <br> or several <p> ("本年新<br>制作数量"),
# so a statistics table keeps one line per cell; a layout cell holding a whole report does not.
_COMPACT_CELL_CHARS = 60

# A container must hold at least this share of the page's non-link text.
_CONTAINER_SHARE = 0.6
# How many lines just above the container are searched for the title and header lines.
_HEADER_WINDOW = 40


def _is_decomposed(tag) -> bool:
    """Tell whether a tag was removed from the tree.

    Not `tag.decomposed`: on a live Tag bs4 resolves that through Tag.__getattr__, which searches the
    whole subtree for a child named "_decomposed" (most of the HTML parsing time went there).
    """
    return vars(tag).get("_decomposed", False)


def html_to_text(html: str) -> str:
    """Return the report text of an HTML page, one paragraph, heading or table cell per line."""
    soup = BeautifulSoup(html, "lxml")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    _drop_non_content(soup)
    body = soup.body or soup
    _drop_chrome(body, _text_sizes(body))
    sizes = _text_sizes(body)
    container = _find_container(body, sizes)
    content_lines = [text for text, _ in _lines(container)]
    if container is body:
        return "\n".join(content_lines)
    header_lines = _header_lines(body, container, page_title, content_lines)
    return "\n".join(header_lines + content_lines)


def _drop_non_content(soup: BeautifulSoup) -> None:
    for node in soup.find_all(string=lambda s: isinstance(s, PreformattedString)):
        node.extract()  # comments, CDATA, doctype, processing instructions
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if _is_decomposed(tag):
            continue
        if _HIDDEN_STYLE.search(tag.get("style") or "") or tag.has_attr("hidden"):
            tag.decompose()
        elif tag.get("role") in ("navigation", "search", "banner", "contentinfo"):
            tag.decompose()
    # An <article> may carry its own <header>/<footer> with the title and date; the page's don't.
    for tag in soup.find_all(("header", "footer")):
        if not _is_decomposed(tag) and tag.find_parent(("article", "main")) is None:
            tag.decompose()


def _drop_chrome(body: Tag, sizes: dict[int, tuple[int, int]]) -> None:
    """Remove elements whose class or id names them as page chrome, unless they hold the page."""
    page_text = _own_text(body, sizes)
    for tag in body.find_all(True):
        if _is_decomposed(tag) or tag.name in ("body", "html", "td", "th", "tr", "table", "tbody"):
            continue
        names = " ".join(tag.get("class") or []) + " " + (tag.get("id") or "")
        if not _CHROME_WORDS.search(names) or _ARTICLE_WORDS.search(names):
            continue
        if _own_text(tag, sizes) >= 0.5 * page_text:
            continue  # a misnamed wrapper around the article: keep it
        tag.decompose()


def _has_prose(tag: Tag) -> bool:
    """Tell whether tag holds report text: a long sentence or a numbered section heading."""
    for text, _ in _lines(tag, skip_links=True):
        if len(text) >= 50 and _PROSE.search(text) or _SECTION_HEADING.match(text):
            return True
    return False


def _text_sizes(root: Tag) -> dict[int, tuple[int, int]]:
    """Map id(tag) to (visible characters, characters inside links), computed bottom-up."""
    sizes: dict[int, tuple[int, int]] = {}
    for tag in reversed([root, *root.find_all(True)]):
        total = links = 0
        for child in tag.children:
            if isinstance(child, Tag):
                child_total, child_links = sizes.get(id(child), (0, 0))
                total += child_total
                links += child_total if child.name == "a" else child_links
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):
                count = len(_SPACES.sub("", str(child)))
                total += count
                if tag.name == "a":
                    links += count
        sizes[id(tag)] = (total, links)
    return sizes


def _own_text(tag: Tag, sizes: dict[int, tuple[int, int]]) -> int:
    total, links = sizes.get(id(tag), (0, 0))
    return total - links


def _find_container(body: Tag, sizes: dict[int, tuple[int, int]]) -> Tag:
    """Return the deepest element that holds most of the page's non-link text.

    Descent stops at paragraph-level elements and wherever the text left behind contains prose,
    so a report split over sibling elements is kept whole.
    """

    def own_text(tag: Tag) -> int:
        return _own_text(tag, sizes)

    page_text = own_text(body)
    if page_text == 0:
        return body
    node = body
    while True:
        children = [c for c in node.children if isinstance(c, Tag)]
        if not children:
            return node
        best = max(children, key=own_text)
        if best.name in _LEAF_BLOCKS or own_text(best) < _CONTAINER_SHARE * page_text:
            return node
        if any(_has_prose(other) for other in children if other is not best):
            return node
        if any(
            isinstance(c, NavigableString) and len(c.strip()) >= 50 and _PROSE.search(c)
            for c in node.children
        ):
            return node
        node = best


def _header_lines(
    body: Tag, container: Tag, page_title: str, content_lines: list[str]
) -> list[str]:
    """Return the title and 来源/时间 lines that sit just above the content container."""
    before: list[tuple[str, Tag | None]] = []
    for text, block in _lines(body, stop_at=container):
        before.append((text, block))
    title_head = _TITLE_SEPARATORS.split(page_title, maxsplit=1)[0] if page_title else ""
    opening = set(content_lines[:5])
    kept = []
    for text, block in before[-_HEADER_WINDOW:]:
        if text in opening:
            continue  # the body repeats its own title
        if len(text) <= 120 and _HEADER_LINE.match(text):
            kept.append(text)
        elif _is_title(text, block, page_title, title_head):
            kept.append(text)
    return kept


def _is_title(text: str, block: Tag | None, page_title: str, title_head: str) -> bool:
    if len(text) < 4 or len(text) > 150:
        return False
    if title_head and (text == title_head or (len(text) >= 8 and page_title.startswith(text))):
        return True
    return block is not None and block.name == "h1"


def _lines(
    root: Tag, stop_at: Tag | None = None, skip_links: bool = False
) -> list[tuple[str, Tag | None]]:
    """Return the visible lines under root with the block element each line started in.

    Walks iteratively (crawled pages nest deeply). With stop_at, stops where that element begins.
    """
    lines: list[tuple[str, Tag | None]] = []
    parts: list[str] = []
    line_block: list[Tag | None] = [None]
    blocks: list[Tag] = []

    def flush() -> None:
        text = _join_soft("".join(parts))
        if text:
            lines.append((text, line_block[0]))
        parts.clear()
        line_block[0] = None

    def add(text: str) -> None:
        if not parts and text.strip():
            line_block[0] = blocks[-1] if blocks else None
        parts.append(text)

    # Stack entries: a node to enter, or ("exit", tag) to close a block.
    stack: list[object] = [root]
    in_pre = 0
    # The table cell being read as one line, if any.
    compact_cell: list[Tag | None] = [None]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            _, tag = item
            if tag.name == "pre":
                in_pre -= 1
            if tag is compact_cell[0]:
                compact_cell[0] = None
            elif compact_cell[0] is not None and tag.name in _BLOCK_TAGS:
                parts.append(_SOFT_BREAK)
                blocks.pop()
                continue
            if tag.name in _BLOCK_TAGS:
                flush()
                blocks.pop()
            continue
        node = item
        if stop_at is not None and node is stop_at:
            break
        if isinstance(node, Tag):
            if skip_links and node.name == "a":
                continue
            if node.name == "br":
                if compact_cell[0] is not None:
                    parts.append(_SOFT_BREAK)
                else:
                    flush()
                continue
            if node.name in _BLOCK_TAGS:
                if compact_cell[0] is not None:
                    parts.append(_SOFT_BREAK)
                else:
                    flush()
                    if node.name in ("td", "th") and _is_compact_cell(node):
                        compact_cell[0] = node
                blocks.append(node)
                stack.append(("exit", node))
            if node.name == "pre":
                in_pre += 1
            stack.extend(reversed(list(node.children)))
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            text = str(node)
            if in_pre:
                pieces = text.split("\n")
                for index, piece in enumerate(pieces):
                    if index:
                        flush()
                    add(piece)
            else:
                add(text)
    flush()
    return lines


def _is_compact_cell(cell: Tag) -> bool:
    if cell.find(("table", "td", "th")) is not None:
        return False
    return len(_SPACES.sub("", cell.get_text())) <= _COMPACT_CELL_CHARS


def _join_soft(raw: str) -> str:
    """Collapse spaces and join the pieces of a wrapped cell: no space between Chinese characters."""
    pieces = [_SPACES.sub(" ", piece).strip() for piece in raw.split(_SOFT_BREAK)]
    text = ""
    for piece in pieces:
        if not piece:
            continue
        if text and not (_CJK.match(text[-1]) and _CJK.match(piece[0])):
            text += " "
        text += piece
    return text
