"""End to end in a real headless Chromium (Debian's /usr/bin/chromium) against `gongkai serve`.

Playwright's bundled driver steers the system browser; Playwright's own browser download is never
used. Chromium is not skipped when missing: `make test` (and so CI) installs it, so its absence is
a failure that says how to fix it. Screenshots go to tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import difflib
import itertools
import re
import urllib.parse
from pathlib import Path

import pytest

from app.search import get_report
from indexer.script import to_simplified
from indexer.sections import SECTION_LABELS
from serving import running_server

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Without the background-networking flags Chromium keeps trying to reach Google, which the closed
# network here refuses. Playwright gives every launch a fresh, empty --user-data-dir of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUERY = "政务公开"
TIMEOUT_MS = 15_000
# The report's own text inside its sections, without the interface lines the page adds.
REPORT_WORDS = "section.report-section :is(h2, h3, p):not(.section-label, .section-years, .to-top)"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it "
                    "(apt-get install chromium chromium-driver fonts-noto-cjk)", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: `make test` installs the test extras "
                    "(pip install -e '.[test]')", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def server(sample_index_dir, tmp_path_factory):
    with running_server(sample_index_dir, tmp_path_factory.mktemp("browser-serve-logs")) as running:
        yield running


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


def screenshot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def number_in(text: str) -> int:
    match = re.search(r"\d[\d,]*", text)
    assert match, f"no number in {text!r}"
    return int(match.group().replace(",", ""))


def url_params(url: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def test_search_facet_report_script_switch_and_back(page, server):
    from playwright.sync_api import expect

    page.goto(server.url + "/")
    expect(page.locator("form#search-form")).to_be_visible()
    screenshot(page, "01-home")

    # Type a query and submit the form the way a user does: Enter in the box.
    page.locator("input#q").fill(QUERY)
    with page.expect_navigation():
        page.locator("input#q").press("Enter")
    assert url_params(page.url).get("q") == [QUERY]
    marks = page.locator("article.hit .snippet mark")
    expect(marks.first).to_be_visible()
    # Reports in traditional script are highlighted in their own script (政務公開).
    assert all(to_simplified(mark) in QUERY for mark in marks.all_inner_texts()), marks.all_inner_texts()
    total = number_in(page.locator("#result-count").inner_text())
    assert total > 0
    expect(page.locator("input#q")).to_have_value(QUERY)
    screenshot(page, "02-search")

    # Click a year whose count differs from the total: the result count becomes that year's count.
    # Only the values shown without opening 更多 (the rest sit in a closed <details>).
    years = page.locator('section.facet[data-facet="year"] a.facet-value').filter(visible=True)
    expect(years.first).to_be_visible()
    counts = [number_in(text) for text in years.locator(".count").all_inner_texts()]
    assert counts and max(counts) <= total, counts
    choice = next((i for i, count in enumerate(counts) if count < total), 0)
    year_link = years.nth(choice)
    year_count = counts[choice]
    with page.expect_navigation():
        year_link.click()
    faceted_url = page.url
    assert url_params(faceted_url).get("q") == [QUERY]
    assert "year" in url_params(faceted_url), faceted_url
    expect(page.locator("#result-count")).to_contain_text(str(year_count))
    assert number_in(page.locator("#result-count").inner_text()) == year_count
    screenshot(page, "03-year-facet")

    # Open the first hit: the report page with its table of contents and sections.
    first_hit = page.locator("a.hit-title").first
    hit_title = first_hit.inner_text().strip()
    with page.expect_navigation():
        first_hit.click()
    assert urllib.parse.urlsplit(page.url).path.startswith("/reports/")
    report_url = page.url
    expect(page.locator("nav#toc")).to_be_visible()
    sections = page.locator("section.report-section")
    assert sections.count() > 0
    assert page.locator("nav#toc a").count() >= 1
    assert hit_title and hit_title in page.locator("body").inner_text()
    screenshot(page, "04-report", full_page=False)  # a report is many screens long

    # Switch to traditional script: the report's own words change script (公开 -> 公開); the
    # interface around them (标准章节, 回到目录) stays in simplified Chinese.
    report_words = page.locator(REPORT_WORDS)
    before = "\n".join(report_words.all_inner_texts())
    assert "公开" in before or "公開" in before
    with page.expect_navigation():
        page.locator("a#script-traditional").click()
    expect(page.locator("a#script-traditional")).to_have_attribute("aria-current", "true")
    after = "\n".join(report_words.all_inner_texts())
    assert "公開" in after
    assert "公开" not in after
    assert len(after) == len(before)  # the same text, character for character, in the other script
    screenshot(page, "05-report-traditional", full_page=False)

    # Back returns to each earlier state, its parameters in the URL: the report, then the search.
    page.go_back()
    assert page.url == report_url
    expect(page.locator("nav#toc")).to_be_visible()
    assert "\n".join(report_words.all_inner_texts()) == before  # in its original script again
    page.go_back()
    assert page.url == faceted_url
    assert url_params(page.url)["q"] == [QUERY] and "year" in url_params(page.url)
    expect(page.locator("input#q")).to_have_value(QUERY)
    assert number_in(page.locator("#result-count").inner_text()) == year_count

    assert not [text for text in page.console_errors if "Content Security Policy" in text], page.console_errors


def test_search_works_without_javascript(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False, locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(server.url + "/")
        page.locator("input#q").fill(QUERY)
        with page.expect_navigation():
            page.locator("input#q").press("Enter")
        expect(page.locator("article.hit .snippet mark").first).to_be_visible()
        assert number_in(page.locator("#result-count").inner_text()) > 0
        screenshot(page, "06-search-phone-no-js")
    finally:
        context.close()


def test_unknown_report_shows_a_chinese_404_page(page, server):
    response = page.goto(server.url + "/reports/0000000000000000")
    assert response.status == 404
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert re.search(r"[\u4e00-\u9fff]", body)


def test_stats_page_draws_its_charts(page, server):
    from playwright.sync_api import expect

    page_errors = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    missing = []
    page.on("response", lambda response: response.status >= 400 and missing.append(response.url))
    response = page.goto(server.url + "/stats")
    assert response.status == 200
    expect(page.locator("#stats-table tbody tr").first).to_be_visible()
    for chart in ("chart-years", "chart-outcomes", "chart-issuers"):
        canvas = page.locator(f"canvas#{chart}")
        expect(canvas).to_have_attribute("data-rendered", "true")
        size = canvas.evaluate("c => [c.width, c.height]")
        assert size[0] > 0 and size[1] > 0, (chart, size)
        # Something was drawn: not every pixel of the canvas is transparent.
        painted = canvas.evaluate(
            "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " for (let i = 3; i < d.length; i += 4) { if (d[i]) return true; } return false; }")
        assert painted, chart
    assert page.evaluate("typeof window.Chart") == "function"  # served from /static, no CDN
    screenshot(page, "07-stats")

    # A header link sorts the table by that figure, keeping the charts working.
    with page.expect_navigation():
        page.locator('#stats-table th[data-figure="denied"] a').click()
    assert url_params(page.url).get("sort") == ["denied"]
    expect(page.locator("canvas#chart-years")).to_have_attribute("data-rendered", "true")
    assert not page_errors, page_errors
    # The browser's own favicon request is the only resource allowed to be missing.
    assert not [url for url in missing if not url.endswith("/favicon.ico")], missing
    assert not [text for text in page.console_errors if "404" not in text], page.console_errors


# --- Comparison from the search results ---------------------------------------------------------

# Words of the section headed 存在的主要问题及改进情况 (canonical key "problems") in most sample reports.
COMPARE_QUERY = "存在的主要问题"
COMPARE_SECTION = "problems"
MOJIBAKE = re.compile("[\ufffd]|Ã|Â|â€|å|æ|ç|é|è")


def cjk(text: str) -> str:
    """The text reduced to letters and digits in simplified script: what the comparison compares."""
    return "".join(char for char in to_simplified(text) if char.isalnum())


def problem_hits(page, server, sample_index) -> list[dict]:
    """Search the way a journalist does; return the hits in the problems section, one per report."""
    from playwright.sync_api import expect

    page.goto(server.url + "/")
    page.locator("input#q").fill(COMPARE_QUERY)
    with page.expect_navigation():
        page.locator("input#q").press("Enter")
    assert url_params(page.url).get("q") == [COMPARE_QUERY]
    expect(page.locator("article.hit").first).to_be_visible()
    # The compare form offers the section most hits are in, here the problems section.
    expect(page.locator("form#compare-form select#compare-section")).to_have_value(COMPARE_SECTION)
    hits, seen = [], set()
    for hit in page.locator("article.hit").all():
        if hit.locator(".hit-section").inner_text().strip() != SECTION_LABELS[COMPARE_SECTION]:
            continue
        report_id = hit.locator("input.compare-pick").get_attribute("value")
        if report_id in seen:
            continue
        seen.add(report_id)
        report = get_report(sample_index, report_id)
        assert report is not None, report_id
        hits.append({
            "article": hit,
            "report_id": report_id,
            "title": hit.locator("a.hit-title").inner_text().strip(),
            "year": report.year,
            "issuer": report.issuer,
            "sections": [section for section in report.sections if section.key == COMPARE_SECTION],
        })
    return hits


def section_words(sections) -> str:
    """A report's sections under one key as the comparison reads them: text, then subsections."""
    parts = []
    for position, section in enumerate(sections):
        if position:
            parts.append(section.heading)
        parts.append(section.text)
        for sub in section.subsections or ():
            parts += [sub.get("heading") or "", sub.get("text") or ""]
    return "\n".join(parts)


