"""Statistics tables: reading tables 2-4 in every form seen in the samples, and the 勾稽关系 checks."""

from collections.abc import Iterable
from pathlib import Path

import pytest

from indexer.models import Section
from indexer.pipeline import parse_report
from indexer.tables import (
    APPLICANT_COLUMNS,
    NO_STANDARD_TABLES,
    TABLE3_COLUMNS,
    TABLE4_COLUMNS,
    TABLE4_ROWS,
    check_tables,
    extract_tables,
)

REPORTS = Path(__file__).resolve().parent.parent / "corpus" / "reports"


def report_path(number: str) -> Path:
    (path,) = REPORTS.glob(f"{number}_*")
    return path


@pytest.fixture(scope="module")
def tables():
    cache: dict = {}

    def get(number: str) -> dict:
        if number not in cache:
            report = parse_report(report_path(number))
            cache[number] = extract_tables(report.sections, report.year)
        return cache[number]

    return get


def row(table3: dict, name: str) -> list:
    return [table3[f"applications.{name}.{column}"] for column in TABLE3_COLUMNS]


def table3_grid(table3: dict) -> dict[str, list]:
    """Every row of a read table 3, as {row: [values in column order]}."""
    rows: dict[str, list] = {}
    for key, value in table3.items():
        rows.setdefault(key[len("applications."):].rsplit(".", 1)[0], []).append(value)
    assert all(len(values) == len(TABLE3_COLUMNS) for values in rows.values())
    return rows


def table4_values(table4: dict) -> list:
    return [table4[f"{name}.{column}"] for name in TABLE4_ROWS for column in TABLE4_COLUMNS]


def failed(result: dict) -> set[str]:
    return {check["rule"] for check in result["checks"] if not check["ok"]}


# --- sample reports ---------------------------------------------------------------------------


def test_000_procurement_and_all_zero_applications(tables):
    result = tables("000")
    assert result["table2"]["proactive.procurement.items"] == 4
    assert result["table2"]["proactive.procurement.amount"] == 20477
    assert result["table2"]["proactive.normative_documents.new_made"] == 1
    assert result["table2"]["proactive.licensing.decisions"] == 1
    assert result["table3"] and set(result["table3"].values()) == {0}
    assert "applications.outcome.other.total" in result["table3"]  # 2019 template: one 其他处理 row
    assert table4_values(result["table4"]) == [0] * 15
    assert result["warnings"] == []
    assert result["checks"] and not failed(result)


def test_001_traditional_script_2021_template_all_zero(tables):
    result = tables("001")
    assert result["table2"]["proactive.normative_documents.in_force"] == 0  # printed "00"
    assert result["table2"]["proactive.fees.amount"] == 0
    assert "proactive.procurement.items" not in result["table2"]
    assert set(result["table3"].values()) == {0}
    assert "applications.outcome.other.unpaid_fees.total" in result["table3"]
    assert table4_values(result["table4"]) == [0] * 15
    assert result["warnings"] == [] and not failed(result)


def test_004_lost_labels_and_blank_totals_read_as_printed(tables):
    result = tables("004")
    zeros, blank_total = [0] * 7, [0] * 6 + [None]
    # The source prints every number as 0. The rows 1.属于国家秘密 and 2.其他法律行政法规禁止公开 lost
    # their labels (12 zeros follow (三)不予公开) and, like 1.本机关不掌握 and 2.没有现成信息, print six
    # zeros and an empty total cell (an extra blank line in the source, after the sixth 0).
    expected3 = {name: zeros for name, _ in ROW_LABELS_2019}
    for name in ("outcome.denied.state_secret", "outcome.denied.prohibited_by_law",
                 "outcome.cannot_provide.not_held", "outcome.cannot_provide.needs_creation"):
        expected3[name] = blank_total
    assert table3_grid(result["table3"]) == expected3
    table2 = {f"proactive.{name}.{column}": 0 for name in ("rules", "normative_documents")
              for column in ("new_made", "new_published", "total_published")}
    table2 |= {f"proactive.{name}.{column}": 0 for name in ("licensing", "other_services", "penalty", "enforcement")
               for column in ("previous_items", "change", "decisions")}
    table2 |= {"proactive.fees.previous_items": 0, "proactive.fees.change": 0,
               "proactive.procurement.items": None, "proactive.procurement.amount": None}  # printed blank
    assert result["table2"] == table2
    assert table4_values(result["table4"]) == [0] * 15
    assert len([warning for warning in result["warnings"] if "all 0" in warning]) == 4
    assert not any("cannot tell" in warning or "not read" in warning for warning in result["warnings"])
    assert result["checks"] and not failed(result)


