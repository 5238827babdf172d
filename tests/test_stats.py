"""Statistics tables in the index: report page tables, the 数据不一致 filter, /stats, /stats.csv, /api/stats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app import create_app
from app.search import KEY_FIGURES, SearchRequest, get_report, open_index, search
from indexer.indexing import index_corpus, report_id_for

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REPORTS = CORPUS / "reports"


def sample(number: str) -> Path:
    (path,) = REPORTS.glob(f"{number}_*")
    return path


def sample_id(number: str) -> str:
    return report_id_for(sample(number).relative_to(CORPUS).as_posix())


ID_000, ID_103, ID_201 = sample_id("000"), sample_id("103"), sample_id("201")
NEW_APPLICATIONS = "一、本年新收政府信息公开申请数量 |\n0 |\n"


@pytest.fixture(scope="module")
def client(sample_index_dir):
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index_dir), "CORPUS_DIR": str(CORPUS)})
    return app.test_client()


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A corpus of sample 000 as printed, and a copy whose table 3 does not add up (新收 自然人 0 -> 7)."""
    corpus = tmp_path_factory.mktemp("broken-corpus")
    text = sample("000").read_text(encoding="utf-8")
    assert text.count(NEW_APPLICATIONS) == 1
    (corpus / "good.txt").write_text(text, encoding="utf-8")
    (corpus / "broken.txt").write_text(text.replace(NEW_APPLICATIONS, NEW_APPLICATIONS.replace("0 |", "7 |", 1)),
                                       encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("broken-index")
    summary = index_corpus(corpus, index_dir)
    assert not summary.failed and summary.reports == 2
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus)})
    return app.test_client(), open_index(index_dir)


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200, response.data[:500]
    return BeautifulSoup(response.data.decode("utf-8"), "html.parser")


# --- index and report page -----------------------------------------------------------------------

def test_index_stores_tables_and_consistency(sample_index):
    report = get_report(sample_index, ID_000)
    assert report.tables["table2"]["proactive.procurement.items"] == 4
    assert report.consistency == "ok"
    assert get_report(sample_index, ID_103).tables["table3"]["applications.new.total"] == 859
    assert get_report(sample_index, ID_201).consistency == "none"


def test_report_page_shows_tables(client):
    page = soup_of(client.get(f"/reports/{ID_000}"))
    tables = page.select_one("#tables")
    assert tables is not None
    procurement = {cell["data-cell"]: cell.get_text(strip=True) for cell in tables.select("#table2 td[data-cell]")}
    assert procurement["proactive.procurement.items"] == "4"
    assert procurement["proactive.procurement.amount"] == "20477"
    header = [th.get_text(strip=True) for th in tables.select("#table3 thead th")]
    assert header[1:] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    first = tables.select_one("#table3 tbody tr")
    assert "本年新收" in first.th.get_text()
    assert [td.get_text(strip=True) for td in first.select("td")] == ["0"] * 7
    assert tables.select("#table4 tbody tr") and not tables.select(".check-failed")
    assert "勾稽关系检查全部通过" in tables.get_text()


def test_old_report_says_no_standard_tables(client):
    page = soup_of(client.get(f"/reports/{ID_201}"))
    assert "无标准统计表" in page.select_one("#tables").get_text()
    assert not page.select("#table3")


def test_api_report_has_tables(client):
    data = client.get(f"/api/reports/{ID_103}").get_json()
    assert data["tables"]["table3"]["applications.new.total"] == 859
    assert data["consistency"] in ("ok", "failed")


# --- a table that does not add up ----------------------------------------------------------------

def test_broken_table_is_found_by_consistency_filter(broken):
    client, index = broken
    page = search(index, SearchRequest(consistency=("failed",), group_by_report=True))
    assert [hit.source for hit in page.hits] == ["broken.txt"]
    assert {value.value: value.count for value in page.consistency} == {"failed": 1, "ok": 1}
    assert search(index, SearchRequest(consistency=("ok",), group_by_report=True)).hits[0].source == "good.txt"
    soup = soup_of(client.get("/?consistency=failed&group=report"))
    assert [a["href"].split("?")[0].split("#")[0] for a in soup.select("a.hit-title")] == \
        [f"/reports/{report_id_for('broken.txt')}"]
    assert "数据不一致" in soup.select_one(".chips").get_text()
    labels = soup.select('[data-facet="consistency"] .facet-label')
    assert {label.get_text(strip=True).lstrip("✓") for label in labels} == {"数据不一致", "数据一致"}


def test_broken_table_page_lists_failed_checks(broken):
    client, _ = broken
    soup = soup_of(client.get(f"/reports/{report_id_for('broken.txt')}"))
    rules = {item["data-rule"] for item in soup.select(".failed-checks li")}
    assert rules == {"applications.balance.natural_person", "applications.row_total.new"}
    text = soup.select_one(".failed-checks").get_text()
    assert "本年新收" in text and "应为" in text and "填报为" in text
    failed = soup.select_one('#table3 td[data-cell="applications.new.natural_person"]')
    assert "check-failed" in failed["class"] and failed.get_text(strip=True) == "7"
    good = soup_of(client.get(f"/reports/{report_id_for('good.txt')}"))
    assert not good.select(".failed-checks") and not good.select(".check-failed")


