"""The public web pages and the JSON API, through the Flask test client and an HTML parser."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from app import create_app
from app.query import QueryError
from app.search import SearchRequest
from app.web import request_from_args
from indexer.indexing import index_corpus, report_id_for

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SAMPLE_001 = "reports/001_a98acada5b20935e.txt"  # 岩垅乡, 2022, traditional script, no title
ID_001 = report_id_for(SAMPLE_001)

HOSTILE_REPORT = """<script>alert(1)</script>洪江市岩垅乡人民政府2021年政府信息公开工作年度报告
一、总体情况
2021年，岩垅乡认真做好政务公开工作<script>alert(1)</script>，并且<img src=x onerror=alert(1)>继续推进。
二、主动公开政府信息情况
本年主动公开政府信息49条。
三、存在的主要问题及改进情况
政务公开工作仍有不足<img src=x onerror=alert(1)>。
"""


@pytest.fixture(scope="module")
def app(sample_index_dir):
    return create_app({"TESTING": True, "INDEX_DIR": str(sample_index_dir), "CORPUS_DIR": str(CORPUS)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    corpus_dir = base / "corpus"
    (corpus_dir / "reports").mkdir(parents=True)
    (corpus_dir / "reports" / "evil.txt").write_text(HOSTILE_REPORT, encoding="utf-8")
    index_dir = base / "index"
    summary = index_corpus(corpus_dir, index_dir)
    assert summary.reports == 1
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus_dir)})
    return app.test_client()


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def facet_links(page: BeautifulSoup, facet: str) -> dict[str, BeautifulSoup]:
    group = page.select_one(f'section.facet[data-facet="{facet}"]')
    assert group is not None, f"no {facet} facet"
    return {link["data-value"]: link for link in group.select("a.facet-value")}


def result_total(page: BeautifulSoup) -> int:
    return int(re.search(r"\d+", page.select_one("#result-count").get_text()).group())


# --- Parameters ------------------------------------------------------------------------------------

def test_request_from_args_reads_every_parameter():
    args = MultiDict([("q", " 政务公开 "), ("region", "湖南省"), ("region", "怀化市"), ("year", "2019"),
                      ("year", "2020-2022"), ("section", "problems"), ("sort", "year"), ("group", "report"),
                      ("page", "2"), ("size", "20")])
    request = request_from_args(args)
    assert request == SearchRequest(query="政务公开", regions=("湖南省", "怀化市"), years=((2019, 2019), (2020, 2022)),
                                    sections=("problems",), sort="year", group_by_report=True, page=2, page_size=20)


def test_request_from_args_defaults_and_blank_values():
    request = request_from_args(MultiDict([("q", ""), ("region", ""), ("page", ""), ("sort", "")]))
    assert request == SearchRequest()


@pytest.mark.parametrize("args", [
    [("year", "abc")], [("year", "2022-2019")], [("year", "19")], [("section", "nonsense")],
    [("sort", "random")], [("group", "yes")], [("page", "0")], [("page", "x")], [("page", "-1")],
    [("size", "101")], [("size", "0")], [("q", "公" * 201)],
])
def test_request_from_args_refuses_bad_values_with_a_chinese_sentence(args):
    with pytest.raises(QueryError) as error:
        request_from_args(MultiDict(args))
    assert re.search(r"[\u4e00-\u9fff]", str(error.value))


@pytest.mark.parametrize("url", ["/?year=abc", "/?page=0", "/?size=1000", "/?section=x", "/?sort=x",
                                 "/?group=x", "/?q=" + "公" * 201])
def test_bad_parameters_give_a_400_page_with_the_sentence(client, url):
    response = client.get(url)
    assert response.status_code == 400
    page = soup_of(response)
    assert page.html["lang"] == "zh-CN"
    message = page.select_one(".error-message").get_text()
    assert re.search(r"[\u4e00-\u9fff]", message)
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/search?year=abc", "/api/search?page=0", "/api/search?section=x",
                                 "/api/search?size=0"])
def test_bad_parameters_give_a_400_json_error(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.is_json
    assert re.search(r"[\u4e00-\u9fff]", response.get_json()["error"])


# --- Search page ---------------------------------------------------------------------------------

def test_empty_query_browses_the_whole_corpus(client, sample_index):
    from app.search import corpus_stats

    page = soup_of(client.get("/"))
    assert result_total(page) == corpus_stats(sample_index)["sections"]
    assert page.select("article.hit")
    assert page.select_one("form#search-form input#q[name=q]") is not None
    assert page.select_one('label[for="q"]') is not None
    assert facet_links(page, "province")
    assert facet_links(page, "year")
    assert facet_links(page, "section")
    assert page.select_one("nav.pagination") is not None


def test_search_keeps_the_query_and_marks_snippets(client):
    page = soup_of(client.get("/?q=政务公开"))
    assert page.select_one("input#q")["value"] == "政务公开"
    hits = page.select("article.hit")
    assert hits
    assert all(hit.select_one(".snippet mark") for hit in hits)
    total = client.get("/api/search?q=政务公开").get_json()["total"]
    assert result_total(page) == total
    assert "毫秒" in page.select_one("#result-count").get_text()


def test_hit_title_links_to_the_section_of_the_report_with_the_query(client):
    page = soup_of(client.get("/?q=巖垅鄉"))
    link = page.select_one("article.hit a.hit-title")
    url = urlsplit(link["href"])
    assert url.path.startswith("/reports/")
    assert parse_qs(url.query) == {"q": ["巖垅鄉"]}
    assert re.fullmatch(r"sec-\d+", url.fragment)
    target = soup_of(client.get(f"{url.path}?{url.query}"))
    assert target.select_one(f"section.report-section#{url.fragment}") is not None


def test_year_facet_toggle_adds_and_removes_exactly_its_value(client):
    page = soup_of(client.get("/?q=政务公开&region=福建省"))
    years = facet_links(page, "year")
    assert len(years) > 1
    value, link = next(iter(years.items()))
    assert link.select_one(".count").get_text().isdigit()
    added = query_of(link["href"])
    assert added == {"q": ["政务公开"], "region": ["福建省"], "year": [value]}

    selected_page = soup_of(client.get(link["href"]))
    selected_years = facet_links(selected_page, "year")
    assert selected_years[value]["class"].count("selected") == 1
    # The other years stay listed, so the choice can be widened.
    assert set(selected_years) == set(years)
    assert query_of(selected_years[value]["href"]) == {"q": ["政务公开"], "region": ["福建省"]}
    assert result_total(selected_page) == int(years[value].select_one(".count").get_text())


def test_region_facet_drills_down_province_city_county_town(client):
    page = soup_of(client.get("/"))
    assert page.select_one('section.facet[data-facet="city"]') is None
    province = facet_links(page, "province")["湖南省"]
    page = soup_of(client.get(province["href"]))
    city = facet_links(page, "city")["怀化市"]
    assert query_of(city["href"])["region"] == ["湖南省", "怀化市"]
    page = soup_of(client.get(city["href"]))
    county = facet_links(page, "county")["洪江市"]
    page = soup_of(client.get(county["href"]))
    town = facet_links(page, "town")["岩垅乡"]
    page = soup_of(client.get(town["href"]))
    assert set(query_of(town["href"])["region"]) == {"湖南省", "怀化市", "洪江市", "岩垅乡"}
    assert all(hit.select_one(".hit-region").get_text().endswith("岩垅乡") for hit in page.select("article.hit"))


def test_chips_remove_their_filter(client):
    page = soup_of(client.get("/?q=公开&region=福建省&year=2019&section=overview"))
    chips = {chip.get_text(" ", strip=True): chip["href"] for chip in page.select("a.chip")}
    assert len(chips) == 3
    removed = {name: query_of(url) for name, url in chips.items()}
    assert {"q": ["公开"], "year": ["2019"], "section": ["overview"]} in removed.values()
    assert {"q": ["公开"], "region": ["福建省"], "section": ["overview"]} in removed.values()
    assert {"q": ["公开"], "region": ["福建省"], "year": ["2019"]} in removed.values()


def test_no_hits_says_so_and_suggests_removing_filters(client):
    page = soup_of(client.get("/?q=政务公开&year=1990"))
    assert result_total(page) == 0
    assert not page.select("article.hit")
    assert "没有找到" in page.select_one(".no-results").get_text()
    suggestions = [query_of(link["href"]) for link in page.select(".suggestions a")]
    assert {"q": ["政务公开"]} in suggestions


def test_sort_group_and_pagination_links(client):
    page = soup_of(client.get("/?q=公开"))
    sort_year = page.find("a", string="年份")
    assert query_of(sort_year["href"]) == {"q": ["公开"], "sort": ["year"]}
    group = page.select_one("a.group-toggle")
    assert query_of(group["href"]) == {"q": ["公开"], "group": ["report"]}
    grouped = soup_of(client.get(group["href"]))
    assert "份报告" in grouped.select_one("#result-count").get_text()
    ids = [urlsplit(hit.select_one("a.hit-title")["href"]).path for hit in grouped.select("article.hit")]
    assert len(ids) == len(set(ids))
    next_link = page.select_one("nav.pagination a[rel=next]")
    assert query_of(next_link["href"]) == {"q": ["公开"], "page": ["2"]}
    second = soup_of(client.get(next_link["href"]))
    assert second.select_one("nav.pagination .page-current").get_text() == "2"


def test_page_beyond_the_last_says_so(client):
    page = soup_of(client.get("/?q=巖垅鄉&page=50"))
    assert not page.select("article.hit")
    assert "第 1 页" in page.select_one(".no-results").get_text()


# --- Report page ---------------------------------------------------------------------------------

def test_report_page_shows_every_section_in_order_with_anchors(client):
    api = client.get(f"/api/reports/{ID_001}").get_json()
    page = soup_of(client.get(f"/reports/{ID_001}"))
    sections = page.select("section.report-section")
    assert [section["id"] for section in sections] == [f"sec-{n}" for n in range(len(api["sections"]))]
    assert [section.h2.get_text() for section in sections] == [s["heading"] for s in api["sections"]] == [
        "一、總體情況", "二、主動公開政府信息情況", "三、收到和處理政府信息公開申請情況",
        "四、政府信息公開行政復議、行政訴訟情況", "五、存在的主要問題及改進情況", "六、其他需要報告的事項"]
    toc = [link["href"] for link in page.select("nav#toc a")]
    assert toc == [f"#sec-{n}" for n in range(len(sections))]
    subsections = [h3.get_text() for h3 in sections[0].select("h3")]
    assert subsections[0] == "(一)組織領導和制度建設情況"
    meta = page.select_one("aside#report-meta").get_text()
    for expected in ("岩垅乡人民政府", "湖南省", "怀化市", "洪江市", "2022", "2023-01-30", "001_a98acada5b20935e.txt"):
        assert expected in meta


def test_script_switch_converts_the_text(client):
    original = soup_of(client.get(f"/reports/{ID_001}"))
    text = original.select_one("section#sec-0").get_text()
    assert "巖垅鄉" in text and "岩垅乡" not in text
    assert "on" in original.select_one("a#script-traditional")["class"]
    simplified_link = original.select_one("a#script-simplified")["href"]
    assert query_of(simplified_link) == {"script": ["s"]}
    simplified = soup_of(client.get(simplified_link))
    text = simplified.select_one("section#sec-0").get_text()
    assert "岩垅乡" in text and "巖垅鄉" not in text
    assert simplified.select_one("section#sec-0 h2").get_text() == "一、总体情况"
    assert client.get(f"/reports/{ID_001}?script=x").status_code == 400


def test_query_terms_are_marked_in_the_report(client):
    page = soup_of(client.get(f"/reports/{ID_001}?q=政务公开"))
    marks = page.select("section.report-section mark")
    assert marks and all(mark.get_text() == "政務公開" for mark in marks)
    # The switch keeps the query, and marks follow the displayed script.
    simplified = soup_of(client.get(page.select_one("a#script-simplified")["href"]))
    assert {mark.get_text() for mark in simplified.select("section.report-section mark")} == {"政务公开"}
    assert not soup_of(client.get(f"/reports/{ID_001}")).select("mark")


def test_report_links_to_the_same_section_in_other_years(client):
    hits = client.get("/api/search?region=平潭县&section=overview&group=report&size=100").get_json()["hits"]
    same_issuer = [hit for hit in hits if hit["issuer"] == "平潭县人民政府"]
    assert len(same_issuer) > 2
    report_id = same_issuer[0]["report_id"]
    expected = sorted(f"{hit['year']}年" for hit in same_issuer[1:])
    page = soup_of(client.get(f"/reports/{report_id}"))
    overview = page.select_one('section.report-section[data-key="overview"]')
    links = overview.select(".section-years a")
    assert sorted(link.get_text() for link in links) == expected
    target = urlsplit(links[0]["href"])
    assert target.fragment == "s-overview"
    assert target.path != f"/reports/{report_id}"
    other = soup_of(client.get(target.path))
    assert other.select_one("#s-overview") is not None
    assert len(page.select("aside#report-meta .other-years a")) >= len(expected)


@pytest.mark.parametrize("path", ["/reports/0000000000000000", "/reports/nope", "/reports/..%2F..%2Fetc%2Fpasswd",
                                  "/reports/../../etc/passwd", "/reports/0000000000000000/source",
                                  "/reports/..%2Fpyproject.toml/source", "/reports/DF669B923AAC8F6D"])
def test_unknown_or_malformed_report_ids_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/reports/0000000000000000", "/api/reports/..%2Fetc", "/api/reports/x"])
def test_unknown_report_ids_are_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]


def test_download_serves_the_original_bytes(client):
    page = soup_of(client.get(f"/reports/{ID_001}"))
    link = page.select_one("aside#report-meta a.source-link")
    assert link["href"] == f"/reports/{ID_001}/source"
    response = client.get(link["href"])
    assert response.status_code == 200
    assert response.data == (CORPUS / SAMPLE_001).read_bytes()
    assert "attachment" in response.headers["Content-Disposition"]
    response.close()


def test_download_refuses_a_source_outside_the_corpus(sample_index_dir, tmp_path):
    # Served from another corpus folder, the stored relative path points at nothing: 404, not a file elsewhere.
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index_dir), "CORPUS_DIR": str(tmp_path)})
    assert app.test_client().get(f"/reports/{ID_001}/source").status_code == 404


# --- JSON API ------------------------------------------------------------------------------------

def test_api_search_returns_the_design_shape(client):
    response = client.get("/api/search?q=政务公开&region=湖南省&size=2")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "政务公开".encode() in response.data  # UTF-8, not \u escapes
    data = response.get_json()
    assert set(data) >= {"query", "total", "page", "pages", "hits", "facets"}
    assert len(data["hits"]) == 2
    assert set(data["hits"][0]) >= {"report_id", "source", "title", "issuer", "region", "year", "section",
                                    "snippet", "score"}
    assert set(data["facets"]) == {"province", "city", "county", "town", "year", "section"}


def test_api_report_returns_metadata_and_sections(client):
    data = client.get(f"/api/reports/{ID_001}").get_json()
    assert data["report_id"] == ID_001
    assert data["source"] == SAMPLE_001
    assert data["year"] == 2022
    assert data["script"] == "traditional"
    assert [section["key"] for section in data["sections"]] == [
        "overview", "proactive", "applications", "review_litigation", "problems", "other"]


# --- About, errors, headers ------------------------------------------------------------------------

def test_about_page_shows_the_counts_and_the_syntax(client, sample_index):
    from app.search import corpus_stats

    stats = corpus_stats(sample_index)
    page = soup_of(client.get("/about"))
    assert page.select_one('[data-stat="reports"]').get_text() == str(stats["reports"]) == "20"
    assert page.select_one('[data-stat="sections"]').get_text() == str(stats["sections"])
    years = {row.td.get_text(): row.select_one("td.num").get_text() for row in page.select("#stats-by-year tbody tr")}
    assert years == {f"{year}年": str(count) for year, count in stats["by_year"]}
    provinces = [row.td.get_text() for row in page.select("#stats-by-province tbody tr")]
    assert provinces == [name for name, _ in stats["by_province"]]
    syntax = page.select_one("#syntax").find_next("table").get_text()
    for item in ('"短语"', "-词", "OR", "繁体"):
        assert item in syntax


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in soup_of(response).h1.get_text()


def test_an_unexpected_error_is_a_friendly_500_without_traceback(app, monkeypatch):
    import app.web as web

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(web, "corpus_stats", broken)
    app.logger.disabled = True
    try:
        response = app.test_client().get("/about")
    finally:
        app.logger.disabled = False
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "服务器出错了" in body
    assert "secret internals" not in body and "Traceback" not in body


@pytest.mark.parametrize("path", ["/", "/about", f"/reports/{ID_001}", "/api/search?q=公开", "/nope",
                                  "/?page=0", "/static/style.css"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    response.close()


@pytest.mark.parametrize("path", ["/", "/?q=政务公开", "/about", f"/reports/{ID_001}?q=政务公开", "/nope"])
def test_pages_have_no_inline_scripts_or_styles(client, path):
    page = soup_of(client.get(path))
    assert not page.find("style")
    assert all(script.get("src") for script in page.find_all("script"))
    assert not page.select("[style]")
    assert not [tag for tag in page.find_all(True) if any(name.startswith("on") for name in tag.attrs)]


def test_admin_link_only_with_a_token(sample_index_dir):
    plain = create_app({"TESTING": True, "INDEX_DIR": str(sample_index_dir)})
    with_token = create_app({"TESTING": True, "INDEX_DIR": str(sample_index_dir), "ADMIN_TOKEN": "t0ken"})
    assert soup_of(plain.test_client().get("/")).select_one('nav a[href="/admin"]') is None
    assert soup_of(with_token.test_client().get("/")).select_one('nav a[href="/admin"]') is not None


# --- Hostile report text ---------------------------------------------------------------------------

def _assert_no_live_markup(page: BeautifulSoup) -> None:
    assert not page.find("script")
    assert not page.find("img")
    assert not [tag for tag in page.find_all(True) if "onerror" in tag.attrs]


def test_hostile_text_is_escaped_on_the_search_page(hostile_client):
    response = hostile_client.get("/?q=政务公开")
    body = response.get_data(as_text=True)
    page = soup_of(response)
    _assert_no_live_markup(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<script>alert(1)</script>" in page.select_one("a.hit-title").get_text()
    # Browsing (no query: plain snippets) and the hostile issuer in facets are escaped too.
    _assert_no_live_markup(soup_of(hostile_client.get("/")))


def test_hostile_text_is_escaped_on_the_report_page_and_api(hostile_client):
    report_id = report_id_for("reports/evil.txt")
    for url in (f"/reports/{report_id}", f"/reports/{report_id}?q=政务公开", f"/reports/{report_id}?script=t"):
        response = hostile_client.get(url)
        assert response.status_code == 200
        page = soup_of(response)
        _assert_no_live_markup(page)
        assert "<img src=x onerror=alert(1)>" in page.select_one("section#sec-0").get_text()
    marked = soup_of(hostile_client.get(f"/reports/{report_id}?q=script"))
    _assert_no_live_markup(marked)
    api = hostile_client.get(f"/api/reports/{report_id}")
    assert api.get_json()["title"].startswith("<script>alert(1)</script>")
    assert api.headers["Content-Type"].startswith("application/json")
    snippets = " ".join(hit["snippet"] for hit in hostile_client.get("/api/search?q=政务公开").get_json()["hits"])
    assert "<script" not in snippets and "<img" not in snippets
    assert "&lt;script&gt;" in snippets and "&lt;img src=x onerror=alert(1)&gt;" in snippets


def test_parser_warnings_are_shown_in_chinese(client):
    response = client.get("/reports/df669b923aac8f6d")  # sample 001 has no title line
    notice = soup_of(response).select_one(".notice-warnings")
    assert notice is not None and "未找到标题" in notice.get_text()
    assert "no title found" not in notice.get_text()
    ocr = client.get("/api/search?q=%E6%B2%90%E9%98%B3%E5%8E%BF&group=report").get_json()["hits"][0]["report_id"]
    assert "不是规范名称" in soup_of(client.get(f"/reports/{ocr}")).select_one(".notice-warnings").get_text()