def test_103_tab_separated_with_blank_cells(tables):
    result = tables("103")
    table2, table3 = result["table2"], result["table3"]
    assert [table2[f"proactive.rules.{c}"] for c in ("new_made", "new_published", "total_published")] == [13, 13, 524]
    assert [table2[f"proactive.normative_documents.{c}"] for c in ("new_made", "new_published", "total_published")] == [
        60, 60, 368]
    assert table2["proactive.procurement.items"] == 6
    assert table2["proactive.procurement.amount"] == 25.1  # printed 251000元
    assert any("251000元" in warning for warning in result["warnings"])
    assert row(table3, "new") == [821, 35, None, None, 2, 1, 859]
    assert row(table3, "carried_over") == [18, None, None, None, None, None, 18]
    assert row(table3, "outcome.granted") == [258, 12, None, None, 1, 1, None]
    assert row(table3, "outcome.partly_granted") == [3] + [None] * 6
    assert row(table3, "outcome.denied.state_secret") == [14] + [None] * 6
    assert row(table3, "outcome.denied.prohibited_by_law") == [None] * 7
    assert row(table3, "outcome.denied.internal_affairs") == [5] + [None] * 6
    assert row(table3, "outcome.denied.process_info") == [3, 1] + [None] * 5
    assert row(table3, "outcome.denied.inquiry") == [10, 2] + [None] * 5
    assert row(table3, "outcome.cannot_provide.not_held") == [252, 12, None, None, 1, None, None]
    assert row(table3, "outcome.cannot_provide.needs_creation") == [44, 3] + [None] * 5
    assert row(table3, "outcome.cannot_provide.unclear") == [25] + [None] * 6
    assert row(table3, "outcome.not_processed.petition") == [148, 1] + [None] * 5
    assert row(table3, "outcome.not_processed.duplicate") == [5, 4] + [None] * 5
    assert row(table3, "outcome.other") == [None] * 7
    assert row(table3, "outcome.total") == [767, 35, None, None, 2, 1, 805]
    assert row(table3, "carried_forward") == [72, None, None, None, None, None, 72]
    assert table4_values(result["table4"]) == [5, None, None, 2, 7, 8, None, None, 1, 9] + [None] * 5
    rules = {check["rule"] for check in result["checks"]}
    assert {"applications.balance.natural_person", "applications.balance.total",
            "applications.outcome_sum.natural_person", "review.total"} <= rules
    assert not failed(result)


def test_216_pingtan_html_2021_template(tables):
    result = tables("216")
    assert result["table2"] == {
        "proactive.rules.issued": 0, "proactive.rules.repealed": 0, "proactive.rules.in_force": 0,
        "proactive.normative_documents.issued": 77, "proactive.normative_documents.repealed": 132,
        "proactive.normative_documents.in_force": 470, "proactive.licensing.decisions": 2629,
        "proactive.penalty.decisions": 1330, "proactive.enforcement.decisions": 54,
        "proactive.fees.amount": 5949.088667,
    }
    table3 = result["table3"]
    zeros = [0] * 7
    expected = {
        "new": [80, 1, 0, 0, 0, 0, 81], "carried_over": zeros,
        "outcome.granted": [22, 0, 0, 0, 0, 0, 22], "outcome.partly_granted": [19, 1, 0, 0, 0, 0, 20],
        "outcome.denied.state_secret": zeros, "outcome.denied.third_party": [1, 0, 0, 0, 0, 0, 1],
        "outcome.denied.process_info": [1, 0, 0, 0, 0, 0, 1],
        "outcome.denied.enforcement_file": [1, 0, 0, 0, 0, 0, 1],
        "outcome.denied.inquiry": [2, 0, 0, 0, 0, 0, 2],
        "outcome.cannot_provide.not_held": [31, 0, 0, 0, 0, 0, 31],
        "outcome.not_processed.duplicate": [1, 0, 0, 0, 0, 0, 1],
        "outcome.other.no_correction": [1, 0, 0, 0, 0, 0, 1], "outcome.other.unpaid_fees": zeros,
        "outcome.other.other": [1, 0, 0, 0, 0, 0, 1],
        "outcome.total": [80, 1, 0, 0, 0, 0, 81], "carried_forward": zeros,
    }
    for name, values in expected.items():
        assert row(table3, name) == values, name
    assert table4_values(result["table4"]) == [1, 1, 0, 0, 2, 4, 0, 0, 1, 5, 1, 0, 1, 0, 2]
    assert result["warnings"] == [] and not failed(result)


