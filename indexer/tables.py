"""Read the three statistics tables of the 2019/2021 templates and check that they add up.

`extract_tables(sections, year)` returns::

    {"table2": {cell: value}, "table3": {cell: value}, "table4": {cell: value},
     "checks": [{"rule", "ok", "expected", "actual", "detail"}], "warnings": [str]}

Each table is a flat dict from a dotted cell name to a number (int, or float for money with
decimals), or None when the cell is blank or could not be read (never 0 for a blank).

Cell names
----------
Table 2 (主动公开政府信息情况, section `proactive`), prefix ``proactive.``; row names:
``rules`` (规章), ``normative_documents`` ((行政)规范性文件), ``licensing`` (行政许可),
``other_services`` (其他对外管理服务事项, 2019 only), ``penalty`` (行政处罚), ``enforcement``
(行政强制), ``fees`` (行政事业性收费), ``procurement`` (政府集中采购, 2019 only). Columns:

- 2021 template (国办公开办函〔2021〕30号): ``rules.issued/repealed/in_force`` (本年制发件数/本年废止件数/
  现行有效件数), same for ``normative_documents``; ``licensing.decisions``, ``penalty.decisions``,
  ``enforcement.decisions`` (本年处理决定数量); ``fees.amount`` (本年收费金额, 万元).
- 2019 template: ``rules.new_made/new_published/total_published`` (本年新制作数量/本年新公开数量/
  对外公开总数量), same for ``normative_documents``; ``licensing``, ``other_services``, ``penalty``,
  ``enforcement``: ``.previous_items/.change/.decisions`` (上一年项目数量/本年增减/处理决定数量);
  ``fees.previous_items/.change``; ``procurement.items`` (采购项目数量) and ``procurement.amount``
  (采购总金额, in 万元; an amount printed in 元 is converted, with a warning).

Table 3 (收到和处理政府信息公开申请情况, section `applications`), every row has the columns
``natural_person, commercial, research, social_welfare, legal_services, other_org, total``
(自然人; 法人或其他组织: 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他; 总计)::

    applications.new.<col>                       一、本年新收
    applications.carried_over.<col>              二、上年结转
    applications.outcome.granted.<col>           (一)予以公开
    applications.outcome.partly_granted.<col>    (二)部分公开
    applications.outcome.denied.<reason>.<col>   (三)不予公开: state_secret, prohibited_by_law,
        security_stability, third_party, internal_affairs, process_info, enforcement_file, inquiry
    applications.outcome.cannot_provide.<reason>.<col>  (四)无法提供: not_held, needs_creation, unclear
    applications.outcome.not_processed.<reason>.<col>   (五)不予处理: petition, duplicate,
        publication, mass_repeated, confirmation
    applications.outcome.other.<col>             (六)其他处理, 2019 template (one row)
    applications.outcome.other.<reason>.<col>    (六)其他处理, 2021 template: no_correction
        (逾期不补正), unpaid_fees (逾期未缴纳费用), other (其他)
    applications.outcome.total.<col>             (七)总计
    applications.carried_forward.<col>           四、结转下年度继续办理

Table 4 (行政复议、行政诉讼, section `review_litigation`): ``review.<col>``,
``litigation.direct.<col>`` (未经复议直接起诉), ``litigation.after_review.<col>`` (复议后起诉) with
columns ``upheld, corrected, other, pending, total`` (结果维持, 结果纠正, 其他结果, 尚未审结, 总计).

Checks (勾稽关系): ``applications.balance.<col>`` (new + carried_over = outcome.total +
carried_forward), ``applications.outcome_sum.<col>`` (outcome rows add up to outcome.total),
``applications.row_total.<row>`` (applicant columns add up to the total column) and
``review.total``/``litigation.direct.total``/``litigation.after_review.total`` (parts add up to
总计). A check whose stated figure is blank is skipped; blank parts next to printed numbers are
counted as 0 and the detail says so.

Reading: each section is turned into a stream of cells (one per line; tab-, ``|``- and
Markdown-separated lines are split, keeping blank cells in place). A normalised label (simplified
script, no spaces or punctuation) selects a template row; the numbers that follow fill its columns in
order. Table 3 also follows these rules for rows whose label the converter lost or moved:

- Numbers of a one-cell-per-line table that run past a full row go on to the next template row.
  When such a run ends short at the next recognised row and its numbers divide evenly over the rows
  it covers, each row gets the same share (every row lacks the same blank cells, e.g. 12 numbers for
  two 7-column rows are 6 + 6, not 7 + 5).
- A one-cell-per-line row with too few numbers is ambiguous and left blank with a warning, unless
  all its numbers are 0: then they fill its columns in order and the missing last cell(s) are blank
  (every printed cell is 0 wherever the blank was; a warning says so).
- Multi-cell lines of numbers without a label (PDF conversions print row labels apart from their
  numbers) fill, in order, the unread template rows between the recognised rows before and after
  them, when there are exactly as many lines as such rows; a one-per-line number that had gone to
  one of those rows is reported as unplaced. Otherwise the lines are reported as unplaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from indexer.models import Section
from indexer.script import to_simplified

NO_STANDARD_TABLES = "no standard tables"

APPLICANT_COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_services",
                     "other_org")
TABLE3_COLUMNS = APPLICANT_COLUMNS + ("total",)
TABLE4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
TABLE4_ROWS = ("review", "litigation.direct", "litigation.after_review")

# Table 3 rows in template order: (row name, label fragments). Group labels come separately.
_DENIED = [("state_secret", ("国家秘密",)), ("prohibited_by_law", ("禁止公开",)),
           ("security_stability", ("三安全", "一稳定")), ("third_party", ("第三方",)),
           ("internal_affairs", ("内部事务",)), ("process_info", ("过程性",)),
           ("enforcement_file", ("执法案卷",)), ("inquiry", ("行政查询", "查询事项"))]
_CANNOT = [("not_held", ("不掌握",)), ("needs_creation", ("另行制作", "没有现成")),
           ("unclear", ("不明确",))]
_NOT_PROCESSED = [("petition", ("信访", "举报投诉")), ("duplicate", ("重复申请",)),
                  ("publication", ("出版物",)), ("mass_repeated", ("大量反复",)),
                  ("confirmation", ("重新出具", "确认或"))]
_OTHER_2021 = [("no_correction", ("不补正",)), ("unpaid_fees", ("缴纳费用", "收费通知")),
               ("other", ())]  # "其他" alone, matched exactly


def _table3_rows(template_2021: bool) -> list[tuple[str, tuple[str, ...]]]:
    rows = [("new", ("本年新收",)), ("carried_over", ("上年结转",)),
            ("outcome.granted", ("予以公开",)), ("outcome.partly_granted", ("部分公开",))]
    rows += [(f"outcome.denied.{name}", frags) for name, frags in _DENIED]
    rows += [(f"outcome.cannot_provide.{name}", frags) for name, frags in _CANNOT]
    rows += [(f"outcome.not_processed.{name}", frags) for name, frags in _NOT_PROCESSED]
    if template_2021:
        rows += [(f"outcome.other.{name}", frags) for name, frags in _OTHER_2021]
    else:
        rows += [("outcome.other", ("其他处理",))]
    rows += [("outcome.total", ()), ("carried_forward", ("结转下年",))]
    return rows


# Group labels of table 3: fragment -> first row of the group.
_GROUPS_3 = [("不予公开", "outcome.denied.state_secret"), ("无法提供", "outcome.cannot_provide.not_held"),
             ("不予处理", "outcome.not_processed.petition")]

# Table 2 rows: (row name, label fragments, 2019 columns, 2021 columns).
_TABLE2_ROWS = [
    ("rules", ("规章",), ("new_made", "new_published", "total_published"), ("issued", "repealed", "in_force")),
    ("normative_documents", ("规范性文件",), ("new_made", "new_published", "total_published"),
     ("issued", "repealed", "in_force")),
    ("licensing", ("行政许可",), ("previous_items", "change", "decisions"), ("decisions",)),
    ("other_services", ("其他对外管理服务",), ("previous_items", "change", "decisions"), ()),
    ("penalty", ("行政处罚",), ("previous_items", "change", "decisions"), ("decisions",)),
    ("enforcement", ("行政强制",), ("previous_items", "change", "decisions"), ("decisions",)),
    ("fees", ("行政事业性收费",), ("previous_items", "change"), ("amount",)),
    ("procurement", ("政府集中采购", "集中采购"), ("items", "amount"), ()),
]

_PUNCT = re.compile(r"[\s\u3000|｜()（）\[\]【】、，,。.．:：;；“”\"'‘’《》<>＜＞/／\\\-—_·*#~]+")
_ENUM = re.compile(r"^(?:[一二三四五六七八九十]+|\d{1,2})(?=\D)")
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)(元|万元|件|个|项|人次|次)?$")
_BLANK = {"", "-", "--", "—", "——", "/", "／", "\\"}
_LABEL_NUMBERS = re.compile(r"^(\D*[\u4e00-\u9fff）)])\s+((?:[+-]?\d+(?:\.\d+)?\s*)+)$")
_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


class Cell:
    """One table cell: a label, a number (value), or a blank (value None, is_value True)."""

    __slots__ = ("text", "norm", "is_value", "value", "unit", "line", "positional")

    def __init__(self, text: str, line: int, positional: bool):
        self.text = text
        self.line = line
        self.positional = positional  # came from a multi-cell line, where blanks keep their place
        compact = re.sub(r"[\s,，]", "", text)
        self.unit = None
        self.value: int | float | None = None
        if compact in _BLANK:
            self.is_value = True
        elif match := _NUMBER.match(compact):
            self.is_value = True
            number = match.group(1)
            self.value = float(number) if "." in number else int(number)
            self.unit = match.group(2)
        else:
            self.is_value = False
        norm = _PUNCT.sub("", text)
        self.norm = _ENUM.sub("", norm) if not self.is_value else norm

    def __repr__(self) -> str:
        return f"Cell({self.text!r})"


def tokenize(text: str) -> list[Cell]:
    """Turn table text (any of the forms) into cells; text is converted to simplified script."""
    cells: list[Cell] = []
    for number, raw in enumerate(to_simplified(text).split("\n")):
        line = raw.strip()
        if not line or _SEPARATOR.match(line) or set(line) <= {"|", " ", "｜"}:
            continue
        if "\t" in line or line.count("|") >= 2 or (line.startswith("|") and "|" in line[1:]):
            parts = line.split("\t") if "\t" in line else line.strip("|").split("|")
            parts = [part.strip() for part in parts]
            while parts and parts[-1] in _BLANK:
                parts.pop()
            if len(parts) > 1:
                cells.extend(Cell(part, number, True) for part in parts)
                continue
            line = parts[0] if parts else ""
            if not line:
                continue
        line = line.rstrip("|").strip()
        if not line:
            continue
        match = _LABEL_NUMBERS.match(line)
        if match and len(match.group(1)) >= 2:
            cells.append(Cell(match.group(1), number, True))
            cells.extend(Cell(value, number, True) for value in match.group(2).split())
        else:
            cells.append(Cell(line, number, False))
    return cells


def _matches(norm: str, fragments: Sequence[str]) -> bool:
    return any(fragment in norm for fragment in fragments)


class _Orphan:
    """A multi-cell line of numbers with no label on it, kept to be placed by template order."""

    __slots__ = ("cells", "line")

    def __init__(self, line: int):
        self.line = line
        self.cells: list[Cell] = []


class _RowReader:
    """Assign the value cells of a stream to named rows, each with a fixed list of columns.

    While reading, numbers go to the row of the last label (and, one cell per line, on to the
    following rows when a row is full); afterwards `result()` applies the rules for lost labels and
    blank cells described in the module docstring.
    """

    def __init__(self, table: str, order: list[str], columns: dict[str, Sequence[str]], warnings: list[str]):
        self.table = table
        self.order = order
        self.columns = columns
        self.values: dict[str, list[Cell]] = {}
        self.warnings = warnings
        self.current: str | None = None
        self.current_line: int | None = None  # line of the label, for multi-cell rows
        self.unplaced: list[int] = []
        self.carry = True  # numbers past a full row go on to the next row (one cell per line)
        self.seen: set[str] = set()  # rows whose label was found
        self.unreadable: set[str] = set()  # cell names that could not be read (filled by result())
        # For the rules applied by result(): what was read, in the order of the text.
        self.stream: list[tuple[str, object]] = []  # ("row", name) when a row got its first number,
        # ("orphan", _Orphan) for a multi-cell line of numbers without a label
        self.runs: list[list[str]] = []  # rows filled by one run of one-per-line numbers
        self.run: list[str] | None = None

    def start(self, row: str | None, cell: Cell) -> None:
        self.current = row
        if row is not None:
            self.seen.add(row)
        self.current_line = cell.line if cell.positional else None
        self.run = None

    def add(self, cell: Cell) -> None:
        row = self.current
        if cell.positional and self.current_line != cell.line:
            # A multi-cell line of numbers with no label on it: its row is not known yet.
            last = self.stream[-1][1] if self.stream else None
            if not isinstance(last, _Orphan) or last.line != cell.line:
                last = _Orphan(cell.line)
                self.stream.append(("orphan", last))
            last.cells.append(cell)
            return
        if row is None:
            if cell.value is not None and (not self.unplaced or self.unplaced[-1] != cell.line):
                self.unplaced.append(cell.line)
            return
        filled = self.values.setdefault(row, [])
        if len(filled) >= len(self.columns[row]):
            if cell.positional or not self.carry:
                self.current = None
                return  # extra cells on a row line, or after a full table 2 row: ignore
            index = self.order.index(row) + 1
            if index < len(self.order) and self.order[index] not in self.values:
                # One cell per line and the next row's label is missing: its numbers follow on.
                self.current = row = self.order[index]
                self.seen.add(row)
                filled = self.values.setdefault(row, [])
            else:
                self.unplaced.append(cell.line)
                self.current = None
                return
        if not filled:
            self.stream.append(("row", row))
        if not cell.positional:
            if self.run is None:
                self.run = []
                self.runs.append(self.run)
            if not self.run or self.run[-1] != row:
                self.run.append(row)
        filled.append(cell)

    def _zero_short(self, row: str) -> bool:
        """A one-cell-per-line row with fewer numbers than columns, every one of them 0."""
        found = self.values.get(row, [])
        return (bool(found) and not found[0].positional and len(found) < len(self.columns[row])
                and all(cell.value == 0 for cell in found))

    def _settled(self, row: str) -> bool:
        """The row's numbers are known: from its label's line, a full run, or a short all-0 run."""
        found = self.values.get(row, [])
        return bool(found) and (found[0].positional or len(found) >= len(self.columns[row])
                                or self._zero_short(row))

    def _split_runs(self) -> None:
        """A run of one-per-line numbers that went on into rows with lost labels and came out short
        is split evenly when it divides evenly: each row lacks as many cells as the others."""
        for run in self.runs:
            columns = len(self.columns[run[0]])
            if len(run) < 2 or any(len(self.columns[row]) != columns for row in run):
                continue
            cells = [cell for row in run for cell in self.values[row]]
            if any(cell.positional for cell in cells) or len(self.values[run[-1]]) >= columns:
                continue
            index = self.order.index(run[-1]) + 1
            if index >= len(self.order) or not self.values.get(self.order[index]):
                continue  # not closed by a recognised row: the numbers may just stop
            if len(cells) % len(run):
                continue
            each = len(cells) // len(run)
            for number, row in enumerate(run):
                self.values[row] = cells[number * each:(number + 1) * each]

    def _place_orphans(self) -> None:
        """Lines of numbers without a label fill, in order, the unread rows between the recognised
        rows around them, when there are exactly as many lines as such rows."""
        group: list[_Orphan] = []
        previous: int | None = None
        for kind, item in self.stream + [("end", None)]:
            if kind == "orphan":
                group.append(item)
                continue
            if kind == "row" and not self._settled(item):
                continue  # a short row of one-per-line numbers may be one the lines belong to
            if group and previous is not None and kind == "row":
                following = self.order.index(item)
                gap = [row for row in self.order[previous + 1:following] if not self._settled(row)]
                if len(gap) == len(group) and all(len(orphan.cells) <= len(self.columns[row])
                                                  for orphan, row in zip(group, gap)):
                    for orphan, row in zip(group, gap):
                        stray = self.values.get(row)
                        if stray:
                            self.warnings.append(
                                f"{self.table}: number(s) {' '.join(cell.text for cell in stray)} printed apart "
                                f"from the line of row '{row}' could not be placed")
                        self.values[row] = orphan.cells
                        self.seen.add(row)
                    group = []
            self.unplaced.extend(orphan.line for orphan in group)
            group = []
            if kind == "row":
                previous = self.order.index(item)

    def result(self, prefix: str) -> dict:
        if self.carry:  # table 3; in table 2, lines of numbers without a label are heading noise
            self._split_runs()
            self._place_orphans()
        cells: dict = {}
        missing: list[str] = []
        for row in self.order:
            columns = self.columns[row]
            found = self.values.get(row, [])
            ambiguous = bool(found) and not found[0].positional and len(found) < len(columns)
            if ambiguous and self.carry and self._zero_short(row):
                ambiguous = False
                self.warnings.append(
                    f"{self.table}: row '{row}' has {len(found)} of {len(columns)} numbers, all 0; "
                    f"read in column order, the last {len(columns) - len(found)} cell(s) taken as blank")
            elif ambiguous:
                self.warnings.append(
                    f"{self.table}: row '{row}' has {len(found)} of {len(columns)} numbers; "
                    "cannot tell which cells are blank, left empty")
            elif row not in self.seen or (not found and self.unplaced):
                missing.append(row)
            for index, column in enumerate(columns):
                cell = found[index] if index < len(found) and not ambiguous else None
                name = f"{prefix}{row}.{column}"
                cells[name] = cell.value if cell is not None else None
                if ambiguous or row in missing:
                    self.unreadable.add(name)
        if missing:
            self.warnings.append(f"{self.table}: rows not read: {', '.join(missing)}")
        if self.unplaced:
            self.warnings.append(
                f"{self.table}: {len(set(self.unplaced))} line(s) of numbers without a row label could not be placed")
        return cells


def _is_prose(cell: Cell) -> bool:
    return "。" in cell.text or len(cell.norm) > 60


def read_table3(text: str, template_2021: bool, warnings: list[str], unreadable: set[str] | None = None) -> dict:
    cells = tokenize(text)
    if not template_2021:
        template_2021 = any(_matches(c.norm, ("不补正", "缴纳费用")) for c in cells if not c.is_value)
    rows = _table3_rows(template_2021)
    reader = _RowReader("table 3", [name for name, _ in rows],
                        {name: TABLE3_COLUMNS for name, _ in rows}, warnings)
    started = False
    for cell in cells:
        if cell.is_value:
            if started:
                reader.add(cell)
            continue
        norm = cell.norm
        row = _match_table3(norm, rows, template_2021)
        if row == "new":
            started = True
        if not started:
            continue
        if row is not None:
            reader.start(row, cell)
        elif _is_prose(cell) and reader.values:
            break
        elif cell.positional:
            reader.start(None, cell)
    if not started:
        warnings.append("table 3 not found (no row 本年新收政府信息公开申请数量)")
        return {}
    result = {f"applications.{name}": value for name, value in reader.result("").items()}
    if unreadable is not None:
        unreadable.update(f"applications.{name}" for name in reader.unreadable)
    return result


def _match_table3(norm: str, rows, template_2021: bool) -> str | None:
    if norm == "总计" or norm.endswith("七总计"):
        return "outcome.total"
    if norm == "其他":
        return "outcome.other.other" if template_2021 else None
    for name, fragments in rows:
        if fragments and _matches(norm, fragments):
            return name
    if "其他处理" in norm and template_2021:
        return "outcome.other.no_correction"
    for fragment, first in _GROUPS_3:
        if fragment in norm:
            return first
    return None


def read_table2(text: str, template_2021: bool, warnings: list[str]) -> dict:
    cells = tokenize(text)
    if not template_2021:
        template_2021 = any(_matches(c.norm, ("制发件数", "本年处理决定数量", "收费金额")) for c in cells
                            if not c.is_value)
    columns = {name: (new if template_2021 else old) for name, _, old, new in _TABLE2_ROWS}
    order = [name for name, *_ in _TABLE2_ROWS if columns[name]]
    reader = _RowReader("table 2", order, columns, warnings)
    reader.carry = False  # table 2 rows are in separate blocks: a missing label is not carried over
    seen = False
    for cell in cells:
        if cell.is_value:
            reader.add(cell)
            continue
        row = next((name for name, fragments, *_ in _TABLE2_ROWS
                    if columns[name] and _matches(cell.norm, fragments)), None)
        if row is not None and row in reader.values and reader.values[row]:
            row = None  # the same label again (prose): keep the first reading
        if row is not None:
            seen = True
            reader.start(row, cell)
        else:
            reader.start(None, cell)
    if not seen:
        warnings.append("table 2 not found (no row such as 规章, 行政许可, 行政处罚)")
        return {}
    reader.unplaced = []  # numbers in table 2 headings and prose are expected noise
    result = {f"proactive.{name}": value for name, value in reader.result("").items()}
    # Money: the template asks for 万元; some reports print 元.
    for row, column in (("procurement", "amount"), ("fees", "amount")):
        if column not in columns[row]:
            continue
        index = columns[row].index(column)
        found = reader.values.get(row, [])
        cell = found[index] if index < len(found) else None
        if cell is not None and cell.unit == "元" and cell.value is not None:
            converted = round(cell.value / 10000, 6)
            result[f"proactive.{row}.{column}"] = int(converted) if converted == int(converted) else converted
            warnings.append(f"table 2: {row}.{column} printed as {cell.text}, converted to {converted} 万元")
    return result


def read_table4(text: str, warnings: list[str]) -> dict:
    cells = tokenize(text)
    start = next((i for i, c in enumerate(cells) if not c.is_value and "行政复议" in c.norm), None)
    if start is None:
        warnings.append("table 4 not found (no 行政复议 header)")
        return {}
    values: list[Cell] = []
    for cell in cells[start:]:
        if cell.is_value:
            values.append(cell)
            if len(values) == 15:
                break
        elif values and _is_prose(cell):
            break
    names = [f"{row}.{column}" for row in TABLE4_ROWS for column in TABLE4_COLUMNS]
    if not values or all(cell.value is None for cell in values):
        warnings.append("table 4: no numbers found")
        return dict.fromkeys(names)
    if len(values) < 15 and not values[-1].positional:
        warnings.append(f"table 4: {len(values)} of 15 numbers; cannot tell which cells are blank, left empty")
        return dict.fromkeys(names)
    return {name: (values[i].value if i < len(values) else None) for i, name in enumerate(names)}


# --- checks -----------------------------------------------------------------------------------


def _sum(parts: Iterable[tuple[str, int | float | None]]) -> tuple[int | float | None, bool]:
    """Sum the numbers; None if all are blank. Also say whether some blank was counted as 0."""
    numbers = [value for _, value in parts if value is not None]
    blanks = any(value is None for _, value in parts)
    if not numbers:
        return None, blanks
    total = sum(numbers)
    return (round(total, 6) if isinstance(total, float) else total), blanks


def _fmt(parts: Sequence[tuple[str, int | float | None]]) -> str:
    return " + ".join(f"{name} {'blank' if value is None else value}" for name, value in parts)


def _check(checks: list[dict], rule: str, parts: list[tuple[str, int | float | None]],
           stated: list[tuple[str, int | float | None]], skip: bool = False) -> None:
    if skip:
        return
    expected, blank_parts = _sum(parts)
    actual, blank_stated = _sum(stated)
    if expected is None or actual is None or (len(stated) == 1 and stated[0][1] is None):
        return
    ok = abs(expected - actual) < 1e-6
    detail = f"{_fmt(parts)} = {expected}; {_fmt(stated)} = {actual}"
    if blank_parts or blank_stated:
        detail += " (blank cells counted as 0)"
    checks.append({"rule": rule, "ok": ok, "expected": expected, "actual": actual, "detail": detail})


def table3_rows(table3: dict) -> list[str]:
    """Return the row names of a read table 3, in order (without the 'applications.' prefix)."""
    rows: list[str] = []
    for key in table3:
        row = key[len("applications."):].rsplit(".", 1)[0]
        if row not in rows:
            rows.append(row)
    return rows


def check_tables(table3: dict, table4: dict, unreadable: Iterable[str] = ()) -> list[dict]:
    """Return the 勾稽关系 checks of tables 3 and 4 (see the module docstring).

    Checks involving a cell in `unreadable` (as opposed to printed blank) are left out.
    """
    checks: list[dict] = []
    unreadable = set(unreadable)

    def skip3(cells: Iterable[tuple[str, str]]) -> bool:
        return any(f"applications.{row}.{column}" in unreadable for row, column in cells)

    if table3:
        rows = table3_rows(table3)
        outcome_rows = [row for row in rows if row.startswith("outcome.") and row != "outcome.total"]

        def cell(row: str, column: str):
            return (f"{row}", table3.get(f"applications.{row}.{column}"))

        balance_rows = ("new", "carried_over", "outcome.total", "carried_forward")
        for column in TABLE3_COLUMNS:
            _check(checks, f"applications.balance.{column}",
                   [cell("new", column), cell("carried_over", column)],
                   [cell("outcome.total", column), cell("carried_forward", column)],
                   skip3((row, column) for row in balance_rows))
        for column in TABLE3_COLUMNS:
            _check(checks, f"applications.outcome_sum.{column}",
                   [cell(row, column) for row in outcome_rows], [cell("outcome.total", column)],
                   skip3((row, column) for row in outcome_rows + ["outcome.total"]))
        for row in rows:
            _check(checks, f"applications.row_total.{row}",
                   [(column, table3.get(f"applications.{row}.{column}")) for column in APPLICANT_COLUMNS],
                   [("total", table3.get(f"applications.{row}.total"))],
                   skip3((row, column) for column in TABLE3_COLUMNS))
    if table4:
        for row in TABLE4_ROWS:
            _check(checks, f"{row}.total",
                   [(column, table4.get(f"{row}.{column}")) for column in TABLE4_COLUMNS[:-1]],
                   [("total", table4.get(f"{row}.total"))])
    return checks


def extract_tables(sections: Sequence[Section], year: int | None) -> dict:
    """Read tables 2, 3 and 4 from a report's sections and check them (see the module docstring)."""
    result: dict = {"table2": {}, "table3": {}, "table4": {}, "checks": [], "warnings": []}
    warnings: list[str] = result["warnings"]
    if year is not None and year < 2019:
        warnings.append(NO_STANDARD_TABLES)
        return result
    unreadable: set[str] = set()
    by_key = {section.key: section.full_text() for section in sections}
    template_2021 = year is not None and year >= 2021
    if "proactive" in by_key:
        result["table2"] = read_table2(by_key["proactive"], template_2021, warnings)
    else:
        warnings.append("table 2 not found (no section 主动公开政府信息情况)")
    if "applications" in by_key:
        result["table3"] = read_table3(by_key["applications"], template_2021, warnings, unreadable)
    else:
        warnings.append("table 3 not found (no section 收到和处理政府信息公开申请情况)")
    if "review_litigation" in by_key:
        result["table4"] = read_table4(by_key["review_litigation"], warnings)
    else:
        warnings.append("table 4 not found (no section 行政复议、行政诉讼)")
    if not any(result[name] for name in ("table2", "table3", "table4")) and year is None:
        warnings[:] = [NO_STANDARD_TABLES]
    result["checks"] = check_tables(result["table3"], result["table4"], unreadable)
    if unreadable:
        warnings.append("checks involving unread cells were skipped")
    return result
