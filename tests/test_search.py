"""search() on a real index of the sample corpus: what a person searching would check."""

import random
import re

import pytest

from app.query import MAX_QUERY_LENGTH, QueryError, parse_query
from app.search import SearchRequest, open_index, search
from indexer.analysis import _is_gap as is_gap
from indexer.indexing import index_corpus
from indexer.pipeline import parse_report
from indexer.script import to_simplified
from conftest import CORPUS

REPORTS = {path.name[:3]: path for path in (CORPUS / "reports").iterdir()}


def run(index, query="", **options):
    return search(index, SearchRequest(query=query, **options))


def all_hits(index, query, **options):
    first = run(index, query, page_size=100, **options)
    hits = list(first.hits)
    for page in range(2, first.pages + 1):
        hits += run(index, query, page_size=100, page=page, **options).hits
    return first, hits


@pytest.fixture(scope="module")
def parsed():
    return {prefix: parse_report(path) for prefix, path in REPORTS.items()}


def plain(text):
    """Simplified text with punctuation and spaces removed: what 'occurs in the text' means."""
    return re.sub(r"[\W_]", "", to_simplified(text))


def test_empty_query_browses_everything(sample_index, parsed):
    page = run(sample_index)
    assert page.total == sum(len(report.sections) for report in parsed.values())
    assert sum(value.count for value in page.facets["section"]) == page.total
    assert {value.value for value in page.facets["year"]} == {r.year for r in parsed.values()}
    assert page.hits[0].year == max(r.year for r in parsed.values())  # newest first


def test_cross_script_queries_find_the_same(sample_index):
    simplified = run(sample_index, "政务公开", page_size=100)
    traditional = run(sample_index, "政務公開", page_size=100)
    assert simplified.total == traditional.total > 0
    assert [h.report_id for h in simplified.hits] == [h.report_id for h in traditional.hits]


def test_simplified_query_finds_traditional_report_and_marks_original_script(sample_index):
    page = run(sample_index, "岩垅乡")
    assert page.total >= 1
    hit = page.hits[0]
    assert hit.source.endswith(REPORTS["001"].name)
    assert "<mark>巖垅鄉</mark>" in hit.snippet


def test_every_hit_contains_the_query(sample_index, parsed):
    for query in ("三公经费", "依申请公开", "巴丹吉林", "阳光阿右旗", "行政复议"):
        _, hits = all_hits(sample_index, query)
        assert hits, query
        for hit in hits:
            report = next(r for r in parsed.values() if r.path.endswith(hit.source.split("/")[-1]))
            section = report.sections[hit.position]
            text = plain(section.heading + section.full_text() + (report.title or ""))
            assert plain(query) in text or all(word in text for word in ("三公", "经费")), (query, hit.source)


def test_quoted_phrase_matches_only_where_it_occurs(sample_index, parsed):
    _, hits = all_hits(sample_index, '"政府信息公开申请"')
    assert hits
    expected = {
        (prefix, position)
        for prefix, report in parsed.items()
        for position, section in enumerate(report.sections)
        if "政府信息公开申请" in plain(section.heading) or "政府信息公开申请" in plain(section.full_text())
    }
    found = {(hit.source.split("/")[-1][:3], hit.position) for hit in hits}
    assert found == expected


def test_exclusion(sample_index):
    with_word = run(sample_index, "政务公开").total
    excluded = run(sample_index, "政务公开 -平潭")
    both = run(sample_index, "政务公开 平潭").total
    assert excluded.total == with_word - both
    assert all("平潭" not in hit.title for hit in excluded.hits)


def test_or(sample_index):
    a, b = run(sample_index, "阳光阿右旗").total, run(sample_index, "三公经费").total
    both = run(sample_index, "阳光阿右旗 三公经费").total
    assert run(sample_index, "阳光阿右旗 OR 三公经费").total == a + b - both


def test_substring_recall(sample_index, parsed):
    """Any run of 2+ Chinese characters in a section finds that section, however jieba cuts it."""
    rng = random.Random(20261122)
    checked = 0
    for prefix in sorted(parsed):
        report = parsed[prefix]
        for position, section in enumerate(report.sections):
            # Runs of Chinese characters, punctuation and spaces between them ignored.
            joined = "".join(char for char in to_simplified(section.full_text()) if not is_gap(char))
            runs = [run for run in re.findall(r"[\u4e00-\u9fff]+", joined) if len(run) >= 8]
            if not runs:
                continue
            for _ in range(4):
                chars = rng.choice(runs)
                size = rng.randint(2, 6)
                start = rng.randrange(0, len(chars) - size)
                query = chars[start:start + size]
                page = run(sample_index, query, sections=(section.key,), years=((report.year, report.year),),
                           regions=(report.region.province,), page_size=100)
                positions = {(hit.source.split("/")[-1][:3], hit.position) for hit in page.hits}
                assert (prefix, position) in positions, (query, prefix, section.key)
                checked += 1
    assert checked > 300


