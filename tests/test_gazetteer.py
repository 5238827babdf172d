"""The division table and region resolution, on inline strings and the sample reports."""

from __future__ import annotations

import html
import re
from pathlib import Path

import opencc
import pytest

from indexer.gazetteer import (
    Division,
    division_names,
    find,
    load_gazetteer,
    resolve_region,
    short_name,
)
from indexer.models import Region

REPORTS = Path(__file__).resolve().parent.parent / "corpus" / "reports"
T2S = opencc.OpenCC("t2s")


def report_clues(filename: str) -> tuple[list[str], str]:
    """Return a sample's first five non-empty lines and whole text, simplified, as metadata does."""
    text = (REPORTS / filename).read_text(encoding="utf-8")
    if filename.endswith(".html"):
        # A crude strip is enough here: the <title> comes first, then the page.
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", text)
        text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    text = T2S.convert(text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[:5], text


# -- the table ---------------------------------------------------------------------------------


def test_rows_per_level():
    gazetteer = load_gazetteer()
    assert gazetteer.count("province") == 31
    assert gazetteer.count("city") >= 320  # 342 rows less 市辖区/县/省直辖… placeholders
    assert gazetteer.count("county") >= 2800
    assert gazetteer.count("town") >= 38000


def test_lookup_by_code():
    gazetteer = load_gazetteer()
    county = gazetteer.division("321322")
    assert county == Division("321322", "沭阳县", "county")
    assert [parent.name for parent in county.parents] == ["江苏省", "宿迁市"]
    assert county.region() == Region("江苏省", "宿迁市", "沭阳县", None)
    # A municipality's 市辖区 row is a placeholder, not a city.
    assert gazetteer.division("3101") is None
    assert gazetteer.division("310104").region() == Region("上海市", None, "徐汇区", None)


def test_find_by_name_returns_every_namesake():
    qingshan = find("青山区")
    assert sorted(division.full_name() for division in qingshan) == [
        "内蒙古自治区包头市青山区",
        "湖北省武汉市青山区",
    ]
    assert all(division.level == "county" for division in qingshan)
    assert len(find("城关镇")) > 50
    town = find("岩垅乡")
    assert [division.full_name() for division in town] == ["湖南省怀化市洪江市岩垅乡"]
    assert town[0].code == "431281217"
    assert find("巖垅鄉") == []  # the table is in simplified script only
    assert find("不存在县") == []


def test_find_follows_aliases():
    assert [division.full_name() for division in find("平潭综合实验区")] == ["福建省福州市平潭县"]


def test_no_city_level():
    # Counties run by a province and cities without counties.
    assert find("仙桃市")[0].region() == Region("湖北省", None, "仙桃市", None)
    assert [division.level for division in find("东莞市")] == ["city"]
    humen = [town for town in find("虎门镇") if town.parents[0].name == "广东省"]
    assert humen[0].region() == Region("广东省", "东莞市", None, "虎门镇")


def test_division_names():
    names = division_names()
    assert len(names) == len(set(names)) > 30000
    assert {"北京市", "包头市", "沭阳县", "巴丹吉林镇", "岩垅乡"} <= set(names)
    assert "市辖区" not in names and "省直辖县级行政区划" not in names


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("包头市", "包头"),
        ("内蒙古自治区", "内蒙古"),
        ("广西壮族自治区", "广西"),
        ("恩施土家族苗族自治州", "恩施"),
        ("博尔塔拉蒙古自治州", "博尔塔拉"),
        ("阿拉善盟", "阿拉善"),
        ("六盘水市", "六盘水"),  # 水 is a nationality, but only autonomous areas carry one
        ("北京市", "北京"),
        ("青山区", None),
    ],
)
def test_short_name(name, short):
    assert short_name(name) == short


