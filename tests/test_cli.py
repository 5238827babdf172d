"""The installed `gongkai` command, run as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "reports"
GONGKAI = str(Path(sys.executable).parent / "gongkai")


def run(*args, cwd=None):
    return subprocess.run([GONGKAI, *args], capture_output=True, text=True, encoding="utf-8", cwd=cwd)


def sample(prefix):
    (path,) = CORPUS.glob(f"{prefix}_*")
    return str(path)


def test_inspect_json_one_file_is_one_object():
    result = run("inspect", sample("004"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"path", "sha256", "title", "issuer", "year", "published", "script", "region",
                           "sections", "warnings"}
    assert report["region"] == {"province": "内蒙古自治区", "city": "阿拉善盟", "county": "阿拉善右旗",
                                "town": "巴丹吉林镇"}
    assert report["sections"][0] == {**report["sections"][0], "key": "overview", "label": "总体情况",
                                     "heading": "一、总体情况"}
    assert set(report["sections"][0]["subsections"][0]) == {"heading", "text"}
    assert len(report["sha256"]) == 64


def test_inspect_json_several_files_is_a_list_in_order():
    result = run("inspect", sample("001"), sample("212"), "--json")
    reports = json.loads(result.stdout)
    assert [r["year"] for r in reports] == [2022, 2019]
    assert reports[0]["script"] == "traditional"
    assert reports[0]["region"]["town"] == "岩垅乡"


def test_inspect_summary_is_readable():
    result = run("inspect", sample("002"))
    assert result.returncode == 0
    assert "青山区人民政府" in result.stdout
    assert "内蒙古自治区 / 包头市 / 青山区" in result.stdout
    assert "complaints" in result.stdout and "受理关于政府信息公开咨询、投诉情况及处理结果" in result.stdout


@pytest.mark.parametrize("name, content, reason", [
    ("empty.txt", b"", "file is empty"),
    ("binary.txt", b"\x00\x01\x02\x03binary\x00\x00", "binary file, not text"),
    ("report.pdf", "报告".encode(), "unsupported file type '.pdf'"),
    ("garbled.txt", bytes(range(0x80, 0x100)) * 3, "cannot detect the text encoding"),
])
def test_bad_file_gets_one_line_and_nonzero_exit(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = run("inspect", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().split("\n")
    assert lines[0] == f"gongkai: {path}: {lines[0].split(': ', 2)[2]}"
    assert reason in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_and_directory(tmp_path):
    result = run("inspect", str(tmp_path / "nope.txt"), str(tmp_path))
    assert result.returncode == 1
    assert "nope.txt: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024 + 1)  # sparse: no 20 MB written to disk
    result = run("inspect", str(path))
    assert result.returncode == 1
    assert "larger than 20 MB" in result.stderr


def test_one_good_file_among_bad_ones_exits_zero(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = run("inspect", str(empty), sample("003"), "--json")
    assert result.returncode == 0
    assert [r["issuer"] for r in json.loads(result.stdout)] == ["鹤城区人民政府"]
    assert "empty.txt: file is empty" in result.stderr
    assert "1 read, 1 skipped" in result.stderr