def tick_and_compare(page, chosen: list[dict]) -> None:
    from playwright.sync_api import expect

    for hit in chosen:
        box = hit["article"].locator("input.compare-pick")
        box.check()
        expect(box).to_be_checked()
    with page.expect_navigation():
        page.locator("form#compare-form button.compare-submit").click()


def check_compare_page(page, chosen: list[dict]) -> list[str]:
    """Check what every comparison shows; return each column's text as the table shows it."""
    from playwright.sync_api import expect

    ids = [hit["report_id"] for hit in chosen]
    assert urllib.parse.urlsplit(page.url).path == "/compare", page.url
    assert url_params(page.url) == {"section": [COMPARE_SECTION], "r": ids}, page.url

    label = SECTION_LABELS[COMPARE_SECTION]
    expect(page.locator("h1.compare-title")).to_have_text(f"章节对比：{label}")
    assert label in page.title()
    columns = page.locator("#compare-table thead th.compare-column")
    expect(columns).to_have_count(len(chosen))
    assert [column.get_attribute("data-report") for column in columns.all()] == ids
    for column, hit in zip(columns.all(), chosen):
        # Each column is headed by the report the journalist ticked: its title, year and heading.
        expect(column.locator("a.compare-report")).to_have_text(hit["title"])
        assert column.locator("a.compare-report").get_attribute("href").startswith(f"/reports/{hit['report_id']}")
        expect(column.locator(".compare-meta")).to_contain_text(f"{hit['year']}年")
        assert hit["sections"], hit
        expect(column.locator(".compare-heading")).to_have_text(hit["sections"][0].heading)
        expect(column.locator(".compare-missing")).to_have_count(0)

    # The reports' own Chinese words, intact: each column holds its section's text, start to end.
    # (Badges such as 2/3 are the page's, not the report's.)
    texts = page.locator("#compare-table").evaluate(
        """(table, count) => Array.from({length: count}, (_, i) =>
             Array.from(table.querySelectorAll(`tbody tr td:nth-child(${i + 1})`), td => {
               const own = td.cloneNode(true);
               own.querySelectorAll('.share-badge').forEach(badge => badge.remove());
               return own.textContent;
             }).join('\\n'))""", len(chosen))
    for text, hit in zip(texts, chosen):
        assert re.search(r"[\u4e00-\u9fff]{10}", text), text[:200]
        assert cjk(text) == cjk(section_words(hit["sections"])), (hit["title"], text[:200])
    body = page.locator("body").inner_text()
    assert not MOJIBAKE.search(body), MOJIBAKE.search(body)
    return texts


