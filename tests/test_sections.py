"""split_sections on inline strings: every heading pitfall seen in real reports, and no lost text."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.sections import SECTION_LABELS, classify_heading, split_report, split_sections


def keys(text):
    return [section.key for section in split_sections(text)]


def test_template_2019_headings_in_order():
    text = "\n".join([
        "一、总体情况", "今年我镇认真贯彻条例。",
        "二、主动公开政府信息情况", "表格内容。",
        "三、收到和处理政府信息公开申请情况", "本年无申请。",
        "四、政府信息公开行政复议、行政诉讼情况", "无。",
        "五、存在的主要问题及改进情况", "问题不少。",
        "六、其他需要报告的事项", "无其他事项。",
    ])
    sections = split_sections(text)
    assert [s.key for s in sections] == list(SECTION_LABELS)[:3] + ["review_litigation", "problems", "other"]
    assert sections[0].heading == "一、总体情况"
    assert sections[0].label == "总体情况"
    assert sections[5].text == "无其他事项。"


def test_typos_and_extra_words_in_headings():
    assert classify_heading("主动公开政府政府情况")[0] == "proactive"
    assert classify_heading("政府信息公开工作存在的主要问题及改进情况")[0] == "problems"
    assert classify_heading("因政府信息公开申请提起行政复议、行政诉讼的情况")[0] == "review_litigation"
    assert classify_heading("政府信息公开的收费及减免情况")[0] == "fees"
    assert classify_heading("信息公开工作情况")[0] == "overview"
    assert classify_heading("青山区2018年政府信息公开年度报告")[0] is None


def test_heading_without_number_between_numbered_ones():
    text = "\n".join([
        "三、依申请公开政府信息情况", "全年接收申请8件。",
        "受理关于政府信息公开咨询、投诉情况及处理结果", "全年未收到投诉。",
        "五、因政府信息公开申请行政复议、提起行政诉讼的情况", "无。",
    ])
    sections = split_sections(text)
    assert [s.key for s in sections] == ["applications", "complaints", "review_litigation"]
    assert sections[1].heading == "受理关于政府信息公开咨询、投诉情况及处理结果"
    assert sections[1].text == "全年未收到投诉。"


def test_traditional_headings_keep_their_script():
    text = "一、總體情況\n內容。\n二、主動公開政府信息情況\n內容。\n五、存在的主要問題及改進情況\n內容。"
    sections = split_sections(text)
    assert [s.key for s in sections] == ["overview", "proactive", "problems"]
    assert sections[1].heading == "二、主動公開政府信息情況"


def test_empty_sections_are_kept_and_reported():
    text = "一、总体情况\n正文。\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n五、存在的主要问题及改进措施\n正文。"
    result = split_report(text)
    assert [s.key for s in result.sections] == ["overview", "proactive", "applications", "problems"]
    assert result.sections[1].text == "" and result.sections[2].text == ""
    assert any("proactive" in warning and "empty" in warning for warning in result.warnings)


def test_table_of_contents_does_not_become_sections():
    text = "\n".join([
        "某镇2020年政府信息公开工作年度报告", "目录",
        "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
        "一、总体情况", "本年度我镇……。",
        "二、主动公开政府信息情况", "主动公开信息20条。",
        "三、收到和处理政府信息公开申请情况", "未收到申请。",
    ])
    result = split_report(text)
    assert [s.key for s in result.sections] == ["overview", "proactive", "applications"]
    assert [s.text for s in result.sections] == ["本年度我镇……。", "主动公开信息20条。", "未收到申请。"]
    assert "目录" in result.preamble and "一、总体情况" in result.preamble


def test_table_row_labels_are_not_sections():
    text = "\n".join([
        "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量 |", "0 |",
        "二、上年结转政府信息公开申请数量", "0",
        "三、本年度办理结果", "(一)予以公开", "0", "(二)部分公开", "0",
        "四、结转下年度继续办理", "0",
        "四、政府信息公开行政复议、行政诉讼情况", "无。",
    ])
    sections = split_sections(text)
    assert [s.key for s in sections] == ["applications", "review_litigation"]
    assert sections[0].subsections == []
    assert "四、结转下年度继续办理" in sections[0].text


def test_tab_separated_table_rows_are_not_sections():
    text = "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量\t821\t35\t859\n四、政府信息公开行政复议、行政诉讼情况\n无"
    assert keys(text) == ["applications", "review_litigation"]


def test_table_captions_are_not_headings():
    text = "一、主动公开政府信息情况\n## 表二：主动公开政府信息情况\n| 规章 | 0 |\n二、收到和处理政府信息公开申请情况\n无"
    assert keys(text) == ["proactive", "applications"]


def test_heading_broken_across_lines_is_joined():
    text = "四、政府信息公开行政复议、行政诉讼情况\n无。\n五、政府信息公开工作存在的主要问题及改进\n情况\n一是宣传不够。"
    sections = split_sections(text)
    assert [s.key for s in sections] == ["review_litigation", "problems"]
    assert sections[1].heading == "五、政府信息公开工作存在的主要问题及改进情况"
    assert sections[1].text == "一是宣传不够。"


def test_number_alone_on_its_line():
    sections = split_sections("一、\n概述\n本县认真贯彻条例。\n二、主动公开政府信息情况\n内容")
    assert [s.key for s in sections] == ["overview", "proactive"]
    assert sections[0].heading == "一、概述"


def test_second_series_of_numbers_wins_over_overview_items():
    # A PDF report numbers its overview's parts as top-level headings, then restarts at 一.
    text = "\n".join([
        "一、总体情况", "概述。", "二、工作机制保障", "机制。", "三、主动公开工作情况", "主动。",
        "四、政府信息公开申请情况", "申请。",
        "一、主动公开政府信息情况", "表二。", "二、收到和处理政府信息公开申请情况", "表三。",
        "三、政府信息公开行政复议、行政诉讼情况", "表四。",
    ])
    sections = split_sections(text)
    assert [s.key for s in sections] == ["overview", "proactive", "applications", "review_litigation"]
    assert [sub.heading for sub in sections[0].subsections] == [
        "二、工作机制保障", "三、主动公开工作情况", "四、政府信息公开申请情况"]
    assert sections[1].text == "表二。"


def test_subsections_with_inline_sentence():
    section = split_sections("一、总体情况\n引言。\n(一)主动公开情况。2020年发布信息30条。\n补充。\n（二）信息发布情况\n内容")[0]
    assert section.text == "引言。"
    assert [(sub.heading, sub.text) for sub in section.subsections] == [
        ("(一)主动公开情况。", "2020年发布信息30条。\n补充。"),
        ("（二）信息发布情况", "内容"),
    ]


def test_stray_numbered_table_row_is_not_a_subsection():
    section = split_sections("三、收到和处理政府信息公开申请情况\n（三）不\n予公开\n（四）无\n法提供")[0]
    assert section.subsections == []


def test_preamble_is_kept():
    result = split_report("某县2021年政府信息公开工作年度报告\n本报告由……组成。\n一、总体情况\n正文")
    assert result.preamble == "某县2021年政府信息公开工作年度报告\n本报告由……组成。"


def test_no_headings_gives_one_other_section_with_warning():
    result = split_report("本镇今年做了很多工作。\n明年继续努力。")
    assert [(s.key, s.text) for s in result.sections] == [("other", "本镇今年做了很多工作。\n明年继续努力。")]
    assert result.warnings and "no recognisable section headings" in result.warnings[0]


def test_markdown_headings():
    sections = split_sections("# 某县2025年政府信息公开工作年度报告\n## 一、总体情况\n### (一) 系统化推进主动公开。\n内容\n## 二、主动公开政府信息情况\n表")
    assert [s.heading for s in sections] == ["一、总体情况", "二、主动公开政府信息情况"]
    assert sections[0].subsections[0].heading == "(一) 系统化推进主动公开。"


# --- No text is ever dropped -------------------------------------------------------------------

_LINE_POOL = [
    "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项",
    "一、本年新收政府信息公开申请数量 |", "三、本年度办理结果", "四、结转下年度继续办理",
    "受理关于政府信息公开咨询、投诉情况及处理结果", "（一）主动公开情况。今年发布30条。", "(二)依申请公开",
    "（三）不", "## 表二：主动公开政府信息情况", "五、政府信息公开工作存在的主要问题及改进", "情况", "一、",
    "概述", "二、總體情況", "| 规章 | 0 | 0 |", "2020年，本镇认真贯彻《条例》。", "", "   ", "### 三是提高解读效能。",
]


def _visible(text: str) -> str:
    """Return text's characters without whitespace and Markdown heading marks, in order."""
    lines = [re.sub(r"^#{1,6}", "", line.strip()) for line in text.split("\n")]
    return re.sub(r"\s", "", "".join(lines))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.sampled_from(_LINE_POOL), st.text(max_size=30)), max_size=40))
