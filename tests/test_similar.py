"""Copied wording: near-duplicate passages between reports, originality, marks, `gongkai similar`."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app import create_app
from app.search import SearchRequest, get_report, open_index, search
from app.similar import SimilarError, similar_to_report
from indexer import fingerprints as fp
from indexer.indexing import index_corpus, report_id_for

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "reports"
GONGKAI = str(Path(sys.executable).parent / "gongkai")

SHARED = ("为深入贯彻落实《中华人民共和国政府信息公开条例》，本机关坚持以公开为常态、不公开为例外，围绕群众关切的"
          "重点领域持续加大主动公开力度，全年通过门户网站、政务新媒体和政务公开栏等渠道发布各类政府信息，"
          "做到应公开尽公开，切实保障人民群众的知情权、参与权和监督权。")
# The same paragraph as another county wrote it: a few words changed.
EDITED = SHARED.replace("本机关", "我县").replace("全年", "全年度").replace("切实保障", "有效保障")
HOSTILE = "<script>alert('copied')</script>本段文字含有脚本标记，用于检验页面是否把报告正文当作纯文本显示而不执行。"
OWN_A = "沭阳县新河镇试点“公开日”活动，邀请村民代表走进镇政府旁听会议。"
OWN_B = "平潭县在海岛渔村设置流动公开服务点，每月定期上门解答群众疑问。"
OWN_C = ("乾安县今年把涉农补贴发放明细逐户张榜公示，并在县城东西两条主街分别增设自助查询终端两台，方便群众随时查阅"
         "本人补贴到账情况；对群众反映的三件错发漏发问题逐一核实，十日内全部更正并公开结果。")
PROBLEMS_C = "乾安县坦承自助查询终端操作复杂，老年人使用不便，明年将改为语音引导并安排专人值守。"


def report_text(issuer: str, year: int, overview: list[str], problems: str) -> str:
    lines = [f"{issuer}{year}年政府信息公开工作年度报告", "一、总体情况", *overview,
             "二、主动公开政府信息情况", "本年度主动公开政府信息若干条。",
             "五、存在的主要问题及改进情况", problems]
    return "\n".join(lines) + "\n"


def normalised_shingles(text: str) -> set[str]:
    """The test's own reading of the similarity: 5-character shingles of the text without punctuation."""
    plain = re.sub(r"[\W_]+", "", text)
    return {plain[i:i + 5] for i in range(len(plain) - 4)}


def jaccard(a: str, b: str) -> float:
    left, right = normalised_shingles(a), normalised_shingles(b)
    return len(left & right) / len(left | right)


@pytest.fixture()
def small_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    files = {
        "a": report_text("沭阳县人民政府", 2022, [SHARED, HOSTILE, OWN_A], "沭阳县将继续加强信息公开培训。"),
        "b": report_text("平潭县人民政府", 2022, [EDITED, HOSTILE, OWN_B], "平潭县将继续推进海岛渔村公开服务。"),
        "c": report_text("乾安县人民政府", 2022, [OWN_C], PROBLEMS_C),
    }
    for name, text in files.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    index_dir = tmp_path / "index"
    index_corpus(corpus, index_dir)
    ids = {name: report_id_for(f"{name}.txt") for name in files}
    return corpus, index_dir, ids


def test_signature_estimates_the_jaccard_similarity_of_shingles():
    exact = jaccard(SHARED, EDITED)
    assert 0.5 < exact < 0.9  # the test's premise: nearly, not exactly, the same
    estimate = fp.similarity(fp.signature(fp.normalise(SHARED)), fp.signature(fp.normalise(EDITED))[None])[0]
    assert abs(estimate - exact) < 0.12
    same = fp.similarity(fp.signature(fp.normalise(SHARED)), fp.signature(fp.normalise(SHARED))[None])[0]
    assert same == 1.0
    unrelated = fp.similarity(fp.signature(fp.normalise(SHARED)), fp.signature(fp.normalise(OWN_C))[None])[0]
    assert unrelated < fp.THRESHOLD and jaccard(SHARED, OWN_C) < 0.1


def test_script_punctuation_and_spacing_do_not_count():
    traditional = "為深入貫徹落實《中華人民共和國政府信息公開條例》 本機關堅持以公開為常態 不公開為例外"
    simplified = "为深入贯彻落实中华人民共和国政府信息公开条例，本机关坚持以公开为常态、不公开为例外。"
    assert fp.normalise(traditional) == fp.normalise(simplified)