def test_compare_two_reports_from_search_results_shows_a_character_diff(page, server, sample_index):
    from playwright.sync_api import expect

    hits = problem_hits(page, server, sample_index)
    # Two years of one issuer, the two whose sections read most alike (by the index): what changed
    # from one year's wording to the other's.
    pairs = [(a, b) for a, b in itertools.combinations(hits, 2) if a["issuer"] == b["issuer"]]
    assert pairs, [(hit["issuer"], hit["year"]) for hit in hits]
    chosen = list(max(pairs, key=lambda pair: difflib.SequenceMatcher(
        None, *(cjk(section_words(hit["sections"])) for hit in pair), autojunk=False).ratio()))
    tick_and_compare(page, chosen)
    check_compare_page(page, chosen)
    expect(page.locator("#compare-table")).to_have_class(re.compile(r"\bcompare-pair\b"))

    # Deletions are marked in the left column, insertions in the right, nothing else.
    table = page.locator("#compare-table tbody")
    expect(table.locator("td:nth-child(1) del").first).to_be_visible()
    expect(table.locator("td:nth-child(2) ins").first).to_be_visible()
    expect(table.locator("td:nth-child(1) ins")).to_have_count(0)
    expect(table.locator("td:nth-child(2) del")).to_have_count(0)
    expect(table.locator(".share-badge")).to_have_count(0)
    # The marks are the difference: in every row, the left text without its deletions and the right
    # text without its insertions are the same characters.
    rows = table.locator("tr.compare-row").evaluate_all(
        """rows => rows.map(row => Array.from(row.cells, cell => {
             const kept = cell.cloneNode(true);
             kept.querySelectorAll('ins, del').forEach(mark => mark.remove());
             return [cell.textContent, kept.textContent];
           }))""")
    assert rows
    for (left, left_kept), (right, right_kept) in rows:
        assert cjk(left_kept) == cjk(right_kept), (left, right)
    assert any(cjk(left) != cjk(right) for (left, _), (right, _) in rows)
    # At least one sentence was reworded, not replaced: its row keeps common words unmarked
    # between the marks on both sides.
    assert any(cjk(left_kept) and cjk(left) != cjk(left_kept) and cjk(right) != cjk(right_kept)
               for (left, left_kept), (right, right_kept) in rows), rows
    screenshot(page, "08-compare-two")
    assert not [text for text in page.console_errors if "Content Security Policy" in text], page.console_errors


