"""The benchmark corpus generator: deterministic, and its reports parse back to what it wrote."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.pipeline import parse_report
from indexer.sections import SECTION_ORDER

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "generate_corpus.py"
REPORTS = 30


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """30 reports written by the command line, as a user runs it."""
    out = tmp_path_factory.mktemp("bench") / "corpus"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(out), "--reports", str(REPORTS), "--seed", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith(f"{REPORTS} files in ")
    return out


@pytest.fixture(scope="module")
def manifest(corpus: Path) -> list[dict]:
    return generator.read_manifest(corpus)


def test_same_arguments_give_identical_bytes(corpus, tmp_path):
    # A second run in another process (another string hash seed) and another folder.
    again = tmp_path / "again"
    generator.generate(again, REPORTS, seed=1)
    first, second = _files(corpus), _files(again)
    assert list(first) == list(second)
    assert first == second


def test_another_seed_gives_another_corpus(corpus, tmp_path):
    other = tmp_path / "other"
    generator.generate(other, REPORTS, seed=2)
    assert _files(other) != _files(corpus)


def test_manifest_lists_every_report(corpus, manifest):
    assert len(manifest) == REPORTS
    written = sorted(path for path in _files(corpus) if path != "manifest.tsv")
    assert sorted(row["path"] for row in manifest) == written
    for row in manifest:
        province, name = row["path"].split("/")
        assert len(province) == 2 and name.endswith(".txt")
        text = (corpus / row["path"]).read_text(encoding="utf-8")
        assert text.split("\n", 1)[0] == row["title"]
        assert 2019 <= int(row["year"]) <= 2025
        assert row["county"] and row["title"].startswith(row["county"])


def test_an_issuer_reports_for_several_years(manifest):
    years: dict[str, list[str]] = {}
    for row in manifest:
        years.setdefault(row["town"] + row["county"], []).append(row["year"])
    assert max(len(found) for found in years.values()) >= 2
    assert len(years) >= 3


def test_reports_parse_back_to_what_was_written(corpus, manifest):
    for row in manifest:
        report = parse_report(corpus / row["path"])
        where = row["path"]
        assert report.title == row["title"], where
        assert report.year == int(row["year"]), where
        assert report.region.county == row["county"], where
        assert report.region.province == row["province"], where
        assert (report.region.town or "") == row["town"], where
        keys = [section.key for section in report.sections]
        assert keys == row["sections"].split(","), where
        assert [SECTION_ORDER[key] for key in keys] == sorted(SECTION_ORDER[key] for key in keys)
        assert all(section.full_text().strip() for section in report.sections), where
        assert not [warning for warning in report.warnings if "region" in warning], where