# -- finding names in clues --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "中华人民共和国政府信息公开条例",
        "人民政府",
        "市辖区",
        "政府信息公开工作年度报告",
        "湖南县级单位",  # 南县 inside a word
        "全县各乡镇、街道和县直部门",  # 和县 inside a word
        "主城区",  # 城区 inside a word
        "开发区管委会",  # a town-level NBS unit, too generic to look for
        "苏木镇",  # a category heading, not a name
    ],
)
def test_common_words_give_no_region(text):
    assert load_gazetteer().scan(text) == []
    region, warnings = resolve_region([text], text)
    assert region == Region()
    assert warnings == ["region: no division name found in the title, issuer or first lines"]


def test_longest_names_win():
    mentions = load_gazetteer().scan("阿拉善右旗巴丹吉林镇人民政府")
    assert [mention.written for mention in mentions] == ["阿拉善右旗", "巴丹吉林镇"]
    mentions = load_gazetteer().scan("鹤城区2019年")
    assert [mention.written for mention in mentions] == ["鹤城区"]


def test_one_character_stem_after_another_name():
    region, warnings = resolve_region(["安徽省和县人民政府2020年政府信息公开工作年度报告"])
    assert region == Region("安徽省", "马鞍山市", "和县", None)
    assert warnings == []


# -- same-named places -------------------------------------------------------------------------


def test_qingshan_told_apart_by_context():
    clues = ["青山区2018年政府信息公开年度报告"]
    region, warnings = resolve_region(clues, "按照国务院、自治区和包头市政务公开有关要求")
    assert region == Region("内蒙古自治区", "包头市", "青山区", None)
    assert warnings == []
    region, warnings = resolve_region(clues, "武汉青山区全年主动公开政府信息")
    assert region == Region("湖北省", "武汉市", "青山区", None)
    assert warnings == []


def test_qingshan_told_apart_by_a_clue():
    region, warnings = resolve_region(["包头市青山区人民政府"])
    assert region == Region("内蒙古自治区", "包头市", "青山区", None)
    assert warnings == []


def test_qingshan_without_context_is_left_empty():
    region, warnings = resolve_region(["青山区2018年政府信息公开年度报告"], "区政府办公室")
    assert region == Region()
    assert warnings == [
        "region: '青山区' matches 2 divisions (内蒙古自治区包头市青山区, 湖北省武汉市青山区) "
        "and the text does not say which; county, city, province left empty"
    ]


def test_namesakes_told_apart_by_province():
    # 人民街道 is in four provinces; with 湖南 in the text only one is left.
    region, warnings = resolve_region(["人民街道办事处"], "湖南省")
    assert region == Region("湖南省", "衡阳市", "石鼓区", "人民街道")
    assert warnings == []


def test_namesakes_in_one_province_keep_the_province():
    # 新华区: 石家庄 and 沧州 (河北), 平顶山 (河南); 河北 alone leaves two.
    region, warnings = resolve_region(["新华区人民政府"], "河北省")
    assert region == Region("河北省", None, None, None)
    assert warnings == [
        "region: '新华区' matches 2 divisions (河北省石家庄市新华区, 河北省沧州市新华区) "
        "and the text does not say which; county, city left empty"
    ]


# -- traditional script, OCR errors ------------------------------------------------------------


def test_traditional_issuer_after_t2s():
    clue = T2S.convert("發布時間:2023-01-30 11:31 信息來源:洪江市巖垅鄉人民政府")
    assert "洪江市岩垅乡" in clue
    region, warnings = resolve_region([clue])
    assert region == Region("湖南省", "怀化市", "洪江市", "岩垅乡")
    assert warnings == []


def test_ocr_misreading_is_read_as_the_official_name():
    region, warnings = resolve_region(["沐阳县人民政府 2025 年 政府信息公开工作年度报告"])
    assert region == Region("江苏省", "宿迁市", "沭阳县", None)
    assert warnings == ["region: '沐阳县' is not an official name; read as 沭阳县 (江苏省宿迁市)"]


