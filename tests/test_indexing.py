"""Index management as an admin meets it: incremental runs, rebuilds, crashes, locks, live readers."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.search import IndexMissing, SearchRequest, open_index, search
from indexer.indexing import index_corpus, report_id_for
from indexer.schema import META_FILE
from indexer.store import CURRENT_FILE, RunLock, current_generation

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "reports"
GONGKAI = str(Path(sys.executable).parent / "gongkai")


def sample(prefix):
    (path,) = CORPUS.glob(f"{prefix}_*")
    return path


def make_corpus(folder: Path, prefixes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for prefix in prefixes:
        shutil.copy(sample(prefix), folder / sample(prefix).name)
    return folder


def total(index, query, **options):
    return search(index, SearchRequest(query=query, **options)).total


def gongkai(*args):
    return subprocess.run([GONGKAI, *args], capture_output=True, text=True, encoding="utf-8")


def test_add_change_delete_and_unchanged(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["000", "002", "003"])
    index_dir = tmp_path / "index"
    first = index_corpus(corpus, index_dir)
    assert sorted(first.added) == sorted(p.name for p in corpus.iterdir()) and first.rebuilt
    index = open_index(index_dir)
    assert total(index, "巴丹吉林") == 0
    generation = current_generation(index_dir)

    shutil.copy(sample("004"), corpus)
    second = index_corpus(corpus, index_dir)
    assert second.added == [sample("004").name] and second.unchanged == 3 and not second.rebuilt
    assert current_generation(index_dir) == generation  # updated in place, no rebuild
    assert total(index, "巴丹吉林") > 0  # the open index sees the commit without a restart

    changed = corpus / sample("003").name
    changed.write_text(changed.read_text(encoding="utf-8") + "\n新增段落：鹤城区试行鸡毛蒜皮清单。\n",
                       encoding="utf-8")
    third = index_corpus(corpus, index_dir)
    assert third.updated == [changed.name] and third.unchanged == 3
    assert total(index, "鸡毛蒜皮") == 1
    assert total(index, "", regions=("鹤城区",)) == 6  # the old version's sections are gone

    (corpus / sample("000").name).unlink()
    fourth = index_corpus(corpus, index_dir)
    assert fourth.removed == [sample("000").name] and fourth.reports == 3
    assert total(index, "余坊乡") == 0

    fifth = index_corpus(corpus, index_dir)
    assert (fifth.added, fifth.updated, fifth.removed, fifth.unchanged) == ([], [], [], 3)

    # The index now has deleted documents: phrases and words still match only live ones.
    assert total(index, '"鸡毛蒜皮清单"') == 1
    assert total(index, '"政府信息公开"', regions=("余坊乡",)) == 0
    assert total(index, '"政府信息公开"') == total(index, '"政府信息公开"', group_by_report=False)


def test_report_ids_are_stable_across_rebuilds(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["001", "212"])
    index_dir = tmp_path / "index"
    index_corpus(corpus, index_dir)
    before = {hit.source: hit.report_id for hit in search(open_index(index_dir), SearchRequest(page_size=50)).hits}
    old_generation = current_generation(index_dir)
    summary = index_corpus(corpus, index_dir, rebuild=True)
    assert summary.rebuilt and current_generation(index_dir) != old_generation
    after = {hit.source: hit.report_id for hit in search(open_index(index_dir), SearchRequest(page_size=50)).hits}
    assert before == after == {source: report_id_for(source) for source in before}


def test_bad_files_are_skipped_with_a_reason(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["003"])
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "notes.md").write_text("not a report", encoding="utf-8")
    result = gongkai("index", str(corpus), "--index", str(tmp_path / "index"))
    assert result.returncode == 0
    assert "empty.txt: file is empty" in result.stderr
    assert "1 added" in result.stdout and "1 failed" in result.stdout
    assert "Traceback" not in result.stderr
    last_run = json.loads((tmp_path / "index" / "last-run.json").read_text(encoding="utf-8"))
    assert last_run["failed"] == [{"source": "empty.txt", "reason": "file is empty"}]


def test_nothing_readable_exits_nonzero_and_keeps_the_index(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["003"])
    index_dir = tmp_path / "index"
    index_corpus(corpus, index_dir)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    result = gongkai("index", str(bad), "--index", str(index_dir), "--rebuild")
    assert result.returncode == 1
    assert "no file could be read" in result.stderr
    assert total(open_index(index_dir), "鹤城区") > 0


def test_empty_corpus_folder_leaves_the_index_alone(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["003"])
    index_dir = tmp_path / "index"
    index_corpus(corpus, index_dir)
    (tmp_path / "empty").mkdir()
    result = gongkai("index", str(tmp_path / "empty"), "--index", str(index_dir))
    assert result.returncode == 1
    assert "no report files" in result.stderr
    assert total(open_index(index_dir), "鹤城区") > 0


def test_second_concurrent_run_is_refused(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["003"])
    index_dir = tmp_path / "index"
    with RunLock(index_dir):
        result = gongkai("index", str(corpus), "--index", str(index_dir))
    assert result.returncode == 1
    assert "already running" in result.stderr
    assert gongkai("index", str(corpus), "--index", str(index_dir)).returncode == 0


def _big_corpus(folder: Path, copies: int) -> Path:
    for copy in range(copies):
        make_corpus(folder / f"batch{copy:02d}", [path.name[:3] for path in CORPUS.glob("*.txt")])
    return folder


def _progress(line: str) -> float:
    done, total = line.rsplit(" ", 1)[1].split("/")
    return int(done) / max(1, int(total))


@pytest.mark.parametrize("kill_at, after", [("gongkai: indexing", 0.0), ("gongkai: indexing", 0.5),
                                            ("gongkai: committing", 0.0)])
def test_kill_9_during_rebuild_leaves_the_previous_index_searchable(tmp_path, kill_at, after):
    small = make_corpus(tmp_path / "small", ["003", "004"])
    index_dir = tmp_path / "index"
    index_corpus(small, index_dir)
    before = search(open_index(index_dir), SearchRequest(page_size=100))
    big = _big_corpus(tmp_path / "big", 30)  # 240 reports: long enough to be killed midway
    process = subprocess.Popen([GONGKAI, "index", str(big), "--index", str(index_dir), "--rebuild"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    seen = False
    for line in process.stderr:
        if line.startswith(kill_at) and (kill_at.endswith("committing") or _progress(line) >= after):
            seen = True
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=120)
    process.stderr.close()
    assert seen, f"the run never printed {kill_at!r}"
    index = open_index(index_dir)
    after = search(index, SearchRequest(page_size=100))
    if after.total != before.total:
        # Killed after the switch: the new index must then be complete.
        assert kill_at == "gongkai: committing"
        assert search(index, SearchRequest(query="巴丹吉林", group_by_report=True)).total == 30
    else:
        assert [(h.report_id, h.position) for h in after.hits] == [(h.report_id, h.position) for h in before.hits]
    # The next run cleans up what the killed one left and works.
    rerun = gongkai("index", str(small), "--index", str(index_dir))
    assert rerun.returncode == 0, rerun.stderr
    assert len([p for p in index_dir.glob("gen-*")]) <= 2


def test_readers_keep_working_during_updates_and_see_the_new_index(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["003"])
    index_dir = tmp_path / "index"
    index_corpus(corpus, index_dir)
    index = open_index(index_dir)
    errors, totals = [], []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                totals.append(search(index, SearchRequest(query="公开", page=1, page_size=5)).total)
            except Exception as error:  # any failure fails the test
                errors.append(repr(error))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for prefix in ("004", "101", "102"):
            shutil.copy(sample(prefix), corpus)
            index_corpus(corpus, index_dir)
        index_corpus(corpus, index_dir, rebuild=True)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors
    assert totals and min(totals) >= 1
    assert total(index, "", group_by_report=True) == 4


def test_index_from_another_version_says_how_to_rebuild(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", ["003"])
    index_dir = tmp_path / "index"
    index_corpus(corpus, index_dir)
    stamp_path = current_generation(index_dir) / META_FILE
    stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    stamp["schema_version"] = 0
    stamp_path.write_text(json.dumps(stamp), encoding="utf-8")
    with pytest.raises(IndexMissing, match="--rebuild"):
        open_index(index_dir)
    result = gongkai("search", "公开", "--index", str(index_dir))
    assert result.returncode == 1 and "gongkai index --rebuild" in result.stderr
    summary = index_corpus(corpus, index_dir)  # the indexer rebuilds it by itself
    assert summary.rebuilt and "another version" in summary.note
    assert total(open_index(index_dir), "鹤城区") > 0


def test_missing_index_names_the_command(tmp_path):
    result = gongkai("search", "公开", "--index", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "gongkai index" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "nowhere" / CURRENT_FILE).exists()


def test_search_cli_json_and_errors(sample_index_dir):
    result = gongkai("search", "政務公開", "--index", str(sample_index_dir), "--region", "福建省",
                     "--year", "2019-2025", "--section", "problems", "--json")
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    assert set(page) == {"query", "total", "page", "pages", "hits", "facets"}
    assert set(page["facets"]) == {"province", "city", "county", "town", "year", "section"}
    hit = page["hits"][0]
    assert set(hit) == {"report_id", "source", "title", "issuer", "region", "year", "section", "snippet", "score",
                        "originality"}
    assert all(h["originality"] is None or 0 <= h["originality"] <= 1 for h in page["hits"])
    assert hit["region"]["province"] == "福建省" and hit["section"]["key"] == "problems"
    assert "<mark>政务公开</mark>" in hit["snippet"]
    human = gongkai("search", "政务公开", "--index", str(sample_index_dir), "--group", "report")
    assert human.returncode == 0 and "份报告" in human.stdout and "【政务公开】" in human.stdout
    bad_year = gongkai("search", "公开", "--index", str(sample_index_dir), "--year", "last year")
    assert bad_year.returncode == 2 and "--year" in bad_year.stderr
    too_long = gongkai("search", "公" * 300, "--index", str(sample_index_dir))
    assert too_long.returncode == 2 and "查询太长" in too_long.stderr
    assert os.environ.get("GONGKAI_NEVER_SET") is None


def test_looking_at_the_lock_never_refuses_a_run(tmp_path):
    # The admin page asks is_locked() every two seconds; that must not make a starting run "busy".
    from indexer.store import is_locked

    stop = threading.Event()
    seen = []

    def watch():
        while not stop.is_set():
            seen.append(is_locked(tmp_path))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(200):
            with RunLock(tmp_path):
                pass
    finally:
        stop.set()
        watcher.join()
    assert seen and not is_locked(tmp_path)
    with RunLock(tmp_path):
        assert is_locked(tmp_path)