def test_table_rows_of_the_template_get_no_fingerprint():
    rows = ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
            "| 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 | 7 | 0 | 0 | 0 | 0 | 0 | 7 |"]
    assert fp.section_passages("\n".join(rows), []) == []
    prose = "本机关全年共收到政府信息公开申请七件，均已按期答复，无逾期未答复情况，无因申请引发的行政复议。"
    assert [passage.text for passage in fp.section_passages("\n".join(rows + [prose]), [])] == [prose]


def test_shared_paragraph_is_found_with_its_similarity_and_unrelated_report_is_not(small_corpus):
    _corpus, index_dir, ids = small_corpus
    index = open_index(index_dir)
    result = similar_to_report(index, ids["a"])
    by_text = {(passage.report_id, passage.passage): passage for passage in result.passages}
    edited = by_text[(ids["b"], EDITED)]
    assert abs(edited.similarity - jaccard(SHARED, EDITED)) < 0.12
    assert edited.section == "overview" and edited.query_position == 0
    assert by_text[(ids["b"], HOSTILE)].similarity == 1.0
    assert {passage.report_id for passage in result.passages} == {ids["b"]}
    assert result.reports == 1 and result.total == 2
    assert [passage.similarity for passage in result.passages] == sorted(
        (passage.similarity for passage in result.passages), reverse=True)
    lonely = similar_to_report(index, ids["c"])
    assert lonely.total == 0 and lonely.passages == [] and lonely.query_passages == 2
    assert similar_to_report(index, ids["a"], section="problems").total == 0
    assert similar_to_report(index, "0" * 16) is None
    with pytest.raises(SimilarError):
        similar_to_report(index, ids["a"], section="no-such-section")


def test_originality_is_the_share_of_text_found_in_no_other_issuers_report(small_corpus):
    _corpus, index_dir, ids = small_corpus
    index = open_index(index_dir)
    hits = search(index, SearchRequest(page_size=50)).hits
    overview = {hit.report_id: hit.originality for hit in hits if hit.section["key"] == "overview"}
    lengths = {text: len(fp.normalise(text)) for text in (SHARED, HOSTILE, OWN_A, OWN_C)}
    expected_a = lengths[OWN_A] / (lengths[SHARED] + lengths[HOSTILE] + lengths[OWN_A])
    assert overview[ids["a"]] == pytest.approx(expected_a)
    assert overview[ids["c"]] == 1.0
    # "只看原创表述" keeps the sections mostly in their own words, and the sort puts them first.
    original = search(index, SearchRequest(original_only=True, sections=("overview",), page_size=50))
    assert {hit.report_id for hit in original.hits} == {ids["c"]}
    ranked = search(index, SearchRequest(query="公开", sort="original", page_size=50)).hits
    shares = [-1 if hit.originality is None else hit.originality for hit in ranked]
    assert shares == sorted(shares, reverse=True) and ranked[0].originality == 1.0


def test_a_changed_report_updates_only_its_own_fingerprints(small_corpus):
    corpus, index_dir, ids = small_corpus
    index = open_index(index_dir)
    assert similar_to_report(index, ids["a"]).reports == 1
    rewritten = report_text("平潭县人民政府", 2022, [OWN_B], "平潭县将继续推进海岛渔村公开服务。")
    (corpus / "b.txt").write_text(rewritten, encoding="utf-8")
    summary = index_corpus(corpus, index_dir)
    assert summary.updated == ["b.txt"] and summary.unchanged == 2
    assert similar_to_report(index, ids["a"]).total == 0  # the open index sees the change


def test_report_page_marks_copied_paragraphs_with_links(small_corpus):
    corpus, index_dir, ids = small_corpus
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus)}).test_client()
    page = client.get(f"/reports/{ids['a']}").get_data(as_text=True)
    assert page.count("此段另见于 1 份报告") == 2
    marked = re.search(r'<p id="(p0-0-\d+)" class="copied">为深入贯彻落实', page)
    assert marked, "the shared paragraph is marked"
    note = page[marked.end():page.index("</details>", marked.end())]
    assert f'href="/reports/{ids["b"]}#p0-0-0"' in note and "平潭县人民政府" in note
    assert f"/compare?section=overview&amp;r={ids['a']}&amp;r={ids['b']}" in note
    assert re.search(r'<p id="p0-0-2">沭阳县新河镇', page), "own wording is not marked"
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert re.search(r"原创度 <strong>\d+%</strong>", page)
    assert "此段另见于" not in client.get(f"/reports/{ids['c']}").get_data(as_text=True)


