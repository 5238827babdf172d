"""`gongkai serve`: a real waitress server in a subprocess, over an index of the sample corpus."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import pytest

from serving import ROOT, clean_environment, gongkai_command, running_server


@pytest.fixture(scope="module")
def server(sample_index_dir, tmp_path_factory):
    with running_server(sample_index_dir, tmp_path_factory.mktemp("serve-logs")) as running:
        yield running


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read()


def test_serves_the_search_page(server):
    status, content_type, body = fetch(server.url + "/")
    assert status == 200
    assert content_type.startswith("text/html") and "charset=utf-8" in content_type.lower()
    page = body.decode("utf-8")
    assert 'id="search-form"' in page and 'id="q"' in page
    server.wait_for_log(rf" GET / 200 {len(body)} \d+\.\dms$")


def test_serves_the_json_api_and_logs_each_request(server):
    status, content_type, body = fetch(server.url + "/api/search?q=" + urllib.parse.quote("政务公开"))
    assert status == 200
    assert content_type.startswith("application/json")
    result = json.loads(body)
    assert result["query"] == "政务公开"
    assert result["total"] > 0
    assert all("<mark>" in hit["snippet"] for hit in result["hits"])
    # One line per request: time, client, method, path with its query (readable), status, bytes, ms.
    server.wait_for_log(rf"^\S+ \S+ 127\.0\.0\.1 GET /api/search\?q=政务公开 200 {len(body)} \d+\.\dms$")


def test_logs_errors_too(server):
    status, _, body = fetch(server.url + "/no-such-page")
    assert status == 404
    server.wait_for_log(rf" GET /no-such-page 404 {len(body)} \d+\.\dms$")


def test_log_lines_cannot_be_forged(server):
    fetch(server.url + "/forged%0A2026-01-01%2000:00:00%20127.0.0.1%20GET%20/admin%20200")
    server.wait_for_log(r" GET /forged\\n2026-01-01 00:00:00 127.0.0.1 GET /admin 200 404 ")
    assert not re.search(r"^2026-01-01 00:00:00", server.stderr(), re.MULTILINE)


def test_stops_cleanly_on_sigterm(sample_index_dir, tmp_path):
    with running_server(sample_index_dir, tmp_path) as running:
        pass
    assert running.process.returncode == 0
    assert "gongkai: stopped" in running.stderr()
    assert "Traceback" not in running.stderr()


def run_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(gongkai_command() + ["serve", *args], cwd=ROOT, env=clean_environment(),
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


def test_refuses_to_start_without_an_index(tmp_path):
    result = run_serve("--index", str(tmp_path / "no-index"), "--port", "0")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gongkai: ") and "gongkai index" in lines[0]
    assert "Traceback" not in result.stderr


def test_refuses_a_port_in_use(sample_index_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve("--index", str(sample_index_dir), "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == f"gongkai: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "Traceback" not in result.stderr
