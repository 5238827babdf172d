"""Benchmark indexing and searching a generated corpus; prints figures for BENCHMARKS.md.

    python benchmarks/generate_corpus.py /tmp/bench-10k --reports 10000
    python benchmarks/bench_search.py /tmp/bench-10k --index /tmp/bench-10k-index

Reports medians and p95s; run it on a quiet machine and compare ratios rather than absolute times.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.search import SearchRequest, open_index, search  # noqa: E402
from indexer.analysis import segment  # noqa: E402
from indexer.script import to_simplified  # noqa: E402

WORD_QUERIES = [
    "政务公开", "依申请公开", "行政复议", "三公经费", "政府网站", "政策解读", "保密审查", "公开指南",
    "主动公开 规范性文件", "信息公开 申请", "行政诉讼 结果", "政务新媒体 管理", "权责清单 公开",
    "重点领域 公开 政策解读", "培训 政务公开 乡镇", "预决算 公开 财政", "网站 建设 平台", "监督 考核 公开",
    "人大代表建议 办理", "政府信息公开 工作 不足",
]
PHRASE_QUERIES = [
    '"政府信息公开申请"', '"主动公开政府信息"', '"政务公开工作"', '"行政复议"', '"信息公开工作"',
    '"依申请公开"', '"政策解读"', '"存在的主要问题"', '"政府门户网站"', '"政务新媒体"',
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def corpus_text(corpus: Path) -> tuple[list[Path], int]:
    files = sorted(p for p in corpus.rglob("*") if p.suffix in (".txt", ".html", ".htm"))
    return files, sum(p.stat().st_size for p in files)


def jieba_alone(files: list[Path], sample: int = 400) -> float:
    """Return MB/s of jieba segmenting (with gongkai's dictionary) the corpus text on one core."""
    chosen = files[:: max(1, len(files) // sample)][:sample]
    texts = [to_simplified(path.read_text(encoding="utf-8")) for path in chosen]
    size = sum(len(text.encode("utf-8")) for text in texts)
    segment("预热")
    started = time.perf_counter()
    for text in texts:
        segment(text)
    return size / (time.perf_counter() - started) / 1e6


def run_index(corpus: Path, index: Path, rebuild: bool) -> tuple[float, float]:
    """Run `gongkai index` in a child process; return (seconds, peak RSS of the child in MB)."""
    command = [str(Path(sys.executable).parent / "gongkai"), "index", str(corpus), "--index", str(index)]
    if rebuild:
        command.append("--rebuild")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def time_queries(index, queries: list[str], repeat: int, **options) -> dict:
    """Time each query `repeat` times; the first round (posting lists not yet cached) is reported apart."""
    rounds = []
    for _ in range(repeat):
        timings = []
        for query in queries:
            started = time.perf_counter()
            search(index, SearchRequest(query=query, **options))
            timings.append((time.perf_counter() - started) * 1000)
        rounds.append(timings)
    warm = [value for timings in rounds[1:] for value in timings] or rounds[0]
    return {"p50_ms": round(statistics.median(warm), 1), "p95_ms": round(percentile(warm, 0.95), 1),
            "n": len(warm), "first_round_p50_ms": round(statistics.median(rounds[0]), 1),
            "first_round_p95_ms": round(percentile(rounds[0], 0.95), 1)}


def touch_files(files: list[Path], count: int, seed: int) -> None:
    rng = random.Random(seed)
    for path in rng.sample(files, count):
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"\n本段为基准测试追加的内容{rng.randrange(10**6)}。\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-index", action="store_true", help="reuse an existing index")
    args = parser.parse_args()

    files, size = corpus_text(args.corpus)
    figures: dict = {"reports": len(files), "corpus_mb": round(size / 1e6, 1),
                     "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"}
    figures["jieba_alone_mb_s"] = round(jieba_alone(files), 2)
    if not args.skip_index:
        if args.index.exists():
            shutil.rmtree(args.index)
        seconds, peak = run_index(args.corpus, args.index, rebuild=True)
        figures["index_seconds"] = round(seconds, 1)
        figures["index_mb_s"] = round(size / 1e6 / seconds, 2)
        figures["index_vs_jieba_alone"] = round(figures["index_mb_s"] / figures["jieba_alone_mb_s"], 2)
        figures["index_peak_rss_mb"] = round(peak)
    figures["index_size_mb"] = round(folder_mb(args.index), 1)

    index = open_index(args.index)
    index.cache_size = 0  # measure the search, not the result cache
    started = time.perf_counter()
    search(index, SearchRequest(query="政务公开"))
    figures["first_query_ms_cold"] = round((time.perf_counter() - started) * 1000, 1)
    figures["sections"] = index.doc_count()
    # The first round of (a) reads every posting list from disk; (b) and (c) reuse them (same words),
    # (d) reads the bigram positions of its phrases in its own first round.
    figures["a_top10"] = time_queries(index, WORD_QUERIES, args.repeat, with_facets=False, with_snippets=False)
    figures["b_facets"] = time_queries(index, WORD_QUERIES, args.repeat, with_snippets=False)
    figures["c_facets_snippets"] = time_queries(index, WORD_QUERIES, args.repeat)
    figures["d_phrases"] = time_queries(index, PHRASE_QUERIES, args.repeat)
    figures["e_browse_facets"] = time_queries(index, [""], args.repeat * 4)
    figures["f_grouped"] = time_queries(index, WORD_QUERIES, args.repeat, group_by_report=True)

    if not args.skip_index:
        touch_files(files, 10, seed=len(files))
        seconds, _ = run_index(args.corpus, args.index, rebuild=False)
        figures["incremental_10_files_seconds"] = round(seconds, 1)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