def test_consistency_param_is_validated(client):
    assert client.get("/?consistency=bogus").status_code == 400
    assert client.get("/api/search?consistency=bogus").status_code == 400


# --- /stats, /api/stats, /stats.csv --------------------------------------------------------------

def test_api_stats_shape_and_figures(client):
    data = client.get("/api/stats").get_json()
    assert set(data) >= {"reports", "reports_with_tables", "figures", "totals", "rows", "by_year", "outcomes",
                         "top_issuers"}
    assert data["reports"] == 20
    assert [figure["key"] for figure in data["figures"]] == [key for key, _ in KEY_FIGURES]
    rows = {row["report_id"]: row for row in data["rows"]}
    assert rows[ID_103]["figures"]["applications"] == 859
    assert rows[ID_000]["figures"]["applications"] == 0
    assert rows[ID_201]["figures"]["applications"] is None and not rows[ID_201]["has_tables"]
    assert data["totals"]["applications"] == sum(row["figures"]["applications"] or 0 for row in data["rows"])
    assert data["rows"][0]["report_id"] == ID_103  # sorted by applications, largest first
    assert all(set(item) == {"year", "reports", "applications"} for item in data["by_year"])
    assert data["top_issuers"][0] == {"issuer": rows[ID_103]["issuer"], "applications": 859}


def test_api_stats_filters_and_errors(client):
    data = client.get("/api/stats?year=2019").get_json()
    assert data["reports"] and all(row["year"] == 2019 for row in data["rows"])
    assert client.get("/api/stats?sort=nonsense").status_code == 400
    assert "error" in client.get("/api/stats?year=abc").get_json()


def test_stats_csv(client):
    response = client.get("/stats.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["report_id", "title", "issuer"] and "applications" in header
    by_id = {row[0]: dict(zip(header, row)) for row in rows[1:]}
    assert len(by_id) == 20
    assert by_id[ID_103]["applications"] == "859"
    assert by_id[ID_201]["applications"] == ""


def test_stats_page_renders_with_filters(client):
    soup = soup_of(client.get("/stats"))
    assert soup.select_one('nav.site-nav a[href="/stats"]')["aria-current"] == "page"
    assert int(soup.select_one("#stats-summary")["data-reports"]) == 20
    for canvas in ("chart-years", "chart-outcomes", "chart-issuers"):
        assert soup.select_one(f"canvas#{canvas}") is not None
    data = json.loads(soup.select_one("script#stats-data").string)
    assert set(data) == {"by_year", "outcomes", "top_issuers"}
    scripts = [script.get("src") for script in soup.select("script[src]")]
    assert any("vendor/chartjs/" in src for src in scripts) and any(src.endswith("stats.js") for src in scripts)
    filtered = soup_of(client.get("/stats?year=2019&sort=denied"))
    assert int(filtered.select_one("#stats-summary")["data-reports"]) < 20
    assert filtered.select_one('th[data-figure="denied"] [aria-current]') is not None
    links = [a["href"] for a in filtered.select("#stats-table thead a")]
    assert links and all("year=2019" in link for link in links)
    assert "year=2019" in filtered.select_one("a.stats-csv")["href"]
    assert client.get("/stats?sort=nonsense").status_code == 400


def test_stats_table_is_paged_in_sort_order(sample_index_dir):
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index_dir), "CORPUS_DIR": str(CORPUS),
                      "STATS_PAGE_ROWS": 6})
    client = app.test_client()
    everything = client.get("/api/stats?sort=year").get_json()["rows"]
    shown, url, pages = [], "/stats?sort=year", 0
    while url:
        soup = soup_of(client.get(url))
        shown += [row["data-report"] for row in soup.select("#stats-table tbody tr")]
        pages += 1
        following = soup.select_one("nav.stats-pagination a.page-next")
        url = following["href"] if following else None
        assert url is None or "sort=year" in url
    assert pages == -(-len(everything) // 6) and shown == [row["report_id"] for row in everything]
    assert client.get("/stats?page=99").status_code == 400


def test_stats_data_block_cannot_close_its_script():
    from app.web import _script_json

    text = str(_script_json({"issuer": "</script><script>alert(1)</script>"}))
    assert "</" not in text and "<" not in text
    assert json.loads(text)["issuer"].startswith("</script>")


def test_vendored_chart_library_is_served(client):
    response = client.get("/static/vendor/chartjs/chart.umd.min.js")
    try:
        assert response.status_code == 200 and b"Chart.js v4" in response.data[:200]
    finally:
        response.close()
    assert (ROOT / "static" / "vendor" / "chartjs" / "LICENSE.md").is_file()
    response = client.get("/static/stats.js")
    try:
        assert response.status_code == 200
    finally:
        response.close()