def test_misreading_narrowed_by_context():
    # 泗阳县 is one character away too and also in 宿迁; 浮阳县 does not exist.
    gazetteer = load_gazetteer()
    near = {division.name for division in gazetteer.near_names("沐阳县")}
    assert {"沭阳县", "泗阳县", "汝阳县", "泌阳县", "沐川县"} <= near
    region, warnings = resolve_region(["宿迁市沐阳县人民政府"])
    assert region == Region("江苏省", "宿迁市", "沭阳县", None)
    assert warnings == ["region: '沐阳县' is not an official name; read as 沭阳县 (江苏省宿迁市)"]
    # Unique in the context without any look-alike: 江苏 leaves 射阳/泗阳/沭阳, 盐城 only 射阳.
    region, warnings = resolve_region(["浮阳县人民政府"], "江苏省盐城市")
    assert region == Region("江苏省", "盐城市", "射阳县", None)
    assert warnings == ["region: '浮阳县' is not an official name; read as 射阳县 (江苏省盐城市)"]


def test_unknown_name_without_a_single_reading():
    region, warnings = resolve_region(["浮阳县人民政府"])
    assert region == Region()
    assert warnings[0].startswith("region: '浮阳县' is not an official name; it may be ")
    assert warnings[-1] == "region: no division name found in the title, issuer or first lines"


# -- issuer level ------------------------------------------------------------------------------


def test_county_issuer_has_no_town():
    region, warnings = resolve_region(["鹤城区人民政府2019年政府信息公开工作年度报告"])
    assert region == Region("湖南省", "怀化市", "鹤城区", None)
    assert warnings == []


def test_municipal_department_has_no_lower_levels():
    region, warnings = resolve_region(["2024 年上海市科委政府信息公开工作"])
    assert region == Region("上海市", None, None, None)
    assert warnings == []
    region, warnings = resolve_region(["怀化市教育局2019年政府信息公开工作年度报告"])
    assert region == Region("湖南省", "怀化市", None, None)
    assert warnings == []


def test_municipal_district_has_no_city():
    region, warnings = resolve_region(["北京市东城区人民政府"])
    assert region == Region("北京市", None, "东城区", None)
    assert warnings == []


def test_alias_stands_for_the_division_it_administers():
    region, warnings = resolve_region(["平潭综合实验区地方税务局2013年信息公开年度报告"])
    assert region == Region("福建省", "福州市", "平潭县", None)
    assert warnings == []


# -- the sample reports ------------------------------------------------------------------------

PINGTAN = Region("福建省", "福州市", "平潭县", None)
EXPECTED = {
    # 余坊乡 is unique in the table; the text cites 《将乐县推进…》, its county.
    "000_e05d40fea8412626.txt": (Region("福建省", "三明市", "将乐县", "余坊乡"), []),
    "001_a98acada5b20935e.txt": (Region("湖南省", "怀化市", "洪江市", "岩垅乡"), []),
    "002_98f22f7f97bbf206.txt": (Region("内蒙古自治区", "包头市", "青山区", None), []),
    "003_12d5eeac63ddaf69.txt": (Region("湖南省", "怀化市", "鹤城区", None), []),
    "004_500be1b21c09ac78.txt": (Region("内蒙古自治区", "阿拉善盟", "阿拉善右旗", "巴丹吉林镇"), []),
    "101_7157ed9076fdfae4.txt": (
        Region("江苏省", "宿迁市", "沭阳县", None),
        ["region: '沐阳县' is not an official name; read as 沭阳县 (江苏省宿迁市)"],
    ),
    "102_6ca1637edda3fc3f.txt": (Region("上海市", None, None, None), []),
    "103_852a772f7c18fb2e.txt": (Region("上海市", None, None, None), []),
}
EXPECTED.update({path.name: (PINGTAN, []) for path in REPORTS.glob("2*.html")})


@pytest.mark.parametrize("filename", sorted(EXPECTED))
def test_sample_report_region(filename):
    clues, text = report_clues(filename)
    assert resolve_region(clues, text) == EXPECTED[filename]


def test_all_samples_are_covered():
    assert sorted(EXPECTED) == sorted(path.name for path in REPORTS.iterdir())