@pytest.mark.parametrize("number, new, total, carried_forward, review", [
    ("212", [23, 0, 0, 0, 0, 0, 23], [23, 0, 0, 0, 0, 0, 23], [0] * 7, [0, 0, 0, 0, 0]),
    ("214", [64, 0, 0, 2, 0, 4, 70], [63, 0, 0, 2, 0, 4, 69], [1, 0, 0, 0, 0, 0, 1], [1, 0, 2, 0, 3]),
    ("218", [151, 3, 0, 0, 0, 0, 154], [147, 1, 0, 0, 0, 0, 148], [4, 2, 0, 0, 0, 0, 6], [25, 3, 8, 0, 36]),
])
def test_pingtan_html_tables(tables, number, new, total, carried_forward, review):
    result = tables(number)
    assert row(result["table3"], "new") == new
    assert row(result["table3"], "outcome.total") == total
    assert row(result["table3"], "carried_forward") == carried_forward
    assert [result["table4"][f"review.{c}"] for c in TABLE4_COLUMNS] == review
    assert not failed(result)


def test_212_procurement_in_yuan(tables):
    table2 = tables("212")["table2"]
    assert table2["proactive.procurement.items"] == 135
    assert table2["proactive.procurement.amount"] == pytest.approx(7539.443252)
    assert table2["proactive.licensing.previous_items"] == 396
    assert table2["proactive.penalty.decisions"] == 430


def test_101_markdown_rows(tables):
    result = tables("101")
    assert result["table2"]["proactive.licensing.decisions"] == 517645
    assert result["table2"]["proactive.fees.amount"] == 4068.208
    assert row(result["table3"], "new") == [705, 3, 0, 0, 5, 0, 713]
    assert row(result["table3"], "outcome.other.other") == [142, 1, 0, 0, 0, 0, 143]
    assert row(result["table3"], "carried_forward") == [31, 0, 0, 0, 0, 0, 31]
    assert table4_values(result["table4"]) == [27, 10, 9, 15, 61, 3, 0, 0, 0, 3, 8, 0, 1, 1, 10]


def test_102_pdf_rows_apart_from_their_labels(tables):
    result = tables("102")
    assert result["table2"] == {
        "proactive.rules.issued": 0, "proactive.rules.repealed": 0, "proactive.rules.in_force": 0,
        "proactive.normative_documents.issued": 13, "proactive.normative_documents.repealed": 0,
        "proactive.normative_documents.in_force": 55, "proactive.licensing.decisions": 97,
        "proactive.penalty.decisions": 0, "proactive.enforcement.decisions": 0, "proactive.fees.amount": 0,
    }
    zeros = [0] * 7
    # Nine rows are printed as "| n | n | ... |" lines apart from their labels, which float as text
    # lines nearby; their places follow from the template order between the labelled rows.
    assert table3_grid(result["table3"]) == {
        "new": [32, 2, 0, 0, 0, 0, 34], "carried_over": [2, 0, 0, 0, 0, 0, 2],
        "outcome.granted": [9, 0, 0, 0, 0, 0, 9], "outcome.partly_granted": zeros,
        "outcome.denied.state_secret": zeros, "outcome.denied.prohibited_by_law": zeros,
        "outcome.denied.security_stability": zeros, "outcome.denied.third_party": zeros,
        "outcome.denied.internal_affairs": [1, 0, 0, 0, 0, 0, 1], "outcome.denied.process_info": [1, 0, 0, 0, 0, 0, 1],
        "outcome.denied.enforcement_file": zeros, "outcome.denied.inquiry": zeros,
        "outcome.cannot_provide.not_held": [4, 0, 0, 0, 0, 0, 4],
        "outcome.cannot_provide.needs_creation": [6, 0, 0, 0, 0, 0, 6], "outcome.cannot_provide.unclear": zeros,
        "outcome.not_processed.petition": zeros, "outcome.not_processed.duplicate": zeros,
        "outcome.not_processed.publication": zeros, "outcome.not_processed.mass_repeated": zeros,
        "outcome.not_processed.confirmation": zeros, "outcome.other.no_correction": [8, 2, 0, 0, 0, 0, 10],
        "outcome.other.unpaid_fees": zeros, "outcome.other.other": [4, 0, 0, 0, 0, 0, 4],
        "outcome.total": [33, 2, 0, 0, 0, 0, 35],
        "carried_forward": [1, 0, 0, 0, 0, 0, None],  # total printed blank
    }
    assert table4_values(result["table4"]) == [1, 0, 0, 0, 1] + [0] * 10
    # A lone "1" printed among the floating labels of (六)其他处理 belongs to no cell.
    assert result["warnings"] == [
        "table 3: number(s) 1 printed apart from the line of row 'outcome.other.unpaid_fees' could not be placed"]
    # 34 + 2 = 36 against 35 + blank: the blank printed total makes the one failed check.
    assert failed(result) == {"applications.balance.total"}