def test_compare_three_reports_from_search_results_shows_shared_passages(page, server, sample_index):
    from playwright.sync_api import expect

    hits = problem_hits(page, server, sample_index)
    # Three years of one issuer, as a journalist looking for copied boilerplate would pick.
    by_issuer: dict[str, list[dict]] = {}
    for hit in hits:
        by_issuer.setdefault(hit["issuer"], []).append(hit)
    chosen = next((group[:3] for group in by_issuer.values() if len(group) >= 3), None)
    assert chosen, {issuer: [hit["year"] for hit in group] for issuer, group in by_issuer.items()}
    tick_and_compare(page, chosen)
    texts = check_compare_page(page, chosen)
    expect(page.locator("#compare-table")).not_to_have_class(re.compile(r"\bcompare-pair\b"))

    table = page.locator("#compare-table tbody")
    expect(table.locator("ins, del")).to_have_count(0)
    badges = table.locator(".share-badge")
    expect(badges.first).to_be_visible()
    for badge in badges.all():
        shared = int(re.fullmatch(r"([23])/3", badge.inner_text().strip()).group(1))
        # The badge counts the shared passage marked in its own cell.
        marks = badge.locator("xpath=..").locator("mark.shared")
        assert max(int(mark.get_attribute("data-shared")) for mark in marks.all()) == shared
    # Every marked passage really is in that many of the columns.
    column_keys = [cjk(text) for text in texts]
    for mark in table.locator("mark.shared").all():
        key = cjk(mark.inner_text())
        assert key
        assert sum(key in column for column in column_keys) == int(mark.get_attribute("data-shared")), key
    screenshot(page, "09-compare-three")
    assert not [text for text in page.console_errors if "Content Security Policy" in text], page.console_errors