def test_bigram_only_matches_are_found(sample_index, parsed):
    # 息公 is never a word (it straddles 信息|公开), and 三公经费 is only ever written “三公”经费.
    for query in ("息公", "三公经费"):
        expected = sum(
            1 for report in parsed.values() for section in report.sections
            if query in plain(section.full_text()) or query in plain(section.heading)
        )
        assert run(sample_index, query).total == expected > 0, query


def test_word_matches_rank_above_bigram_only_matches(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    header = "某某镇人民政府2020年政府信息公开工作年度报告\n一、总体情况\n"
    # The word 三公经费 in a long section, and only the bigrams of it (across a quote mark) in
    # short sections, which BM25 would otherwise favour.
    (corpus / "a.txt").write_text(header + "本镇公开三公经费预算。" + "其他工作稳步推进。" * 40, encoding="utf-8")
    for name in ("b", "c", "d"):
        (corpus / f"{name}.txt").write_text(header + "公开“三公”经费。" * 3, encoding="utf-8")
    index_corpus(corpus, tmp_path / "index")
    page = run(open_index(tmp_path / "index"), "三公经费")
    assert [hit.source for hit in page.hits][0] == "a.txt"
    assert page.total == 4


def test_filters_and_facet_counts(sample_index):
    page = run(sample_index, "公开", regions=("怀化市",))
    assert page.total > 0 and all(hit.region["city"] == "怀化市" for hit in page.hits)
    by_year = {value.value: value.count for value in run(sample_index, "公开").facets["year"]}
    for year, count in by_year.items():
        assert run(sample_index, "公开", years=((year, year),)).total == count
    ranged = run(sample_index, "公开", years=((2019, 2021),)).total
    assert ranged == sum(count for year, count in by_year.items() if 2019 <= year <= 2021)
    sections = run(sample_index, "公开", sections=("problems", "other"))
    assert {hit.section["key"] for hit in sections.hits} <= {"problems", "other"}


def test_selected_year_keeps_other_years_counts(sample_index):
    unfiltered = {v.value: v.count for v in run(sample_index, "公开").facets["year"]}
    filtered = run(sample_index, "公开", years=((2019, 2019),))
    assert {v.value: v.count for v in filtered.facets["year"]} == unfiltered
    assert filtered.total == unfiltered[2019]
    # Other facets are narrowed by the year filter.
    assert sum(v.count for v in filtered.facets["section"]) == filtered.total


def test_region_drill_down(sample_index):
    page = run(sample_index, "", regions=("福建省",))
    assert {v.value for v in page.facets["city"]} == {"福州市", "三明市"}
    assert len(page.facets["province"]) > 1  # the province's own facet still shows the others


def test_group_by_report(sample_index):
    grouped = run(sample_index, "政务公开", group_by_report=True, page_size=100)
    flat = run(sample_index, "政务公开", page_size=100)
    ids = [hit.report_id for hit in grouped.hits]
    assert len(ids) == len(set(ids)) == grouped.total == len({hit.report_id for hit in flat.hits})
    for hit in grouped.hits:
        assert hit.other_matches == sum(1 for h in flat.hits if h.report_id == hit.report_id) - 1


def test_snippets(sample_index):
    page = run(sample_index, "依申请公开")
    for hit in page.hits:
        if "依申请公开" in hit.section["heading"] and "<mark>" not in hit.snippet:
            continue  # matched in the heading only: the snippet is the section's opening
        assert "<mark>" in hit.snippet
        fragments = [part for part in re.split(r"…\s*…|…", hit.snippet) if part.strip()]
        assert 1 <= len(fragments) <= 3
        assert len(re.sub(r"</?mark>", "", hit.snippet)) <= 3 * 130


def test_sort_by_year(sample_index):
    years = [hit.year for hit in run(sample_index, "公开", sort="year", page_size=50).hits]
    assert years == sorted(years, reverse=True)


def test_pagination(sample_index):
    first = run(sample_index, "公开", page_size=5)
    second = run(sample_index, "公开", page_size=5, page=2)
    assert first.pages == -(-first.total // 5)
    assert not {(h.report_id, h.position) for h in first.hits} & {(h.report_id, h.position) for h in second.hits}


@pytest.mark.parametrize("query", ['"政务公开', 'OR', '-', 'AND 公开', '公开 OR', '"" 公开', '((公开', '公开 -', '*', '政务*'])
def test_odd_queries_are_searched_as_plain_words(sample_index, query):
    page = run(sample_index, query)
    assert page.total >= 0  # no exception; the words in it are searched


def test_only_punctuation_browses_everything(sample_index):
    assert run(sample_index, "，。！？").total == run(sample_index, "").total


def test_overlong_query_is_refused_with_a_sentence(sample_index):
    with pytest.raises(QueryError, match="最多 200 个字符"):
        run(sample_index, "公" * 5000)
    assert run(sample_index, "公开" * (MAX_QUERY_LENGTH // 2)).total >= 0


def test_parse_query():
    parsed = parse_query('政務公開 "依申请 公开" -平潭 a OR b')
    assert [[t.text for t in clause] for clause in parsed.clauses] == [["政务公开"], ["依申请 公开"], ["a", "b"]]
    assert parsed.clauses[1][0].phrase
    assert [t.text for t in parsed.excluded] == ["平潭"]
