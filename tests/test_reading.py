"""Reading report files: bad files refused with a reason, every codec to the same text, HTML to lines."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from indexer.html_text import html_to_text
from indexer.reading import ReadError, decode_bytes, read_file

REPORTS = Path(__file__).resolve().parent.parent / "corpus" / "reports"
# Each is on every crawled Pingtan page, in its menus, search box, footer or share widgets.
NAV_STRINGS = ("闽政通APP", "网站支持IPV6", "无障碍浏览", "热门搜索", "当前位置", "版权所有",
               "扫一扫在手机上查看当前页面", "QQ空间", "相关链接")
# Widget labels that a report may also use inside a sentence ("全真版上传"): never a line alone.
WIDGET_LINES = ("全真版", "文字版", "文件下载", "附件下载", "微信", "微博", "关闭")


def report_path(number: str) -> Path:
    (path,) = REPORTS.glob(f"{number}_*")
    return path


def traditional_excerpt() -> str:
    """Return lines of the traditional-script sample 001 that Big5 can encode."""
    text = report_path("001").read_text(encoding="utf-8")
    lines = []
    for line in text.split("\n"):
        try:
            line.encode("big5")
        except UnicodeEncodeError:
            continue
        lines.append(line)
    return "\n".join(lines[:30])


# --- bad files ---------------------------------------------------------------------------------


def read_error(path: Path, **kwargs) -> ReadError:
    with pytest.raises(ReadError) as caught:
        read_file(path, **kwargs)
    return caught.value


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    error = read_error(path)
    assert error.reason == "file is empty"
    assert error.path == str(path)
    assert str(error) == f"{path}: file is empty"


def test_whitespace_only_file_is_refused_as_empty(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_bytes(b" \r\n\t\n")
    assert read_error(path).reason == "file is empty"


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert read_error(path).reason == "binary file, not text"


def test_control_characters_without_nul_are_binary(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes([1, 2, 3, 4, 5, 6, 0x0E, 0x0F, 0x10, 0x11]) * 50)
    assert read_error(path).reason == "binary file, not text"


@pytest.mark.parametrize("name", ["report.pdf", "report.docx", "README"])
def test_unsupported_extension_is_refused(tmp_path, name):
    path = tmp_path / name
    path.write_text("一、总体情况", encoding="utf-8")
    reason = read_error(path).reason
    assert reason.startswith("unsupported file type")
    assert reason.endswith("(expected .txt, .html or .htm)")


def test_unsupported_extension_names_the_extension(tmp_path):
    path = tmp_path / "report.PDF"
    path.write_bytes(b"%PDF-1.4")
    assert read_error(path).reason == (
        "unsupported file type '.pdf' (expected .txt, .html or .htm)"
    )


def test_missing_file_is_refused(tmp_path):
    assert read_error(tmp_path / "missing.txt").reason == "no such file"


def test_directory_is_refused(tmp_path):
    folder = tmp_path / "reports.txt"
    folder.mkdir()
    assert read_error(folder).reason == "is a directory"


def test_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("政" * 100, encoding="utf-8")
    assert read_error(path, max_bytes=100).reason == "file is larger than 100 bytes"


def test_default_size_limit_is_named_in_megabytes(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (2 * 1024 * 1024 + 1))
    assert read_error(path, max_bytes=2 * 1024 * 1024).reason == "file is larger than 2 MB"


def test_undecodable_bytes_are_refused(tmp_path):
    path = tmp_path / "broken.txt"
    # UTF-8 BOM followed by bytes that are not UTF-8: a declared encoding that does not hold.
    path.write_bytes(b"\xef\xbb\xbf\xe4\xb8\xad\xff\xfe\xfd")
    assert read_error(path).reason == "cannot detect the text encoding"


def test_bytes_valid_in_no_chinese_codec_are_refused(tmp_path):
    path = tmp_path / "broken.htm"
    path.write_bytes(b"<p>abc \xff\xfe\xfd def</p>" * 10)
    assert read_error(path).reason == "cannot detect the text encoding"


def test_html_page_without_text_is_refused(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><body><script>var a = 1;</script></body></html>", encoding="utf-8")
    assert read_error(path).reason == "no text found in the HTML page"


# --- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "prefix", "expected_encoding"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("gb18030", b"", "gb18030"),
        ("big5", b"", "big5"),
        ("utf-16-le", b"\xff\xfe", "utf-16"),
        ("utf-16-be", b"\xfe\xff", "utf-16"),
    ],
)
def test_every_encoding_yields_the_same_text(tmp_path, codec, prefix, expected_encoding):
    excerpt = traditional_excerpt()
    assert "一、總體情況" in excerpt and "組織領導" in excerpt
    data = prefix + excerpt.encode(codec)
    path = tmp_path / "report.txt"
    path.write_bytes(data)
    report = read_file(path)
    assert report.text == excerpt
    assert report.encoding == expected_encoding
    assert report.kind == "text"
    assert report.sha256 == hashlib.sha256(data).hexdigest()


def test_simplified_report_in_gb18030_decodes_exactly():
    text = report_path("000").read_text(encoding="utf-8")
    assert decode_bytes(text.encode("gb18030")) == (text, "gb18030")


def test_line_endings_are_normalised_and_bom_dropped():
    text, encoding = decode_bytes("\ufeff一、总体情况\r\n正文\r二、其他\n".encode("utf-8"))
    assert text == "一、总体情况\n正文\n二、其他\n"
    assert encoding == "utf-8-sig"


def test_html_meta_charset_is_honoured(tmp_path):
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>报告</title></head><body><p>巖垅鄉政府信息公开工作年度报告</p></body></html>"
    )
    path = tmp_path / "page.HTM"
    path.write_bytes(page.encode("gb18030"))
    report = read_file(path)
    assert report.kind == "html"
    assert report.encoding == "gb18030"
    assert report.text == "巖垅鄉政府信息公开工作年度报告"


def test_sample_text_reports_read_unchanged():
    for path in sorted(REPORTS.glob("*.txt")):
        report = read_file(path)
        assert report.text == path.read_text(encoding="utf-8"), path.name
        assert report.encoding == "utf-8"


# --- HTML to text ------------------------------------------------------------------------------


def test_html_drops_scripts_styles_and_navigation():
    page = """<html><head><title>x</title><style>p {color: red}</style></head><body>
      <nav><a href="/">首页</a><a href="/a">政务公开</a></nav>
      <script>document.write("广告")</script><noscript>请启用脚本</noscript>
      <!-- 注释 -->
      <form><input value="搜索"><button>搜索</button></form>
      <div class="content"><p>一、总体情况</p><p>本年度我区主动公开政府信息2599条。</p></div>
    </body></html>"""
    assert html_to_text(page) == "一、总体情况\n本年度我区主动公开政府信息2599条。"


def test_html_one_line_per_paragraph_heading_item_break_and_cell():
    page = """<body><h2>一、总体情况</h2><p>第一段。</p><ul><li>甲</li><li>乙</li></ul>
      <p>第一行<br>第二行</p>
      <table><tr><th>信息内容</th><th>本年新制作数量</th></tr><tr><td>规章</td><td> 0 </td></tr>
      </table></body>"""
    assert html_to_text(page).split("\n") == [
        "一、总体情况", "第一段。", "甲", "乙", "第一行", "第二行",
        "信息内容", "本年新制作数量", "规章", "0",
    ]


def test_html_inline_elements_do_not_break_lines():
    page = (
        "<p><strong><span>平潭县人民政府</span></strong><span>2011</span>"
        "<span>年政府信息公开工作</span><a href='#'>年度报告</a><font>。</font></p>"
    )
    assert html_to_text(page) == "平潭县人民政府2011年政府信息公开工作年度报告。"


def test_html_spaces_collapse_and_nbsp_becomes_space():
    page = "<p>&nbsp;&nbsp;邮&nbsp;&nbsp;编：  350400 \n 电话</p><p>&nbsp;</p><p>　</p>"
    assert html_to_text(page) == "邮 编： 350400 电话"


def test_html_short_cell_with_break_stays_one_line():
    page = "<table><tr><td><p>本年新<br>制作数量</p></td><td>Total<br>2019</td></tr></table>"
    assert html_to_text(page).split("\n") == ["本年新制作数量", "Total 2019"]


def test_html_keeps_title_and_source_lines_above_the_content():
    body_text = "".join(f"<p>第{n}段，政府信息公开工作正文内容较长的一段话。</p>" for n in range(20))
    page = f"""<html><head><title>某镇2020年政府信息公开工作年度报告_年报_某县政府</title></head>
      <body><div class="top"><a href="/">首页</a> <a href="/x">机构概况</a></div>
      <div class="main"><div class="bt">某镇2020年政府信息公开工作年度报告</div>
      <div class="info"><span>发布时间：2021-01-20</span> <span>来源：某镇人民政府</span>
      <span>浏览次数：12</span></div>
      <div class="share"><a>微信</a><a>微博</a></div>
      <div class="zw">{body_text}</div></div>
      <div class="foot">主办单位：某县人民政府 地址：某路1号</div></body></html>"""
    lines = html_to_text(page).split("\n")
    assert lines[:3] == [
        "某镇2020年政府信息公开工作年度报告",
        "发布时间：2021-01-20 来源：某镇人民政府 浏览次数：12",
        "第0段，政府信息公开工作正文内容较长的一段话。",
    ]
    assert lines[-1] == "第19段，政府信息公开工作正文内容较长的一段话。"
    assert len(lines) == 22


def test_html_without_a_main_container_keeps_the_whole_body():
    page = """<body><div class="top"><a href="/">首页</a></div>
      <div><p>一、总体情况</p><p>本年度主动公开政府信息2599条，办理申请23件。</p></div>
      <div><p>二、主动公开政府信息情况</p><p>规范性文件89件，行政许可181件。</p></div></body>"""
    assert html_to_text(page).split("\n") == [
        "首页", "一、总体情况", "本年度主动公开政府信息2599条，办理申请23件。",
        "二、主动公开政府信息情况", "规范性文件89件，行政许可181件。",
    ]


def test_html_container_does_not_leave_a_section_heading_behind():
    page = """<body><div class="menu"><a href="/">首页</a><a href="/x">政务公开</a></div>
      <div class="zw"><div><p>一、总体情况</p></div>
      <div><p>本年度主动公开政府信息2599条，办理申请23件，无行政复议和行政诉讼。</p>
      <p>二、其他需要报告的事项</p><p>无。</p></div></div></body>"""
    assert html_to_text(page).split("\n") == [
        "一、总体情况", "本年度主动公开政府信息2599条，办理申请23件，无行政复议和行政诉讼。",
        "二、其他需要报告的事项", "无。",
    ]


# --- the Pingtan pages -------------------------------------------------------------------------

# number: (title, 来源/时间 line, first paragraph's start and end, closing body line)
PINGTAN = {
    "201": ("平潭县人民政府2011年政府信息公开工作年度报告", "来源：平潭县人民政府 时间：2012-04-18 00:00",
            "本报告主要根据《中华人民共和国政府信息公开条例》", "电子邮箱：24336240@163.com）。",
            "二○一二年二月二十日"),
    "202": ("平潭县人民政府2012年政府信息公开工作年度报告", "来源：平潭县人民政府 时间：2013-01-17 00:00",
            "本报告主要根据《中华人民共和国政府信息公开条例》", "电子邮箱：24336240@163.com）。",
            "2013年1月16日"),
    "203": ("平潭综合实验区2012年政府信息公开工作年度报告",
            "来源：平潭综合实验区管委会 时间：2013-02-25 00:00",
            "本报告主要根据《中华人民共和国政府信息公开条例》", "电子邮箱：24336243@163.com）。",
            "二○一三年一月二十日"),
    "205": ("平潭综合实验区地方税务局2013年信息公开年度报告", "来源：平潭县人民政府 时间：2014-02-25 00:00",
            "根据《中华人民共和国政府信息公开条例》以及《福建省政府信息公开办法》",
            "统计期限自2013年1月1日起至2013年12月31日止。",
            "2013年用于税收宣传、税收政策公告、设立和更新公开栏等产生的政府信息公开费用1万元。"),
    "206": ("平潭综合实验区2013年政府信息公开工作年度报告",
            "来源：平潭综合实验区管委会办公室 时间：2014-01-10 00:00",
            "本报告主要根据《中华人民共和国政府信息公开条例》", "电子邮箱：24336243@163.com）。",
            "二○一四年一月十日"),
    "208": ("平潭综合实验区2015年度政府信息公开工作年度报告", "来源：平潭县人民政府 时间：2016-01-12 16:08",
            "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）以及《福建省人民政府办公厅",
            "电子邮箱：pzxxgkb@163.com）。", "七、平潭综合实验区政府信息公开情况统计表"),
    "209": ("平潭综合实验区2016年度政府信息公开工作年度报告", "来源：平潭县人民政府 时间：2017-01-18 15:57",
            "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）以及根据",
            "电子邮箱：pzxxgkb@163.com）。", "七、平潭综合实验区政府信息公开情况统计表"),
    "210": ("平潭综合实验区2017年度政府信息公开工作年度报告", "来源：平潭县人民政府 时间：2018-01-23 08:51",
            "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）、《福建省政府信息公开办法》",
            "请与平潭综合实验区政府信息公开工作领导小组办公室联系。", "六、政府信息公开情况统计表"),
    "212": ("平潭综合实验区2019年度政府信息公开工作年度报告", "来源：平潭县人民政府 时间：2020-01-20 15:22",
            "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）、《福建省政府信息公开办法》",
            "电子邮箱：pzxxgkb@163.com。", "无其他需要报告的事项"),
    "214": ("平潭综合实验区2021年度政府信息公开工作年度报告", "来源：平潭县人民政府 时间：2022-02-08 16:34",
            "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）、《福建省人民政府办公厅",
            "电话/传真：0591-23165370。", "2021年，无收取信息处理费情况。"),
    "216": ("平潭综合实验区2023年度政府信息公开工作年度报告",
            "来源：平潭综合实验区管委会办公室 时间：2024-03-08 15:34",
            "本报告根据《中华人民共和国政府信息公开条例》（国务院令第711号", "电话：0591-23165385。",
            "2023年，无收取信息处理费情况。"),
    "218": ("平潭综合实验区2025年度政府信息公开工作年度报告",
            "来源：平潭综合实验区管委会办公室 时间：2026-03-10 12:56",
            "本报告根据《中华人民共和国政府信息公开条例》（国务院令第711号",
            "统计期限为2025年1月1日至2025年12月31日。", "2025年，无收取信息处理费情况。"),
}


@pytest.mark.parametrize("number", sorted(PINGTAN))
def test_pingtan_page_keeps_the_report_and_drops_the_site(number):
    title, source_line, first_start, first_end, closing = PINGTAN[number]
    report = read_file(report_path(number))
    lines = report.text.split("\n")
    assert report.kind == "html" and report.encoding == "utf-8"
    assert title in lines[:3]
    assert source_line in lines[:3]
    first_paragraph = [line for line in lines if line.startswith(first_start)]
    assert len(first_paragraph) == 1 and first_paragraph[0].endswith(first_end)
    assert closing in lines
    assert lines.index(closing) > lines.index(first_paragraph[0])
    for nav in NAV_STRINGS:
        assert nav not in report.text, nav
    for widget in WIDGET_LINES:
        assert widget not in lines, widget
    assert all(line == line.strip() and line for line in lines)


@pytest.mark.parametrize("number", ["214", "216", "218", "212", "205"])
def test_pingtan_page_ends_with_the_report(number):
    lines = read_file(report_path(number)).text.split("\n")
    assert lines[-1] == PINGTAN[number][4]


def test_pingtan_2011_title_made_of_spans_is_one_line():
    lines = read_file(report_path("201")).text.split("\n")
    assert "平潭县人民政府2011年政府信息公开工作年度报告" in lines
    assert "2011" not in lines


def test_pingtan_2019_tables_keep_every_cell_in_row_order():
    lines = read_file(report_path("212")).text.split("\n")
    start = lines.index("二、主动公开政府信息情况")
    assert lines[start + 1 : start + 17] == [
        "第二十条第（一）项", "信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量",
        "规章", "0", "0", "0", "规范性文件", "89", "89", "89",
        "第二十条第（五）项", "信息内容", "上一年项目数量",
    ]
    assert "政府集中采购" in lines and lines[lines.index("政府集中采购") + 2] == "75394432.52元"
    start = lines.index("申请人情况")
    assert lines[start : start + 25] == [
        "申请人情况", "自然人", "法人或其他组织", "总计", "商业企业", "科研机构", "社会公益组织",
        "法律服务机构", "其他",
        "一、本年新收政府信息公开申请数量", "23", "0", "0", "0", "0", "0", "23",
        "二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "0",
    ]
    outcome = lines.index("（七）总计")
    assert lines[outcome : outcome + 8] == ["（七）总计", "23", "0", "0", "0", "0", "0", "23"]
    review = lines.index("四、政府信息公开行政复议、行政诉讼情况")
    assert lines[review + 1 : review + 8] == [
        "行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计",
    ]
    assert lines[review + 8 : review + 20] == [
        "未经复议直接起诉", "复议后起诉",
        "结果维持", "结果纠正", "其他结果", "尚未审结", "总计",
        "结果维持", "结果纠正", "其他结果", "尚未审结", "总计",
    ]
    assert lines[review + 20 : review + 35] == ["0"] * 15
    assert lines[review + 35] == "五、存在的主要问题及改进情况"


def test_pingtan_tables_of_later_years_have_their_cells():
    for number in ("214", "216", "218"):
        lines = read_file(report_path(number)).text.split("\n")
        for cell in ("第二十条第（一）项", "行政许可", "申请人情况", "（七）总计", "四、结转下年度继续办理",
                     "尚未审结"):
            assert cell in lines, (number, cell)
