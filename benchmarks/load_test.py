"""Load test: concurrent clients against `gongkai serve` (waitress) on 127.0.0.1.

Starts `gongkai serve` over an index, warms it up with one pass over a fixed mix of URLs (search
pages with queries, facets, pages and sorting, report pages, the JSON API), then runs N client
threads for a fixed time and prints requests/s, p50/p95/p99 latency and the error count.
With --during-reindex CORPUS it also runs `gongkai index CORPUS --index DIR --rebuild` in the
background for the same --duration, then stops the rebuild if it is still going (a stopped rebuild
leaves the live index as it was). With --wait-for-reindex the clients keep going until the rebuild
has switched the live index (at most --max-duration seconds), which measures searches answered
across the switch. Point it at a copy of an index that nothing else is using.

    .venv/bin/python benchmarks/load_test.py [--index /tmp/bench-10k-index] [--clients 16] [--duration 30]
    .venv/bin/python benchmarks/load_test.py --index DIR --during-reindex CORPUS

Loopback only, bounded in time (--duration, --max-duration) and count (--max-requests). A benchmark,
not a test: it prints figures for BENCHMARKS.md and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only, never configurable
DEFAULT_INDEX = "/tmp/bench-10k-index"
START_TIMEOUT = 180.0
REQUEST_TIMEOUT = 60.0
HARD_MAX_DURATION = 1800.0


def gongkai_command() -> list[str]:
    script = Path(sys.executable).parent / "gongkai"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def get(url: str) -> tuple[int, bytes]:
    """Fetch a URL; return (status, body), status 0 for a connection error."""
    try:
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()
    except OSError:
        return 0, b""


def start_server(index_dir: str, threads: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Start `gongkai serve --port 0` and return the process and its base URL once it answers."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GONGKAI_")}
    stdout_path = log_path.with_suffix(".stdout")
    with open(stdout_path, "wb") as stdout, open(log_path, "wb") as stderr:
        process = subprocess.Popen(
            gongkai_command() + ["serve", "--index", index_dir, "--host", HOST, "--port", "0", "--threads", str(threads)],
            cwd=ROOT, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"load_test: gongkai serve exited with {process.returncode}: "
                     f"{log_path.read_text(encoding='utf-8', errors='replace').strip()}")
        match = re.search(r"at (http://\S+/) ", stdout_path.read_text(encoding="utf-8", errors="replace"))
        if match and get(match.group(1))[0] == 200:
            return process, match.group(1).rstrip("/")
        time.sleep(0.2)
    stop(process)
    sys.exit(f"load_test: gongkai serve did not answer within {START_TIMEOUT:.0f} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def url_mix(base: str) -> list[str]:
    """Return the fixed mix of URLs, with facet values and report ids read from the index itself."""
    status, body = get(base + "/api/search?q=" + urllib.parse.quote("政务公开") + "&size=20")
    if status != 200:
        sys.exit(f"load_test: /api/search answered {status}: {body[:300]!r}")
    first = json.loads(body)
    report_ids = list(dict.fromkeys(hit["report_id"] for hit in first["hits"]))[:4] or ["0" * 16]
    years = [value["value"] for value in first["facets"].get("year", [])] or ["2020"]
    provinces = [value["value"] for value in first["facets"].get("province", [])] or ["湖南省"]
    counties = [value["value"] for value in first["facets"].get("county", [])] or ["沅陵县"]

    def page(**params) -> str:
        return base + "/?" + urllib.parse.urlencode(params, doseq=True)

    def api(**params) -> str:
        return base + "/api/search?" + urllib.parse.urlencode(params, doseq=True)

    return [
        base + "/",
        page(q="政务公开"),
        page(q="三公经费"),
        page(q="依申请公开", year=years[0]),
        page(q="行政复议", section="review_litigation"),
        page(region=provinces[0]),
        page(q="信息公开", region=counties[0], year=years[-1]),
        page(q="信息公开", page=3),
        page(q='"主动公开政府信息"', group="report"),
        page(q="收费 减免", sort="year"),
        page(q="公開"),  # traditional script searches the simplified form too
        page(q="政府网站 -微博"),
        base + f"/reports/{report_ids[0]}",
        base + f"/reports/{report_ids[1 % len(report_ids)]}?q=" + urllib.parse.quote("政务公开"),
        base + f"/reports/{report_ids[2 % len(report_ids)]}?script=t",
        api(q="政务公开"),
        api(q="咨询 投诉", year=years[0], group="report"),
        api(q="", region=provinces[-1]),
        base + f"/api/reports/{report_ids[0]}",
        base + "/about",
    ]


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}

    def record(self, url: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if status != 200:
                key = f"{status} {urllib.parse.unquote(url.split('/', 3)[-1])}"
                self.errors[key] = self.errors.get(key, 0) + 1


def client(urls: list[str], offset: int, results: Results, stop_event: threading.Event, budget: list[int]) -> None:
    position = offset
    while not stop_event.is_set():
        with results.lock:
            if budget[0] <= 0:
                stop_event.set()
                return
            budget[0] -= 1
        url = urls[position % len(urls)]
        position += 1
        started = time.perf_counter()
        status, _ = get(url)
        results.record(url, status, time.perf_counter() - started)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", default=DEFAULT_INDEX, help=f"index folder (default: {DEFAULT_INDEX})")
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default: 16)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default: 30)")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads (default: 8, as `gongkai serve`)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="stop after this many requests")
    parser.add_argument("--during-reindex", metavar="CORPUS",
                        help="also rebuild the index from CORPUS in the background (`gongkai index --rebuild`)")
    parser.add_argument("--wait-for-reindex", action="store_true",
                        help="keep the load going until the rebuild finishes (at most --max-duration)")
    parser.add_argument("--max-duration", type=float, default=900.0,
                        help="with --wait-for-reindex: longest run (default: 900 s)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256 or not 0 < args.duration <= HARD_MAX_DURATION:
        parser.error(f"--clients must be 1-256 and --duration 0-{HARD_MAX_DURATION:.0f} s")
    max_duration = min(max(args.max_duration, args.duration), HARD_MAX_DURATION)
    if not (Path(args.index) / "CURRENT").exists():
        sys.exit(f"load_test: no index in {args.index}: build it with `gongkai index CORPUS --index {args.index}`")

    work = Path(tempfile.mkdtemp(prefix="gongkai-load-"))
    server, base = start_server(args.index, args.threads, work / "serve.log")
    reindex = None
    try:
        urls = url_mix(base)
        for url in urls:  # warm-up: each URL once; a failing URL is reported now and counted below
            status, body = get(url)
            if status != 200:
                print(f"load_test: warm-up: {status} from {urllib.parse.unquote(url)}", file=sys.stderr)
        results, stop_event, budget = Results(), threading.Event(), [args.max_requests]
        if args.during_reindex:
            reindex_log = open(work / "reindex.log", "wb")
            reindex = subprocess.Popen(
                gongkai_command() + ["index", args.during_reindex, "--index", args.index, "--rebuild"],
                cwd=ROOT, stdout=reindex_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            reindex_log.close()
        started = time.perf_counter()
        clients = [threading.Thread(target=client, args=(urls, i, results, stop_event, budget), daemon=True)
                   for i in range(args.clients)]
        for thread in clients:
            thread.start()
        reindex_seconds = None
        while True:
            elapsed = time.perf_counter() - started
            if reindex is not None and reindex_seconds is None and reindex.poll() is not None:
                reindex_seconds = elapsed
            waiting_for_reindex = args.wait_for_reindex and reindex is not None and reindex_seconds is None
            if stop_event.is_set() or elapsed >= max_duration:
                break
            if elapsed >= args.duration and not waiting_for_reindex:
                break
            time.sleep(0.05)
        stop_event.set()
        for thread in clients:
            thread.join(timeout=REQUEST_TIMEOUT + 5)
        seconds = time.perf_counter() - started
    finally:
        stop(server)
        if reindex is not None and reindex.poll() is None:
            print("load_test: stopping the rebuild, still running when the load ended", file=sys.stderr)
            stop(reindex)

    latencies = sorted(results.latencies)
    errors = sum(results.errors.values())
    figures = {
        "index": args.index,
        "clients": args.clients,
        "server_threads": args.threads,
        "urls_in_mix": len(urls),
        "seconds": round(seconds, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "errors": errors,
    }
    print(f"gongkai load test: {args.clients} clients for {seconds:.1f} s against waitress "
          f"({args.threads} threads) on {HOST}, index {args.index}, {len(urls)} URLs in the mix")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    if reindex is not None:
        rebuild = (f"finished after {reindex_seconds:.1f} s (exit {reindex.returncode})" if reindex_seconds is not None
                   else "still running when the load ended, then stopped (the live index was left as it was)")
        print(f"during `gongkai index {args.during_reindex} --index {args.index} --rebuild`: {rebuild}")
        figures["reindex_seconds"] = round(reindex_seconds, 1) if reindex_seconds is not None else None
        figures["reindex_exit"] = reindex.returncode
        tail = (work / "reindex.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        if tail:
            print(f"  rebuild said: {tail[0]}")
    print(f"requests     {figures['requests']}")
    print(f"requests/s   {figures['requests_per_second']}")
    print(f"latency ms   p50 {figures['p50_ms']}  p95 {figures['p95_ms']}  p99 {figures['p99_ms']}  "
          f"max {figures['max_ms']}  mean {figures['mean_ms']}")
    print(f"errors       {errors}")
    for key, count in sorted(results.errors.items(), key=lambda item: -item[1])[:10]:
        print(f"  {count:>6}  {key}")
    print(f"server log   {work / 'serve.log'}")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
