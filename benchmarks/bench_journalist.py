"""Benchmark the journalist and statistics pages on an existing index; prints figures for BENCHMARKS.md.

    python benchmarks/bench_journalist.py --index /tmp/bench-10k-index

Measures, on the index as it is (build it with bench_search.py or `gongkai index`): reading the
passage fingerprints of an index version (first use), the whole-index originality pass, the
near-duplicate list of one section (app.similar), the report page with its copied-wording marks,
a 6-column /compare page, and /stats and /api/stats without and with a filter. Pages are
rendered through Flask's test client (no network), so the figures are the server's own work.
Reports medians and p95s.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.search import open_index  # noqa: E402
from app.similar import similar_to_report  # noqa: E402
from indexer import schema as f  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(calls, repeat: int) -> dict:
    """Run each call `repeat` times; report the median and p95 in ms of all runs after the first round."""
    rounds = []
    for _ in range(repeat):
        timings = []
        for call in calls:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        rounds.append(timings)
    warm = [value for timings in rounds[1:] for value in timings] or rounds[0]
    return {"p50_ms": round(statistics.median(warm), 1), "p95_ms": round(percentile(warm, 0.95), 1),
            "n": len(warm), "first_round_p95_ms": round(percentile(rounds[0], 0.95), 1)}


def ok(client, url: str):
    def call():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=100, help="sections / reports / comparisons sampled")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(7)

    index = open_index(args.index)
    index.cache_size = 0
    searcher = index.searcher()
    started = time.perf_counter()
    engine = index.engine(searcher)
    figures: dict = {"machine": f"{platform.machine()}, {platform.python_implementation()} "
                                f"{platform.python_version()}",
                     "engine_first_use_ms": round((time.perf_counter() - started) * 1000, 1)}
    started = time.perf_counter()
    copies = engine.copies
    figures["fingerprints_first_use_ms"] = round((time.perf_counter() - started) * 1000, 1)
    figures["passages"] = len(copies.doc)
    figures["fingerprints_memory_mb"] = round(copies.nbytes / 1e6, 1)
    started = time.perf_counter()
    copies.originality()
    figures["originality_pass_ms"] = round((time.perf_counter() - started) * 1000, 1)

    arrays = engine.facets
    live = [int(doc) for doc in arrays.live.nonzero()[0]]
    report_ids = arrays.values[f.REPORT_ID]
    # Sections with at least one fingerprinted passage (the others have nothing to look up).
    with_passages = sorted(set(copies.doc.tolist()))
    figures["sections_with_passages"] = len(with_passages)
    sections = [(report_ids[arrays.codes[f.REPORT_ID][doc]], arrays.values[f.SECTION][arrays.codes[f.SECTION][doc]])
                for doc in rng.sample(with_passages, min(args.samples, len(with_passages)))]
    figures["reports"] = len(set(arrays.codes[f.REPORT_ID][arrays.live].tolist()))
    totals = []

    def similar_call(report_id, key):
        def call():
            totals.append(similar_to_report(index, report_id, key).total)
        return call

    figures["near_duplicate_list"] = timed([similar_call(*pair) for pair in sections], args.repeat)
    figures["near_duplicate_list"]["median_passages_found"] = statistics.median(totals) if totals else 0
    figures["near_duplicate_list"]["max_passages_found"] = max(totals, default=0)
    with np.errstate(invalid="ignore"):
        share = copies.originality()[with_passages]
    figures["mean_originality"] = round(float(np.nanmean(share)), 3) if len(share) else None

    app = create_app({"TESTING": True, "INDEX_DIR": str(args.index)})
    client = app.test_client()
    reports = rng.sample(sorted({report for report, _ in sections}), min(args.samples // 4 or 1, len(sections)))
    figures["report_page"] = timed([ok(client, f"/reports/{report}") for report in reports], args.repeat)

    problems_code = arrays.code_of(f.SECTION, "problems")
    with_problems = sorted({report_ids[arrays.codes[f.REPORT_ID][doc]] for doc in live
                            if arrays.codes[f.SECTION][doc] == problems_code})
    compares = []
    for _ in range(max(1, args.samples // 4)):
        chosen = rng.sample(with_problems, 6)
        compares.append("/compare?" + urlencode([("section", "problems")] + [("r", report) for report in chosen]))
    figures["compare_6_columns"] = timed([ok(client, url) for url in compares], args.repeat)

    provinces = [value for value in arrays.values[f.PROVINCE] if value][:5]
    stats_urls = ["/stats", "/api/stats"] + [f"/stats?{urlencode({'region': name})}" for name in provinces]
    figures["stats_pages"] = timed([ok(client, url) for url in stats_urls], args.repeat)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
