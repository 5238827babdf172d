"""parse_metadata on inline strings: title, issuer, covered year, publishing date, region."""

from indexer.metadata import parse_metadata


def test_year_is_the_covered_year_not_the_publishing_year():
    meta = parse_metadata("某某镇人民政府2022年政府信息公开工作年度报告\n一、总体情况\n2022年，本镇……",
                          published="2023-01-30")
    assert meta.year == 2022
    assert meta.published == "2023-01-30"


def test_missing_title_takes_issuer_and_year_from_first_paragraph():
    meta = parse_metadata("一、总体情况\n2019年,余坊乡紧紧围绕乡党委政府中心工作,认真贯彻条例。")
    assert meta.title is None
    assert meta.issuer == "余坊乡人民政府"
    assert meta.year == 2019
    assert "no title found" in meta.warnings


def test_statistics_period_gives_the_year():
    text = ("市科委政府信息公开工作年度报告\n本年度报告中所列数据的统计周期为 2024 年 1 月 1 日至 12 月 31 日。\n"
            "一、总体情况\n内容")
    assert parse_metadata(text).year == 2024


def test_year_written_in_chinese_numerals():
    assert parse_metadata("某县人民政府二〇二一年政府信息公开工作年度报告\n一、总体情况\n内容").year == 2021


def test_year_falls_back_to_the_year_before_publication_with_a_warning():
    meta = parse_metadata("一、总体情况\n本镇认真贯彻条例。", published="2021-02-01")
    assert meta.year == 2020
    assert any("assumed 2020" in warning for warning in meta.warnings)


def test_title_broken_across_lines_is_joined():
    meta = parse_metadata("平潭综合实验区\n2019年\n政府信息公开工作年度报告\n根据《条例》编制。\n一、总体情况\n内容",
                          source="平潭综合实验区管委会")
    assert meta.title == "平潭综合实验区2019年政府信息公开工作年度报告"
    assert meta.issuer == "平潭综合实验区管委会"
    assert (meta.region.province, meta.region.city, meta.region.county) == ("福建省", "福州市", "平潭县")


def test_issuer_drops_higher_level_places():
    meta = parse_metadata("一、總體情況\n2022年,巖垅鄉進一步加強政府網站建設。", source="洪江市巖垅鄉人民政府")
    assert meta.issuer == "岩垅乡人民政府"
    assert meta.region.town == "岩垅乡" and meta.region.county == "洪江市"


def test_place_in_title_becomes_its_government():
    meta = parse_metadata("青山区2018年政府信息公开年度报告\n一、信息公开工作情况\n请与包头市青山区人民政府办公室联系。")
    assert meta.issuer == "青山区人民政府"
    assert meta.region.city == "包头市"


def test_same_named_district_told_apart_by_context():
    meta = parse_metadata("青山区2020年政府信息公开工作年度报告\n一、总体情况\n武汉市青山区人民政府认真贯彻条例。")
    assert (meta.region.province, meta.region.city, meta.region.county) == ("湖北省", "武汉市", "青山区")


def test_signature_names_the_issuer_when_nothing_else_does():
    meta = parse_metadata("2021年政府信息公开工作年度报告\n一、总体情况\n内容", signer="巴丹吉林镇人民政府")
    assert meta.issuer == "巴丹吉林镇人民政府"
    assert meta.region.county == "阿拉善右旗"


def test_county_report_has_no_town_and_no_warning():
    meta = parse_metadata("鹤城区2019年政府信息公开工作年度报告\n一、总体情况\n怀化市鹤城区认真贯彻条例。")
    assert meta.region.town is None
    assert not [warning for warning in meta.warnings if "region" in warning]


def test_higher_level_prefix_is_cut_at_official_names_only():
    meta = parse_metadata("金州区湾里街道办事处2021年政府信息公开工作年度报告\n一、总体情况\n内容")
    assert meta.issuer == "湾里街道办事处"
    meta = parse_metadata("涿州市百尺竿镇人民政府2021年政府信息公开工作年度报告\n一、总体情况\n内容")
    assert meta.issuer == "百尺竿镇人民政府"
    assert (meta.region.city, meta.region.county, meta.region.town) == ("保定市", "涿州市", "百尺竿镇")
