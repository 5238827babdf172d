"""The same report as UTF-8, GB18030, Big5, HTML or traditional script reads the same."""

import html
from pathlib import Path

import opencc
import pytest

from indexer.pipeline import parse_report
from indexer.script import to_simplified, to_traditional

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "reports"


def summary(report):
    return {
        "title": to_simplified(report.title) if report.title else None,
        "issuer": report.issuer,
        "year": report.year,
        "published": report.published,
        "region": report.region,
        "sections": [section.key for section in report.sections],
        "subsections": [len(section.subsections) for section in report.sections],
    }


def as_html(text):
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())
    return (
        "<html><head><meta charset='utf-8'><title>年报</title><script>var x = '一、总体情况';</script></head>"
        "<body><div class='nav'><a href='/'>首页</a><a href='/a'>政务公开</a><a href='/b'>办事服务</a></div>"
        f"<div class='content'>{paragraphs}</div>"
        "<div class='footer'>主办单位：某某人民政府办公室 网站标识码 1234</div></body></html>"
    )


@pytest.mark.parametrize("prefix", ["003", "004", "101"])
def test_same_report_in_every_form_reads_the_same(tmp_path, prefix):
    (original,) = CORPUS.glob(f"{prefix}_*.txt")
    text = original.read_text(encoding="utf-8")
    traditional = to_traditional(text)
    forms = {
        "utf8.txt": text.encode("utf-8"),
        "utf8-bom.txt": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"),
        "gb18030.txt": text.encode("gb18030"),
        "page.html": as_html(text).encode("utf-8"),
        "page-gb.html": as_html(text).replace("charset='utf-8'", "charset='gbk'").encode("gb18030"),
        "traditional.txt": traditional.encode("utf-8"),
    }
    expected = summary(parse_report(original))
    assert expected["issuer"] and expected["year"] and expected["region"].province
    for name, data in forms.items():
        path = tmp_path / name
        path.write_bytes(data)
        report = parse_report(path)
        assert summary(report) == expected, name
        assert report.script == ("traditional" if name.startswith("traditional") else "simplified"), name


@pytest.mark.parametrize("prefix", ["003", "004"])
def test_big5_report_reads_the_same_as_utf8(tmp_path, prefix):
    # A simplified report in Taiwan-standard traditional script and Big5, as a mirror might serve it.
    (original,) = CORPUS.glob(f"{prefix}_*.txt")
    text = original.read_text(encoding="utf-8").replace("\xa0", " ")  # Big5 has no no-break space
    plain = tmp_path / "plain.txt"
    plain.write_text(text, encoding="utf-8")
    big5 = tmp_path / "big5.txt"
    big5.write_bytes(opencc.OpenCC("s2tw").convert(text).encode("cp950"))
    report = parse_report(big5)
    assert report.encoding in {"big5", "cp950", "big5hkscs"}
    assert report.script == "traditional"
    assert summary(report) == summary(parse_report(plain))
