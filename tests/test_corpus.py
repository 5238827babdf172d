"""Every sample report: the metadata and sections a reader of the report would write down."""

import re
from pathlib import Path

import pytest

from indexer.pipeline import parse_report
from indexer.script import to_simplified

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "reports"

TEMPLATE_2019 = ["overview", "proactive", "applications", "review_litigation", "problems", "other"]
PINGTAN = ("福建省", "福州市", "平潭县", None)

# file prefix: (issuer, year, published, (province, city, county, town), section keys in order)
EXPECTED = {
    "000": ("余坊乡人民政府", 2019, None, ("福建省", "三明市", "将乐县", "余坊乡"), TEMPLATE_2019),
    "001": ("岩垅乡人民政府", 2022, "2023-01-30", ("湖南省", "怀化市", "洪江市", "岩垅乡"), TEMPLATE_2019),
    "002": ("青山区人民政府", 2018, "2019-03-22", ("内蒙古自治区", "包头市", "青山区", None),
            ["overview", "proactive", "applications", "complaints", "review_litigation", "problems"]),
    "003": ("鹤城区人民政府", 2019, None, ("湖南省", "怀化市", "鹤城区", None), TEMPLATE_2019),
    "004": ("巴丹吉林镇人民政府", 2020, "2021-01-31", ("内蒙古自治区", "阿拉善盟", "阿拉善右旗", "巴丹吉林镇"),
            TEMPLATE_2019[:-1]),
    "101": ("沐阳县人民政府", 2025, "2026-01-23", ("江苏省", "宿迁市", "沭阳县", None), TEMPLATE_2019),
    "102": ("上海市科委", 2024, None, ("上海市", None, None, None),
            ["overview", "proactive", "applications", "review_litigation", "other"]),
    "103": ("上海市人民政府办公厅", 2019, "2020-01-31", ("上海市", None, None, None), TEMPLATE_2019),
    "201": ("平潭县人民政府", 2011, "2012-04-18", PINGTAN, ["overview", "proactive", "applications", "problems"]),
    "202": ("平潭县人民政府", 2012, "2013-01-17", PINGTAN, ["overview", "proactive", "applications", "problems"]),
    "203": ("平潭综合实验区管委会", 2012, "2013-02-25", PINGTAN, ["overview", "proactive", "applications", "problems"]),
    "205": ("平潭综合实验区地方税务局", 2013, "2014-02-25", PINGTAN,
            ["overview", "proactive", "applications", "review_litigation"]),
    "206": ("平潭综合实验区管委会办公室", 2013, "2014-01-10", PINGTAN,
            ["overview", "proactive", "applications", "problems"]),
    "208": ("平潭县人民政府", 2015, "2016-01-12", PINGTAN,
            ["overview", "proactive", "applications", "fees", "review_litigation", "problems", "other"]),
    "209": ("平潭县人民政府", 2016, "2017-01-18", PINGTAN,
            ["overview", "proactive", "applications", "fees", "review_litigation", "problems", "other"]),
    "210": ("平潭县人民政府", 2017, "2018-01-23", PINGTAN,
            ["overview", "proactive", "applications", "review_litigation", "problems", "other"]),
    "212": ("平潭县人民政府", 2019, "2020-01-20", PINGTAN, TEMPLATE_2019),
    "214": ("平潭县人民政府", 2021, "2022-02-08", PINGTAN, TEMPLATE_2019),
    "216": ("平潭综合实验区管委会办公室", 2023, "2024-03-08", PINGTAN, TEMPLATE_2019),
    "218": ("平潭综合实验区管委会办公室", 2025, "2026-03-10", PINGTAN, TEMPLATE_2019),
}

FURNITURE = re.compile(
    r"您当前的位置|当前位置|扫一扫|掃一掃|字体[:：]\s*\[|浏览次数|瀏覽次數|^编辑[:：]|^信息来源|^信息來源|"
    r"發布時間|发布时间[:：]|闽政通APP|网站支持IPV6|无障碍浏览|热门搜索|QQ空间",
    re.MULTILINE,
)


def sample(prefix):
    (path,) = CORPUS.glob(f"{prefix}_*")
    return path


@pytest.fixture(scope="module")
def reports():
    return {prefix: parse_report(sample(prefix)) for prefix in EXPECTED}


def test_every_sample_is_covered():
    assert sorted(path.name[:3] for path in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_sample_metadata_and_sections(reports, prefix):
    issuer, year, published, region, keys = EXPECTED[prefix]
    report = reports[prefix]
    assert report.issuer == issuer
    assert report.year == year
    assert report.published == published
    assert (report.region.province, report.region.city, report.region.county, report.region.town) == region
    assert [section.key for section in report.sections] == keys


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_no_furniture_left(reports, prefix):
    report = reports[prefix]
    texts = [report.preamble] + [section.heading + "\n" + section.full_text() for section in report.sections]
    for text in texts:
        assert not FURNITURE.search(text), FURNITURE.search(text).group(0)


def test_titles_as_written(reports):
    assert reports["000"].title is None and reports["001"].title is None
    assert reports["004"].title == "阿拉善右旗巴丹吉林镇人民政府2020年政府信息公开工作年度报告"
    # A PDF's title broken over two lines is joined.
    assert reports["102"].title == "2024 年上海市科委政府信息公开工作年度报告"
    assert reports["212"].title == "平潭综合实验区2019年度政府信息公开工作年度报告"


def test_traditional_sample_keeps_its_script(reports):
    report = reports["001"]
    assert report.script == "traditional"
    assert report.sections[0].heading == "一、總體情況"
    assert all(reports[prefix].script == "simplified" for prefix in EXPECTED if prefix != "001")


def test_ocr_misread_place_name_is_flagged(reports):
    assert any("沐阳县" in warning and "沭阳县" in warning for warning in reports["101"].warnings)


def test_missing_problems_heading_is_flagged(reports):
    assert "section 'problems' not found" in reports["102"].warnings


def test_table_rows_stay_inside_the_applications_section(reports):
    for prefix in ("000", "001", "004", "212", "214", "216", "218"):
        applications = next(s for s in reports[prefix].sections if s.key == "applications")
        text = to_simplified(applications.full_text())
        assert "本年新收政府信息公开申请数量" in text, prefix
        assert "结转下年度继续办理" in text, prefix


def test_signature_is_not_section_text(reports):
    other = reports["101"].sections[-1]
    assert not other.full_text().rstrip().endswith("2026年1月23日")
