"""The compare view (sentence alignment, char diff, shared sentences) and the CSV / JSON Lines exports."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from app import create_app
from app.compare import (
    CSV_BOM,
    EXPORT_COLUMNS,
    EXPORT_MAX_ROWS,
    char_diff,
    char_diff_spans,
    compare_columns,
    section_units,
    shared_counts,
    split_sentences,
)
from indexer.indexing import index_corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PINGTAN_2011 = "c4dc7c0c3812ef8a"
PINGTAN_2012 = "14a36fd5b09fc32b"
PINGTAN_2015 = "a1f7f8c94f5d2a23"  # 平潭县人民政府, 2015
PINGTAN_2017 = "6c29e3b03d04519c"  # 平潭县人民政府, 2017
YANLONG_2022 = "df669b923aac8f6d"  # 岩垅乡, traditional script

HOSTILE_A = """<script>alert(1)</script>洪江市岩垅乡人民政府2021年政府信息公开工作年度报告
一、总体情况
2021年，岩垅乡认真做好政务公开工作<script>alert(1)</script>，并且<img src=x onerror=alert(1)>继续推进。
三、存在的主要问题及改进情况
政务公开工作仍有不足<img src=x onerror=alert(1)>。
"""
HOSTILE_B = HOSTILE_A.replace("2021", "2022").replace("仍有不足", "仍有<b>较多</b>不足")


@pytest.fixture(scope="module")
def client(sample_index_dir):
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index_dir), "CORPUS_DIR": str(CORPUS)})
    return app.test_client()


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def marked(markup: str, tag: str) -> str:
    return "".join(re.findall(rf"<{tag}>(.*?)</{tag}>", str(markup)))


# --- Pure functions --------------------------------------------------------------------------------

def test_char_diff_marks_exactly_the_changed_characters():
    old, new = char_diff("本年度共发布信息30条。", "本年度共发布信息45条，较上年增加。")
    assert str(old) == "本年度共发布信息<del>30</del>条。"
    assert str(new) == "本年度共发布信息<ins>45</ins>条，<ins>较上年增加</ins>。"
    assert marked(old, "del") == "30" and marked(new, "ins") == "45较上年增加"


def test_punctuation_whitespace_and_script_differences_are_not_marked():
    assert char_diff_spans("政务公开，依法公开。", "政务公开 依法公开") == (set(), set())
    assert char_diff_spans("政务公开工作", "政務公開工作") == (set(), set())
    old, new = char_diff("政务公开，本年30条", "政務公開。本年31條")
    assert marked(old, "del") == "0" and marked(new, "ins") == "1"  # character by character
    assert "<ins>" not in str(char_diff("a、b", "a, b")[1])


def test_a_deleted_sentence_is_one_run_across_its_commas():
    old, new = char_diff("一是甲，二是乙。\n三是丙。", "三是丙。")
    assert str(old) == "<del>一是甲，二是乙</del>。<br>三是丙。".replace("<br>", "\n")
    assert str(new) == "三是丙。"


def test_char_diff_escapes_the_text():
    old, new = char_diff("<b>甲</b>", "<b>乙</b>")
    assert "<b>" not in str(old) and "&lt;b&gt;" in str(old)
    assert str(new) == "&lt;b&gt;<ins>乙</ins>&lt;/b&gt;"


def test_sentences_split_at_end_marks_and_line_breaks():
    assert split_sentences("一是甲；二是乙。\n三是丙！还有吗？\n——\n最后") == [
        "一是甲；", "二是乙。", "三是丙！", "还有吗？——", "最后"]
    units = section_units("总述。", [{"heading": "（一）小标题", "text": "细节一。细节二。"}])
    assert [(unit.text, unit.heading) for unit in units] == [
        ("总述。", False), ("（一）小标题", True), ("细节一。", False), ("细节二。", False)]


def test_two_columns_align_equal_sentences_and_diff_the_rest():
    left = section_units("相同的开头。本年度共发布信息30条。相同的结尾。")
    right = section_units("相同的开头。本年度共发布信息45条，较上年增加。新增一句。相同的结尾。")
    rows = compare_columns([left, right])
    assert [row.changed for row in rows] == [False, True, False]
    assert str(rows[0].html[0]) == str(rows[0].html[1]) == "相同的开头。"
    assert marked(rows[1].html[0], "del") == "30"
    assert marked(rows[1].html[1], "ins") == "45较上年增加新增一句"


def test_shared_sentences_are_counted_across_several_columns():
    columns = [
        section_units("公开是原则。本年发布30条。不足是宣传。"),
        section_units("公開是原則。本年发布40条。不足是宣传。"),
        section_units("公开是原则！本年发布50条。另有一句。"),
    ]
    counts = shared_counts(columns)
    assert counts["公开是原则"] == 3 and counts["不足是宣传"] == 2 and counts["另有一句"] == 1
    rows = compare_columns(columns)
    first = rows[0]
    assert first.shared == [3, 3, 3]
    assert [cell[0].text for cell in first.cells] == ["公开是原则。", "公開是原則。", "公开是原则！"]
    badge_rows = [row for row in rows if any("不足是宣传" in unit.text for cell in row.cells for unit in cell)]
    assert badge_rows and badge_rows[0].shared[:2] == [2, 2]
    lonely = [row for row in rows if any(unit.text == "另有一句。" for cell in row.cells for unit in cell)]
    assert lonely[0].shared[2] == 1 and "<mark" not in str(lonely[0].html[2])


# --- The compare page ------------------------------------------------------------------------------

def test_compare_two_pingtan_reports_renders_both_columns(client):
    response = client.get(f"/compare?section=problems&r={PINGTAN_2015}&r={PINGTAN_2017}")
    assert response.status_code == 200
    page = soup_of(response)
    columns = page.select("#compare-table thead th.compare-column")
    assert [column["data-report"] for column in columns] == [PINGTAN_2015, PINGTAN_2017]
    assert "2015年" in columns[0].get_text() and "2017年" in columns[1].get_text()
    assert "平潭县" in columns[0].get_text()
    rows = page.select("#compare-table tbody tr.compare-row")
    assert rows and all(len(row.select("td")) == 2 for row in rows)
    api = client.get(f"/api/reports/{PINGTAN_2015}").get_json()
    problems = next(section for section in api["sections"] if section["key"] == "problems")
    first_sentence = section_units(problems["text"], problems["subsections"])[0].text
    left_text = "".join(row.select("td")[0].get_text() for row in rows)
    assert first_sentence in left_text
    assert page.select_one("a.compare-csv")["href"].startswith("/compare.csv?")


def test_compare_across_scripts_and_many_columns(client):
    ids = [YANLONG_2022, PINGTAN_2011, PINGTAN_2012]
    page = soup_of(client.get("/compare?section=problems&" + "&".join(f"r={value}" for value in ids)))
    assert len(page.select("#compare-table thead th")) == 3
    assert "存在的主要問題" in page.select_one("#compare-table thead").get_text()  # shown in its own script
    assert page.select(".share-badge")  # the 2011 and 2012 Pingtan reports share sentences
    assert all(re.fullmatch(r"[23]/3", badge.get_text()) for badge in page.select(".share-badge"))


@pytest.mark.parametrize("query", [
    "", f"section=problems&r={PINGTAN_2015}", f"r={PINGTAN_2015}&r={PINGTAN_2017}",
    f"section=nonsense&r={PINGTAN_2015}&r={PINGTAN_2017}", f"section=problems&r={PINGTAN_2015}&r=0000000000000000",
    f"section=problems&r={PINGTAN_2015}&r=../../etc/passwd", f"section=problems&r={PINGTAN_2015}&r={PINGTAN_2015}",
    "section=problems&" + "&".join(f"r={n:016x}" for n in range(7)),
])
def test_bad_compare_parameters_give_a_400_page_with_a_sentence(client, query):
    for path in ("/compare", "/compare.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        message = soup_of(response).select_one(".error-message").get_text()
        assert re.search(r"[\u4e00-\u9fff]", message)


def test_compare_csv_has_one_column_per_report(client):
    response = client.get(f"/compare.csv?section=problems&r={PINGTAN_2015}&r={PINGTAN_2017}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data().decode("utf-8")
    assert text.startswith(CSV_BOM)
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:2] == ["row", "shared"] and len(rows[0]) == 4
    assert PINGTAN_2015 in rows[0][2] and PINGTAN_2017 in rows[0][3]
    assert len(rows) > 2 and all(len(row) == 4 for row in rows)


def test_search_results_have_compare_checkboxes_in_a_get_form(client):
    page = soup_of(client.get("/?region=平潭县&section=problems"))
    form = page.select_one("form#compare-form")
    assert form["action"] == "/compare" and form["method"] == "get"
    picks = form.select("input.compare-pick[name=r]")
    assert len(picks) == len(page.select("article.hit"))
    assert form.select_one("select[name=section] option[selected]")["value"] == "problems"
    assert form.select_one("button[type=submit]")
    # Submitting two ticked boxes is a compare URL that works.
    ids = [pick["value"] for pick in picks][:2]
    response = client.get(f"/compare?section=problems&r={ids[0]}&r={ids[1]}")
    assert response.status_code == 200


def test_report_page_links_to_a_comparison_of_other_years(client):
    page = soup_of(client.get(f"/reports/{PINGTAN_2017}"))
    link = page.select_one('section.report-section[data-key="problems"] a.compare-years')
    assert link.get_text() == "对比其他年份"
    url = urlsplit(link["href"])
    args = parse_qs(url.query)
    assert url.path == "/compare" and args["section"] == ["problems"]
    assert PINGTAN_2017 in args["r"] and 2 <= len(args["r"]) <= 6
    assert client.get(link["href"]).status_code == 200


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-compare")
    reports = base / "corpus" / "reports"
    reports.mkdir(parents=True)
    (reports / "evil-a.txt").write_text(HOSTILE_A, encoding="utf-8")
    (reports / "evil-b.txt").write_text(HOSTILE_B, encoding="utf-8")
    index_dir = base / "index"
    assert index_corpus(base / "corpus", index_dir).reports == 2
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "CORPUS_DIR": str(base / "corpus")})
    return app.test_client()


def test_hostile_text_is_escaped_in_the_compare_view_and_exports(hostile_client):
    ids = sorted({hit["report_id"] for hit in hostile_client.get("/api/search?size=100").get_json()["hits"]})
    assert len(ids) == 2
    for key in ("overview", "problems"):
        response = hostile_client.get(f"/compare?section={key}&r={ids[0]}&r={ids[1]}")
        assert response.status_code == 200
        page = soup_of(response)
        assert not page.find("script") and not page.find("img") and not page.find("b")
        assert not [tag for tag in page.find_all(True) if "onerror" in tag.attrs]
        assert "<img" in page.select_one("#compare-table tbody").get_text()
        assert {tag.name for tag in page.select("#compare-table tbody *")} <= {"tr", "td", "ins", "del", "br"}
    jsonl = hostile_client.get("/export.jsonl?q=政务公开").get_data(as_text=True)
    assert "<img" in jsonl  # plain text in a data file, not markup


# --- Exports ---------------------------------------------------------------------------------------

def test_export_csv_has_bom_header_chinese_and_every_row(client):
    total = client.get("/api/search?region=平潭县").get_json()["total"]
    assert 10 < total < EXPORT_MAX_ROWS  # more than one page of the search page
    response = client.get("/export.csv?region=平潭县")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))
    assert rows[0] == list(EXPORT_COLUMNS)
    assert len(rows) - 1 == total
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert {record["county"] for record in records} == {"平潭县"}
    assert all(record["url"].startswith("http://localhost/reports/") for record in records)
    assert any("平潭县人民政府" == record["issuer"] for record in records)


def test_export_jsonl_lines_parse_and_snippets_are_plain(client):
    total = client.get("/api/search?q=政务公开").get_json()["total"]
    response = client.get("/export.jsonl?q=政务公开&page=2")  # the page is ignored: all pages
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == total
    records = [json.loads(line) for line in lines]
    assert set(records[0]) == set(EXPORT_COLUMNS)
    assert all("<mark>" not in record["snippet"] for record in records)
    assert any("政务公开" in record["snippet"] for record in records)


def test_export_refuses_bad_parameters_and_is_linked_from_the_search_page(client):
    assert client.get("/export.csv?year=abc").status_code == 400
    assert client.get("/export.jsonl?section=x").status_code == 400
    page = soup_of(client.get("/?q=政务公开&year=2019"))
    csv_link = page.select_one("a.export-csv")["href"]
    assert urlsplit(csv_link).path == "/export.csv"
    assert parse_qs(urlsplit(csv_link).query) == {"q": ["政务公开"], "year": ["2019"]}
    assert urlsplit(page.select_one("a.export-jsonl")["href"]).path == "/export.jsonl"
    assert str(EXPORT_MAX_ROWS) in soup_of(client.get("/about")).get_text()
