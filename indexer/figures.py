"""The key figures of a report's statistics tables: what /stats shows and the index stores as numbers.

Each figure is read from the named cells of indexer.tables (table 3: applications and outcomes, in
the total column; table 4: administrative review and litigation). A figure the report does not
state is None, never 0.
"""

from __future__ import annotations

DENIED_REASONS = (
    ("state_secret", "属于国家秘密"),
    ("prohibited_by_law", "法律行政法规禁止公开"),
    ("security_stability", "危及“三安全一稳定”"),
    ("third_party", "保护第三方合法权益"),
    ("internal_affairs", "三类内部事务信息"),
    ("process_info", "四类过程性信息"),
    ("enforcement_file", "行政执法案卷"),
    ("inquiry", "行政查询事项"),
)
# (key, Chinese label) of the figures /stats, /stats.csv and /api/stats show, in column order.
KEY_FIGURES = (
    ("applications", "收到申请"),
    ("granted", "予以公开"),
    ("partly_granted", "部分公开"),
    ("denied", "不予公开"),
    *((f"denied_{name}", f"不予公开：{label}") for name, label in DENIED_REASONS),
    ("cannot_provide", "无法提供"),
    ("not_processed", "不予处理"),
    ("other", "其他处理"),
    ("handled", "办理总计"),
    ("review", "行政复议"),
    ("review_corrected", "复议纠正"),
    ("litigation", "行政诉讼"),
    ("litigation_corrected", "诉讼纠正"),
)
FIGURE_LABELS = dict(KEY_FIGURES)
# The outcome breakdown charted on /stats.
OUTCOME_FIGURES = ("granted", "partly_granted", "denied", "cannot_provide", "not_processed", "other")


def add_numbers(values) -> int | float | None:
    """Return the sum of the numbers among values, or None when there is none (blank stays blank)."""
    numbers = [value for value in values if isinstance(value, (int, float))]
    if not numbers:
        return None
    total = sum(numbers)
    return round(total, 6) if isinstance(total, float) else total


def figures_of(tables: dict | None) -> dict:
    """Return the key figures of a report's tables (None where the report does not state one)."""
    tables = tables or {}
    table3 = tables.get("table3") or {}
    table4 = tables.get("table4") or {}

    def cell(name: str):
        return table3.get(f"applications.{name}.total")

    def group(prefix: str):
        start = f"applications.{prefix}."
        return add_numbers(value for key, value in table3.items() if key.startswith(start) and key.endswith(".total"))

    figures = {
        "applications": cell("new"),
        "granted": cell("outcome.granted"),
        "partly_granted": cell("outcome.partly_granted"),
        "denied": group("outcome.denied"),
        **{f"denied_{name}": cell(f"outcome.denied.{name}") for name, _ in DENIED_REASONS},
        "cannot_provide": group("outcome.cannot_provide"),
        "not_processed": group("outcome.not_processed"),
        "other": group("outcome.other"),
        "handled": cell("outcome.total"),
        "review": table4.get("review.total"),
        "review_corrected": table4.get("review.corrected"),
        "litigation": add_numbers([table4.get("litigation.direct.total"), table4.get("litigation.after_review.total")]),
        "litigation_corrected": add_numbers([table4.get("litigation.direct.corrected"),
                                             table4.get("litigation.after_review.corrected")]),
    }
    return {key: figures[key] for key, _ in KEY_FIGURES}
