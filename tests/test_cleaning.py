"""Cleaning page furniture: furniture lines go, what they say is kept, report content is untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.cleaning import clean
from indexer.reading import read_file

REPORTS = Path(__file__).resolve().parent.parent / "corpus" / "reports"

BODY = "一、总体情况\n2019年，我区主动公开政府信息2599条。"


def cleaned(furniture: str, body: str = BODY):
    return clean(f"{furniture}\n{body}")


@pytest.mark.parametrize(
    "furniture",
    [
        "您当前的位置：首页 > 政府信息公开 > 政府信息公开年报",
        "您当前的位置:首页",
        "当前位置：首页>政务公开>政府信息公开年报",
        "當前位置：首頁 > 政府資訊公開",
        "首页 > 政务公开 > 政府信息公开年报",
        "扫一扫在手机上查看当前页面",
        "掃一掃在手機上查看當前頁面",
        "字体：[ 大 中 小 ]",
        "字体:[ ]",
        "【字体：大 中 小】",
        "字體：【大 中 小】",
        "浏览次数：1024",
        "浏览次数:",
        "瀏覽次數：56",
        "编辑：",
        "编辑:张三",
        "责任编辑：李四",
        "責任編輯：王五",
        "打印本页",
        "【打印本页】【关闭窗口】",
        "[ 打印本頁 ] [ 關閉窗口 ]",
        "分享到：",
        "微信 微博 QQ空间",
        "全真版 文字版",
        "平潭综合实验区2019年度政府信息公开工作年度报告_政府信息公开年报_平潭综合实验区党工委管委会",
    ],
)
def test_furniture_line_is_removed(furniture):
    result = cleaned(furniture)
    assert result.text == BODY
    assert result.removed == (furniture,)


def test_breadcrumb_continued_on_the_next_line_is_removed():
    crumb = "您当前的位置:首页"
    continuation = "\xa0>\xa0政府信息公开\xa0>\xa0政府信息公开年报\xa0>\xa02020\xa0>\xa0苏木镇"
    result = clean(f"{crumb}\n{continuation}\n\n{BODY}")
    assert result.text == "\n" + BODY
    assert result.removed == (crumb, continuation)


def test_line_starting_with_arrow_is_content_without_a_breadcrumb_before_it():
    text = "> 引用的一句话\n" + BODY
    assert clean(text).text == text


def test_published_and_source_from_traditional_header_line():
    line = "發布時間:2023-01-30 11:31 信息來源:洪江市巖垅鄉人民政府"
    result = cleaned(line)
    assert result.text == BODY
    assert result.source == "洪江市巖垅鄉人民政府"
    assert result.published == "2023-01-30"
    assert result.removed == (line,)


def test_published_and_author_from_header_line_with_counter_and_font_widget():
    line = "发布时间:2019-03-22 11:25\xa0\xa0作者:包头市青山区 \xa0\xa0浏览次数: \xa0\xa0字体:[ ]"
    result = cleaned(line)
    assert result.text == BODY
    assert result.source == "包头市青山区"
    assert result.published == "2019-03-22"


def test_pingtan_source_and_time_lines():
    result = clean("来源：平潭县人民政府\n时间：2012-04-18 00:00\n" + BODY)
    assert result.text == BODY
    assert result.source == "平潭县人民政府"
    assert result.published == "2012-04-18"
    assert result.removed == ("来源：平潭县人民政府", "时间：2012-04-18 00:00")


def test_source_and_time_on_one_line():
    result = clean("来源：平潭综合实验区管委会办公室 时间：2024-03-08 15:34\n" + BODY)
    assert (result.source, result.published) == ("平潭综合实验区管委会办公室", "2024-03-08")


def test_publishing_date_alone():
    result = cleaned("发布日期：2020-01-31")
    assert result.text == BODY
    assert result.published == "2020-01-31"
    assert result.source is None


def test_date_written_in_chinese_is_made_iso():
    assert cleaned("发布时间：2021年2月5日").published == "2021-02-05"


def test_source_outranks_author_and_first_date_wins():
    result = clean("作者：办公室\n" + BODY + "\n发布时间：2020-01-02\n信息来源：巴丹吉林镇\n时间：2020-03-04")
    assert result.source == "巴丹吉林镇"
    assert result.published == "2020-01-02"
    assert result.text == BODY


@pytest.mark.parametrize(
    "content",
    [
        "本报告数据来源于各单位报送，浏览次数等网站数据由平台统计。",
        "信息来源：各乡镇、各部门报送的年度报告，经汇总整理形成本报告。",
        "时间：全年",
        "来源",
        "微信",
        "2021年1月31日",
        "巴丹吉林镇人民政府",
        "4. 微博微信。“青山人青山事”政务微博全年公开政府信息2126条,关注量达3.6万人",
        "对规范性文件进行全面核对，并做好格式清理、全真版上传等工作。",
        "首页改版后新增“政府信息公开”专栏，访问量明显提升。",
        "（一）主动公开方面",
    ],
)
def test_content_line_is_kept(content):
    text = f"{BODY}\n{content}\n六、其他需要报告的事项\n无"
    result = clean(text)
    assert result.text == text
    assert result.removed == ()
    assert result.source is None and result.published is None


def test_kept_lines_are_unchanged_byte_for_byte():
    text = "  一、总体情况 \t\n\n\u3000\u3000正文第一段。\xa0\n扫一扫在手机上查看当前页面\n巴丹吉林镇人民政府                "
    result = clean(text)
    assert result.text == "  一、总体情况 \t\n\n\u3000\u3000正文第一段。\xa0\n巴丹吉林镇人民政府                "


# Furniture that must not survive reading and cleaning of any sample report: strings no report
# sentence contains, and labels no remaining line may start with (a sentence may use them inside).
FURNITURE_STRINGS = (
    "扫一扫在手机上查看当前页面", "字体:[", "字体：[", "您当前的位置", "当前位置:", "当前位置：",
    "打印本页", "关闭窗口", "QQ空间", "_政府信息公开年报_",
)
FURNITURE_LINE_STARTS = (
    "编辑", "信息来源", "信息來源", "發布時間", "发布时间", "发布日期", "来源", "时间：", "浏览次数", ">",
)


@pytest.mark.parametrize("path", sorted(REPORTS.iterdir()), ids=lambda path: path.name[:3])
def test_no_furniture_left_in_any_sample(path):
    result = clean(read_file(path).text)
    for furniture in FURNITURE_STRINGS:
        assert furniture not in result.text, furniture
    for line in result.text.split("\n"):
        assert not line.strip(" \xa0\u3000").startswith(FURNITURE_LINE_STARTS), line


EXPECTED_METADATA = {
    "001": ("洪江市巖垅鄉人民政府", "2023-01-30"),
    "002": ("包头市青山区", "2019-03-22"),
    "004": ("巴丹吉林镇", "2021-01-31"),  # the date of the signature closing the report
    "103": (None, "2020-01-31"),
    "201": ("平潭县人民政府", "2012-04-18"),
    "212": ("平潭县人民政府", "2020-01-20"),
    "216": ("平潭综合实验区管委会办公室", "2024-03-08"),
}


@pytest.mark.parametrize("number", sorted(EXPECTED_METADATA))
def test_sample_source_and_published(number):
    (path,) = REPORTS.glob(f"{number}_*")
    result = clean(read_file(path).text)
    assert (result.source, result.published) == EXPECTED_METADATA[number]


def test_sample_004_loses_only_its_furniture():
    (path,) = REPORTS.glob("004_*")
    raw = read_file(path).text
    result = clean(raw)
    assert [line.strip(" \xa0") for line in result.removed] == [
        "您当前的位置:首页",
        ">\xa0政府信息公开\xa0>\xa0政府信息公开年报\xa0>\xa02020\xa0>\xa0苏木镇".strip("\xa0"),
        "编辑:",
        "信息来源:巴丹吉林镇",
        "巴丹吉林镇人民政府",
        "2021年1月31日",
    ]
    assert result.signer == "巴丹吉林镇人民政府"
    assert "2021年1月31日" not in result.text
    assert result.text.rstrip().endswith("积极反映公开过程中存在的突出问题,使政务公开工作更加扎实、有序开展。")