def test_split_keeps_every_character_in_order(lines):
    text = "\n".join(lines)
    result = split_report(text)
    parts = [result.preamble]
    for section in result.sections:
        parts += [section.heading, section.text]
        for sub in section.subsections:
            parts += [sub.heading, sub.text]
    assert _visible("\n".join(parts)) == _visible(text)


def _corpus_lines():
    from pathlib import Path

    corpus = Path(__file__).resolve().parent.parent / "corpus" / "reports"
    lines = []
    for path in sorted(corpus.glob("*.txt")):
        lines += path.read_text(encoding="utf-8").split("\n")[:400]
    return lines


_CORPUS_LINES = _corpus_lines()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_CORPUS_LINES), min_size=1, max_size=80))
def test_cleaning_then_splitting_real_lines_keeps_every_non_furniture_character(lines):
    from indexer.cleaning import clean

    text = "\n".join(lines)
    cleaned = clean(text)
    # Cleaning only removes whole lines, and says which: what is left is the input, in order, minus
    # exactly the removed lines' characters.
    left, removed = _visible(cleaned.text), sum(len(_visible(line)) for line in cleaned.removed)
    assert len(left) + removed == len(_visible(text))
    remaining = iter(_visible(text))
    assert all(char in remaining for char in left)
    result = split_report(cleaned.text)
    parts = [result.preamble]
    for section in result.sections:
        parts += [section.heading, section.text]
        for sub in section.subsections:
            parts += [sub.heading, sub.text]
    assert _visible("\n".join(parts)) == _visible(cleaned.text)