@pytest.mark.parametrize("number", ["002", "201", "205", "210"])
def test_older_reports_have_no_standard_tables(number):
    report = parse_report(report_path(number))
    assert report.year < 2019
    assert report.tables == {"table2": {}, "table3": {}, "table4": {}, "checks": [],
                             "warnings": [NO_STANDARD_TABLES]}


def test_inspect_json_has_tables():
    data = parse_report(report_path("000")).to_dict()
    assert set(data["tables"]) == {"table2", "table3", "table4", "checks", "warnings"}
    assert data["tables"]["table2"]["proactive.procurement.amount"] == 20477
    check = data["tables"]["checks"][0]
    assert set(check) == {"rule", "ok", "expected", "actual", "detail"}


def test_to_dict_leaves_out_tables_when_none():
    report = parse_report(report_path("000"))
    report.tables = None
    assert "tables" not in report.to_dict()


# --- hand-made tables -------------------------------------------------------------------------

ROW_LABELS_2019 = [
    ("new", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量"),
    ("outcome.granted", "(一)予以公开"), ("outcome.partly_granted", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"),
    ("outcome.denied.state_secret", "1.属于国家秘密"), ("outcome.denied.prohibited_by_law", "2.其他法律行政法规禁止公开"),
    ("outcome.denied.security_stability", "3.危及“三安全一稳定”"), ("outcome.denied.third_party", "4.保护第三方合法权益"),
    ("outcome.denied.internal_affairs", "5.属于三类内部事务信息"), ("outcome.denied.process_info", "6.属于四类过程性信息"),
    ("outcome.denied.enforcement_file", "7.属于行政执法案卷"), ("outcome.denied.inquiry", "8.属于行政查询事项"),
    ("outcome.cannot_provide.not_held", "1.本机关不掌握相关政府信息"),
    ("outcome.cannot_provide.needs_creation", "2.没有现成信息需要另行制作"),
    ("outcome.cannot_provide.unclear", "3.补正后申请内容仍不明确"),
    ("outcome.not_processed.petition", "1.信访举报投诉类申请"), ("outcome.not_processed.duplicate", "2.重复申请"),
    ("outcome.not_processed.publication", "3.要求提供公开出版物"),
    ("outcome.not_processed.mass_repeated", "4.无正当理由大量反复申请"),
    ("outcome.not_processed.confirmation", "5.要求行政机关确认或重新出具已获取信息"),
    ("outcome.other", "(六)其他处理"), ("outcome.total", "(七)总计"), ("carried_forward", "四、结转下年度继续办理"),
]
GROUP_BEFORE = {"outcome.granted": "三、本年度办理结果", "outcome.denied.state_secret": "(三)不予公开",
                "outcome.cannot_provide.not_held": "(四)无法提供", "outcome.not_processed.petition": "(五)不予处理"}
HEADER = ["(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", "申请人情况", "自然人",
          "法人或其他组织", "总计", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]


def consistent_grid() -> dict[str, list[int]]:
    """A table 3 that adds up: 10 new + 2 carried over per person, handled 9, 3 carried forward."""
    grid = {name: [0] * 6 for name, _ in ROW_LABELS_2019}
    grid["new"] = [10, 4, 0, 1, 0, 2]
    grid["carried_over"] = [2, 0, 0, 0, 0, 1]
    grid["outcome.granted"] = [5, 2, 0, 1, 0, 1]
    grid["outcome.partly_granted"] = [2, 0, 0, 0, 0, 0]
    grid["outcome.denied.state_secret"] = [1, 0, 0, 0, 0, 0]
    grid["outcome.cannot_provide.not_held"] = [1, 1, 0, 0, 0, 1]
    grid["outcome.total"] = [9, 3, 0, 1, 0, 2]
    grid["carried_forward"] = [3, 1, 0, 0, 0, 1]
    return {name: values + [sum(values)] for name, values in grid.items()}


def render(grid: dict[str, list], form: str, lost: Iterable[str] = ()) -> str:
    """Table 3 text in one of the converter forms; rows in `lost` lose their labels ("cell": the
    label is left out; "markdown": the numbers make a line of their own, the labels follow as text)."""
    lines = list(HEADER) if form != "tab" else ["\t".join(HEADER[:2]), "\t".join(HEADER[2:5]), "\t".join(HEADER[5:])]
    for name, label in ROW_LABELS_2019:
        cells = ["" if value is None else str(value) for value in grid[name]]
        group = GROUP_BEFORE.get(name)
        if name in lost and form == "cell":
            lines += ([group] if group else []) + cells
        elif name in lost and form == "markdown":
            lines += ["| " + " | ".join(cells) + " |"] + ([group] if group else []) + [label]
        elif form == "cell":
            lines += ([group] if group else []) + [label] + cells
        elif form == "pipe":
            lines += [f"{cell} |" for cell in ([group] if group else []) + [label] + cells] + ["||"]
        elif form == "blank_lines":
            for cell in ([group] if group else []) + [label] + cells:
                lines += [cell, ""]
        elif form == "tab":
            lines.append("\t".join(([group] if group else []) + [label] + cells).rstrip("\t"))
        elif form == "markdown":
            lines.append("| " + " | ".join(([group] if group else []) + [label] + cells) + " |")
    return "\n".join(lines)


def sections_with(table3_text: str, table4_text: str = "") -> list[Section]:
    sections = [Section("applications", "收到和处理政府信息公开申请情况", "三、收到和处理政府信息公开申请情况",
                        table3_text)]
    if table4_text:
        sections.append(Section("review_litigation", "政府信息公开行政复议、行政诉讼情况",
                                "四、政府信息公开行政复议、行政诉讼情况", table4_text))
    return sections


@pytest.mark.parametrize("form", ["cell", "pipe", "blank_lines", "tab", "markdown"])
def test_hand_made_table3_forms(form):
    grid = consistent_grid()
    result = extract_tables(sections_with(render(grid, form)), 2020)
    for name, values in grid.items():
        assert row(result["table3"], name) == values, (form, name)
    assert result["checks"] and not failed(result)
    assert len([c for c in result["checks"] if c["rule"].startswith("applications.balance")]) == 7


def test_hand_made_tab_blank_cells_are_none():
    grid = consistent_grid()
    grid["new"] = [10, 4, None, 1, None, 2, 17]
    result = extract_tables(sections_with(render(grid, "tab")), 2020)
    assert row(result["table3"], "new") == [10, 4, None, 1, None, 2, 17]
    assert not failed(result)
    assert any("blank cells counted as 0" in check["detail"] for check in result["checks"]
               if check["rule"] == "applications.row_total.new")


def test_hand_made_traditional_script():
    from indexer.script import to_traditional

    grid = consistent_grid()
    result = extract_tables(sections_with(to_traditional(render(grid, "cell"))), 2020)
    assert row(result["table3"], "outcome.cannot_provide.not_held") == [1, 1, 0, 0, 0, 1, 3]
    assert not failed(result)


def test_broken_table3_fails_exactly_the_right_checks():
    grid = consistent_grid()
    grid["outcome.granted"][0] += 1  # natural person: granted row and 总计 column no longer agree
    grid["new"][6] += 5  # stated total of new applications is off by 5
    result = extract_tables(sections_with(render(grid, "cell")), 2020)
    assert failed(result) == {
        "applications.row_total.outcome.granted",  # 6+2+0+1+0+1 = 10 but total says 9
        "applications.outcome_sum.natural_person",  # outcome rows give 10, (七)总计 says 9
        "applications.row_total.new",  # 17 vs 22
        "applications.balance.total",  # 22 + 3 = 25 vs 15 + 5 = 20
    }
    by_rule = {check["rule"]: check for check in result["checks"]}
    balance = by_rule["applications.balance.total"]
    assert (balance["expected"], balance["actual"]) == (25, 20)
    assert "new 22" in balance["detail"] and "carried_forward 5" in balance["detail"]
    granted = by_rule["applications.row_total.outcome.granted"]
    assert (granted["expected"], granted["actual"]) == (10, 9)


def test_hand_made_lost_labels_one_cell_per_line_rows_short_of_a_total():
    grid = consistent_grid()
    grid["outcome.granted"] = [6, 2, 0, 1, 0, 1, 10]
    grid["outcome.denied.state_secret"] = [0] * 6 + [None]  # total cell printed blank
    grid["outcome.denied.prohibited_by_law"] = [0] * 6 + [None]
    lost = {"outcome.denied.state_secret", "outcome.denied.prohibited_by_law"}
    result = extract_tables(sections_with(render(grid, "cell", lost)), 2020)
    # 12 zeros between (三)不予公开 and 3.危及: 6 + 6 (not 7 + 5), the missing cells at the end.
    for name, values in grid.items():
        assert row(result["table3"], name) == values, name
    assert sum("6 of 7 numbers, all 0" in warning for warning in result["warnings"]) == 2
    assert not failed(result)


def test_hand_made_lost_labels_short_row_with_other_numbers_is_ambiguous():
    grid = consistent_grid()  # state_secret is [1, 0, 0, 0, 0, 0, 1]
    grid["outcome.denied.state_secret"] = [1, 0, 0, 0, 0, 0, None]
    grid["outcome.denied.prohibited_by_law"] = [0] * 6 + [None]
    lost = {"outcome.denied.state_secret", "outcome.denied.prohibited_by_law"}
    result = extract_tables(sections_with(render(grid, "cell", lost)), 2020)
    # Six numbers with a 1 among them: which cell is blank cannot be told (the 0 of the next row is not
    # taken as the total); the all-0 row is read in column order.
    assert row(result["table3"], "outcome.denied.state_secret") == [None] * 7
    assert row(result["table3"], "outcome.denied.prohibited_by_law") == [0] * 6 + [None]
    assert any("'outcome.denied.state_secret' has 6 of 7 numbers; cannot tell" in w for w in result["warnings"])
    assert row(result["table3"], "outcome.denied.security_stability") == [0] * 7


def test_hand_made_one_cell_per_line_run_that_does_not_divide_evenly():
    grid = consistent_grid()
    grid["outcome.denied.prohibited_by_law"] = [0] * 6 + [None]
    lost = {"outcome.denied.state_secret", "outcome.denied.prohibited_by_law"}
    result = extract_tables(sections_with(render(grid, "cell", lost)), 2020)
    # 13 numbers over two rows: the first takes a full row, the rest is the short second row.
    assert row(result["table3"], "outcome.denied.state_secret") == [1, 0, 0, 0, 0, 0, 1]
    assert row(result["table3"], "outcome.denied.prohibited_by_law") == [0] * 6 + [None]


def test_hand_made_rows_printed_apart_from_their_labels():
    grid = consistent_grid()
    grid["outcome.cannot_provide.needs_creation"] = [2, 0, 0, 0, 0, 0, 2]
    grid["outcome.granted"] = [3, 2, 0, 1, 0, 1, 7]
    lost = {"outcome.partly_granted", "outcome.cannot_provide.not_held", "outcome.cannot_provide.needs_creation",
            "outcome.cannot_provide.unclear", "outcome.not_processed.confirmation"}
    text = render(grid, "markdown", lost)
    assert "| 2 | 0 | 0 | 0 | 0 | 0 | 2 |\n(二)部分公开" in text
    result = extract_tables(sections_with(text), 2020)
    for name, values in grid.items():
        assert row(result["table3"], name) == values, name
    assert not [warning for warning in result["warnings"] if warning.startswith("table 3")]
    assert not failed(result)


def test_hand_made_rows_apart_from_labels_placed_only_when_the_count_fits():
    grid = consistent_grid()
    text = render(grid, "markdown", {"outcome.partly_granted"})
    text = text.replace("| 2 | 0 | 0 | 0 | 0 | 0 | 2 |", "| 2 | 0 | 0 | 0 | 0 | 0 | 2 |\n| 5 | 5 | 5 | 5 | 5 | 5 | 30 |")
    result = extract_tables(sections_with(text), 2020)
    # Two lines for one row with a lost label: neither can be placed.
    assert row(result["table3"], "outcome.partly_granted") == [None] * 7
    assert "table 3: 2 line(s) of numbers without a row label could not be placed" in result["warnings"]
    assert "table 3: rows not read: outcome.partly_granted" in result["warnings"]
    assert row(result["table3"], "outcome.denied.state_secret") == grid["outcome.denied.state_secret"]


def test_hand_made_stray_number_beside_a_floating_label():
    grid = consistent_grid()
    text = render(grid, "markdown", {"outcome.not_processed.confirmation"})
    text = text.replace("重新出具已获取信息\n", "重新出具已获取信息\n7\n")
    result = extract_tables(sections_with(text), 2020)
    assert row(result["table3"], "outcome.not_processed.confirmation") == [0] * 7
    assert [warning for warning in result["warnings"] if warning.startswith("table 3")] == [
        "table 3: number(s) 7 printed apart from the line of row 'outcome.not_processed.confirmation' could not be placed"]
    assert not failed(result)


def test_table4_hand_made_and_broken():
    header = "行政复议 |\n行政诉讼 |\n结果维持 |\n结果纠正 |\n其他结果 |\n尚未审结 |\n总计 |\n"
    numbers = [1, 0, 2, 0, 3, 4, 0, 0, 1, 5, 0, 0, 0, 0, 1]  # after_review total wrong
    text = header + "\n".join(f"{n} |" for n in numbers)
    result = extract_tables(sections_with(render(consistent_grid(), "cell"), text), 2022)
    assert table4_values(result["table4"]) == numbers
    assert failed(result) == {"litigation.after_review.total"}
    check = next(c for c in result["checks"] if c["rule"] == "litigation.after_review.total")
    assert (check["expected"], check["actual"]) == (0, 1)


def test_table4_tab_form_with_trailing_blanks():
    text = "行政复议\t行政诉讼\n结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n2\t\t1\t\t3\n"
    result = extract_tables(sections_with("", text), 2020)
    assert table4_values(result["table4"]) == [2, None, 1, None, 3] + [None] * 10
    assert not failed(result)


def test_table2_forms_2021():
    text = "\n".join([
        "第二十条第（一）项", "信息内容\t本年制发件数\t本年废止件数\t现行有效件数", "规章\t1\t0\t5",
        "行政规范性文件\t3\t1\t20", "第二十条第（五）项", "| 信息内容 | 本年处理决定数量 |", "|---|---|",
        "| 行政许可 | 1,234 |", "第二十条第（六）项", "信息内容本年处理决定数量", "行政处罚 7", "行政强制",
        "0", "第二十条第（八）项", "信息内容", "本年收费金额（单位：万元）", "行政事业性收费", "12.5",
    ])
    result = extract_tables([Section("proactive", "主动公开政府信息情况", "二、主动公开政府信息情况", text)], 2022)
    assert result["table2"] == {
        "proactive.rules.issued": 1, "proactive.rules.repealed": 0, "proactive.rules.in_force": 5,
        "proactive.normative_documents.issued": 3, "proactive.normative_documents.repealed": 1,
        "proactive.normative_documents.in_force": 20, "proactive.licensing.decisions": 1234,
        "proactive.penalty.decisions": 7, "proactive.enforcement.decisions": 0, "proactive.fees.amount": 12.5,
    }


def test_missing_tables_are_reported():
    result = extract_tables([Section("overview", "总体情况", "一、总体情况", "今年无申请。")], 2020)
    assert result["table3"] == {}
    assert any("table 3 not found" in warning for warning in result["warnings"])
    assert result["checks"] == []


def test_check_tables_skips_unread_cells():
    grid = consistent_grid()
    table3 = {f"applications.{name}.{column}": value
              for name, values in grid.items() for column, value in zip(TABLE3_COLUMNS, values)}
    table3["applications.outcome.granted.natural_person"] = None
    unread = {"applications.outcome.granted.natural_person"}
    rules = {check["rule"] for check in check_tables(table3, {}, unread)}
    assert "applications.outcome_sum.natural_person" not in rules
    assert "applications.row_total.outcome.granted" not in rules
    assert "applications.outcome_sum.commercial" in rules
    assert len(APPLICANT_COLUMNS) == 6