def test_similar_page_and_api(small_corpus):
    corpus, index_dir, ids = small_corpus
    client = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "CORPUS_DIR": str(corpus)}).test_client()
    page = client.get(f"/reports/{ids['a']}/similar?section=overview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-total="2"' in html and 'data-reports="1"' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    api = client.get(f"/api/reports/{ids['a']}/similar?limit=1").get_json()
    assert api["total"] == 2 and api["reports"] == 1 and len(api["passages"]) == 1
    assert set(api["passages"][0]) == {"report_id", "source", "section", "similarity", "passage"}
    assert api["passages"][0]["source"] == "b.txt"
    assert client.get(f"/reports/{ids['a']}/similar?section=bogus").status_code == 400
    assert client.get(f"/api/reports/{ids['a']}/similar?limit=0").status_code == 400
    assert client.get("/api/reports/0000000000000000/similar").status_code == 404
    search_page = client.get("/?section=overview&original=1&sort=original").get_data(as_text=True)
    assert 'data-total="1"' in search_page and "只看原创表述" in search_page and "原创度 100%" in search_page


def test_similar_cli_for_an_indexed_report_and_for_a_file(small_corpus, tmp_path):
    corpus, index_dir, ids = small_corpus
    run = subprocess.run([GONGKAI, "similar", ids["a"], "--index", str(index_dir), "--json"],
                         capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    listed = json.loads(run.stdout)
    assert [set(item) for item in listed] == [{"report_id", "source", "section", "similarity", "passage"}] * 2
    assert listed[0]["similarity"] >= listed[1]["similarity"] and {item["source"] for item in listed} == {"b.txt"}
    # A file is read like `inspect` and compared without being added.
    outside = tmp_path / "draft.txt"
    outside.write_text(report_text("乾安县人民政府", 2023, [OWN_C.replace("今年", "去年")], PROBLEMS_C),
                       encoding="gb18030")
    run = subprocess.run([GONGKAI, "similar", str(outside), "--index", str(index_dir)],
                         capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    assert "in 1 other reports" in run.stdout and "乾安县人民政府" in run.stdout
    assert open_index(index_dir).doc_count() == sum(len(get_report(open_index(index_dir), rid).sections)
                                                    for rid in ids.values())
    bad = subprocess.run([GONGKAI, "similar", "no-such-thing", "--index", str(index_dir)],
                         capture_output=True, text=True, encoding="utf-8")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_sample_reports_sharing_a_paragraph_find_each_other(sample_index):
    """平潭's 2011 and 2012 reports (samples 201, 202) share paragraphs; Shanghai's (103) shares none."""
    ids = {prefix: report_id_for(f"reports/{next(CORPUS.glob(prefix + '_*')).name}") for prefix in ("201", "202", "103")}
    reports = {prefix: get_report(sample_index, report_id) for prefix, report_id in ids.items()}

    def paragraphs(report):
        return [line for section in report.sections
                for text in [section.text, *(sub["text"] for sub in section.subsections)]
                for line in fp.paragraphs(text) if len(fp.normalise(line)) >= fp.MIN_CHARS]

    own, other, far = (paragraphs(reports[prefix]) for prefix in ("201", "202", "103"))
    identical = {fp.normalise(line) for line in own} & {fp.normalise(line) for line in other}
    assert identical, "the premise: the two reports print some paragraph word for word"
    found = similar_to_report(sample_index, ids["201"], limit=1000).passages
    from_202 = {fp.normalise(passage.passage): passage.similarity for passage in found
                if passage.report_id == ids["202"]}
    for paragraph in identical:
        assert from_202[paragraph] == 1.0
    assert max(jaccard(a, b) for a in own for b in far) < 0.3
    assert ids["103"] not in {passage.report_id for passage in found}


def test_signatures_survive_the_column_round_trip():
    passages = fp.section_passages(f"{SHARED}\n短行\n{OWN_C}", [{"heading": "（一）", "text": f"\n{EDITED}"}])
    parts, lines, chars, signatures = fp.decode(fp.encode(passages))
    assert [(int(p), int(line)) for p, line in zip(parts, lines)] == [(0, 0), (0, 2), (1, 0)]
    assert chars.tolist() == [len(fp.normalise(text)) for text in (SHARED, OWN_C, EDITED)]
    assert np.array_equal(signatures, np.stack([passage.signature for passage in passages]))
    assert fp.decode(None)[3].shape == (0, fp.NUM_PERM)


def test_a_report_alone_has_nothing_copied(tmp_path):
    """An index where no two reports share text answers with empty lists, not errors."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(next(CORPUS.glob("103_*")), corpus)
    index_corpus(corpus, tmp_path / "index")
    index = open_index(tmp_path / "index")
    (hit,) = search(index, SearchRequest(group_by_report=True)).hits
    assert similar_to_report(index, hit.report_id).total == 0
    assert all(hit.originality in (None, 1.0) for hit in search(index, SearchRequest(page_size=50)).hits)
