"""The admin pages through the Flask test client: sign-in, CSRF, uploads and a real background re-index."""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from app import admin, create_app
from app.search import SearchRequest, search
from indexer.indexing import index_corpus
from indexer.store import RunLock

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "corpus" / "reports"
TOKEN = "test-admin-token-3f9a"
UPLOAD_MAX_BYTES = 64 * 1024
MAX_CONTENT_LENGTH = 512 * 1024
WAIT_SECONDS = 60  # bound on waiting for a background re-index (never reached when things work)

# In the index from the start: 余坊乡 (福建, 2019) and 鹤城区 (湖南, 2019), plus an empty file that fails.
INDEXED = ["000_e05d40fea8412626.txt", "003_12d5eeac63ddaf69.txt"]
# Uploaded or added during the tests: 阿拉善右旗巴丹吉林镇 2020.
NEW_REPORT = REPORTS / "004_500be1b21c09ac78.txt"
NEW_REPORT_QUERY = "巴丹吉林镇"


@pytest.fixture
def corpus_and_index(tmp_path):
    corpus_dir = tmp_path / "corpus"
    (corpus_dir / "reports").mkdir(parents=True)
    for name in INDEXED:
        shutil.copy(REPORTS / name, corpus_dir / "reports" / name)
    (corpus_dir / "reports" / "空白.txt").write_bytes(b"")
    index_dir = tmp_path / "index"
    summary = index_corpus(corpus_dir, index_dir)
    assert summary.reports == 2 and summary.failed == [("reports/空白.txt", "file is empty")]
    return corpus_dir, index_dir


def make_app(corpus_dir, index_dir, **config):
    """Create the app as `gongkai serve` would."""
    return create_app({
        "TESTING": True,
        "INDEX_DIR": str(index_dir),
        "CORPUS_DIR": str(corpus_dir),
        "SECRET_KEY": "test-secret-key-not-for-pages",
        "UPLOAD_MAX_BYTES": UPLOAD_MAX_BYTES,
        "MAX_CONTENT_LENGTH": MAX_CONTENT_LENGTH,
        **config,
    })


@pytest.fixture
def app(corpus_and_index):
    return make_app(*corpus_and_index, ADMIN_TOKEN=TOKEN)


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_of(response) -> str:
    field = BeautifulSoup(response.get_data(as_text=True), "html.parser").find("input", {"name": "csrf_token"})
    assert field is not None, "the page has no CSRF field"
    return field["value"]


def text_of(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ", strip=True)


def sign_in(client) -> str:
    """Sign in and return the CSRF token of the signed-in session."""
    token = csrf_of(client.get("/admin/login"))
    response = client.post("/admin/login", data={"csrf_token": token, "token": TOKEN})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    return csrf_of(client.get("/admin/"))


def upload(client, csrf, *files):
    data = {"csrf_token": csrf, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/admin/upload", data=data, content_type="multipart/form-data")


def wait_until_idle(client) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        state = client.get("/admin/status").get_json()
        if not state["running"]:
            return state
        time.sleep(0.05)
    raise AssertionError(f"the re-index did not finish within {WAIT_SECONDS} s")


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


# --- Existence and sign-in ------------------------------------------------------------------------


def test_admin_does_not_exist_without_a_token(corpus_and_index):
    client = make_app(*corpus_and_index, ADMIN_TOKEN=None).test_client()
    for path in ("/admin", "/admin/", "/admin/login", "/admin/status"):
        assert client.get(path).status_code == 404, path
    assert client.post("/admin/reindex").status_code == 404


def test_a_numeric_token_from_the_environment_stays_a_string(corpus_and_index, monkeypatch):
    # Flask reads GONGKAI_* values as JSON; a token of digits must not turn into an int.
    corpus_dir, index_dir = corpus_and_index
    monkeypatch.setenv("GONGKAI_ADMIN_TOKEN", "123456")
    monkeypatch.setenv("GONGKAI_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("GONGKAI_CORPUS_DIR", str(corpus_dir))
    client = create_app().test_client()
    token = csrf_of(client.get("/admin/login"))
    response = client.post("/admin/login", data={"csrf_token": token, "token": "123456"})
    assert response.status_code == 303


def test_every_admin_page_requires_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/login")
    status = client.get("/admin/status")
    assert status.status_code == 403 and "登录" in status.get_json()["error"]
    csrf = csrf_of(client.get("/admin/login"))  # a valid CSRF token, but not signed in
    for action in ("/admin/reindex", "/admin/upload"):
        response = client.post(action, data={"csrf_token": csrf})
        assert response.status_code == 403, action
        assert "请先登录" in text_of(response)


def test_wrong_token_is_refused(client):
    csrf = csrf_of(client.get("/admin/login"))
    response = client.post("/admin/login", data={"csrf_token": csrf, "token": TOKEN + "x"})
    assert response.status_code == 403
    assert "令牌不正确" in text_of(response)
    assert client.post("/admin/login", data={"csrf_token": csrf, "token": ""}).status_code == 403
    assert client.get("/admin/").status_code == 302


def test_right_token_signs_in_with_a_fresh_csrf_token_and_safe_cookie(client):
    before = csrf_of(client.get("/admin/login"))
    response = client.post("/admin/login", data={"csrf_token": before, "token": TOKEN})
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = client.get("/admin/")
    assert page.status_code == 200
    after = csrf_of(page)
    assert after != before
    html = page.get_data(as_text=True)
    assert TOKEN not in html and "test-secret-key-not-for-pages" not in html
    # The token seen before sign-in no longer works.
    assert client.post("/admin/reindex", data={"csrf_token": before}).status_code == 400


def test_admin_page_shows_statistics_last_run_and_corpus_folder(client, corpus_and_index):
    corpus_dir, _ = corpus_and_index
    sign_in(client)
    soup = BeautifulSoup(client.get("/admin/").get_data(as_text=True), "html.parser")
    stats = soup.find(class_="admin-stats").get_text(" ", strip=True)
    assert "2 份报告" in stats
    assert [row.get_text(" ", strip=True) for row in soup.select(".admin-by-year tbody tr")] == ["2019 2"]
    provinces = {row.get_text(" ", strip=True) for row in soup.select(".admin-by-province tbody tr")}
    assert provinces == {"福建省 1", "湖南省 1"}
    failures = [[cell.get_text(" ", strip=True) for cell in row.find_all("td")]
                for row in soup.select(".admin-failures tbody tr")]
    assert failures == [["reports/空白.txt", "文件为空 （file is empty）"]]
    counts = [cell.get_text(strip=True) for cell in soup.select(".admin-run-counts tbody td")]
    assert counts[:5] == ["2", "0", "0", "0", "1"]  # added, updated, removed, unchanged, failed
    corpus = soup.find(class_="admin-corpus")
    assert str(corpus_dir) in corpus.get_text()
    listed = [row.find("td").get_text(strip=True) for row in corpus.select(".admin-corpus-files tbody tr")]
    assert sorted(listed) == sorted(["reports/空白.txt"] + [f"reports/{name}" for name in INDEXED])


def test_sign_out(client):
    csrf = sign_in(client)
    response = client.post("/admin/logout", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/login")
    assert client.get("/admin/").status_code == 302


# --- CSRF -----------------------------------------------------------------------------------------


def test_posts_without_or_with_a_wrong_csrf_token_are_rejected(client, corpus_and_index):
    corpus_dir, _ = corpus_and_index
    response = client.post("/admin/login", data={"token": TOKEN})
    assert response.status_code == 400 and "CSRF" in text_of(response)
    client.get("/admin/login")  # the session now has a token; a wrong one is still rejected
    assert client.post("/admin/login", data={"token": TOKEN, "csrf_token": "guess"}).status_code == 400
    assert client.get("/admin/").status_code == 302  # neither attempt signed in

    csrf = sign_in(client)
    before = files_under(corpus_dir)
    for action in ("/admin/reindex", "/admin/upload", "/admin/logout"):
        assert client.post(action).status_code == 400, action
        assert client.post(action, data={"csrf_token": csrf[:-1]}).status_code == 400, action
    response = upload(client, "", ("report.txt", NEW_REPORT.read_bytes()))
    assert response.status_code == 400
    assert files_under(corpus_dir) == before
    assert not client.get("/admin/status").get_json()["running"]
    assert client.get("/admin/").status_code == 200  # still signed in: logout was refused too


# --- Uploads --------------------------------------------------------------------------------------


def test_upload_keeps_a_good_report_under_a_sanitised_name_and_never_overwrites(client, corpus_and_index, tmp_path):
    corpus_dir, _ = corpus_and_index
    csrf = sign_in(client)
    outside_before = files_under(tmp_path) - {f"corpus/{name}" for name in files_under(corpus_dir)}
    content = NEW_REPORT.read_bytes()
    response = upload(client, csrf, ("../../evil 名称.txt", content))
    assert response.status_code == 200
    stored = corpus_dir / "uploads" / "evil_名称.txt"
    assert stored.read_bytes() == content
    assert "已保存为 uploads/evil_名称.txt" in text_of(response)

    response = upload(client, csrf, ("evil 名称.txt", b"\xef\xbb\xbf" + content))  # same name again
    assert response.status_code == 200
    assert "已保存为 uploads/evil_名称-2.txt" in text_of(response)
    assert stored.read_bytes() == content  # not overwritten
    assert files_under(corpus_dir / "uploads") == {"evil_名称.txt", "evil_名称-2.txt"}  # no temporary files
    outside_after = files_under(tmp_path) - {f"corpus/{name}" for name in files_under(corpus_dir)}
    assert outside_after == outside_before  # nothing written outside the corpus folder


@pytest.mark.parametrize(("name", "expected"), [
    ("../../evil 名称.txt", "evil_名称.txt"),
    ("C:\\Users\\报告\\2020年 巴丹吉林镇.HTML", "2020年_巴丹吉林镇.html"),
    (".hidden.txt", "hidden.txt"),
    ("<script>alert(1)</script>.htm", "script.htm"),  # "/" separates folders
    ('a:b*c?"<>|.htm', "a_b_c.htm"),
    ("....txt", "upload-e3b0c44298fc.txt"),
])
def test_safe_filename(name, expected):
    assert admin.safe_filename(name) == expected


def test_bad_uploads_are_refused_with_reasons_and_not_kept(client, corpus_and_index):
    corpus_dir, _ = corpus_and_index
    csrf = sign_in(client)
    before = files_under(corpus_dir)
    response = upload(
        client, csrf,
        ("空.txt", b""),
        ("report.pdf", b"%PDF-1.4 not accepted"),
        ("big.txt", "报告正文。".encode("utf-8") * (UPLOAD_MAX_BYTES // 15 + 1)),
        ("binary.txt", bytes(range(256)) * 4),
        ("blank.html", b"<html><body><script>x()</script></body></html>"),
    )
    assert response.status_code == 400
    refused = [item.get_text(" ", strip=True) for item in
               BeautifulSoup(response.get_data(as_text=True), "html.parser").select(".admin-upload-refused")]
    assert refused == [
        "✗ 空.txt 未保存：文件为空",
        "✗ report.pdf 未保存：不支持的文件类型（.pdf），只接受 .txt、.html、.htm 文件",
        "✗ big.txt 未保存：文件超过大小上限 64 KB",
        "✗ binary.txt 未保存：这是二进制文件，不是文本",
        "✗ blank.html 未保存：HTML 页面中没有正文",
    ]
    assert files_under(corpus_dir) == before

    response = upload(client, csrf, ("x.txt", b""), ("good.txt", NEW_REPORT.read_bytes()))
    assert response.status_code == 200  # one was kept
    assert files_under(corpus_dir) - before == {"uploads/good.txt"}


def test_upload_without_files_is_a_400(client):
    csrf = sign_in(client)
    response = client.post("/admin/upload", data={"csrf_token": csrf}, content_type="multipart/form-data")
    assert response.status_code == 400 and "没有选择文件" in text_of(response)


def test_request_over_the_body_limit_gets_a_friendly_413(client, corpus_and_index):
    corpus_dir, _ = corpus_and_index
    csrf = sign_in(client)
    before = files_under(corpus_dir)
    # A raw body: the test client would spool a multipart one this big to a temporary file it never closes.
    body = f"--b\r\nContent-Disposition: form-data; name=csrf_token\r\n\r\n{csrf}\r\n".encode() + b"a" * MAX_CONTENT_LENGTH
    response = client.post("/admin/upload", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert "上传内容太大" in text_of(response) and "512 KB" in text_of(response)
    assert files_under(corpus_dir) == before


# --- Re-indexing ----------------------------------------------------------------------------------


def test_reindex_makes_an_upload_searchable_without_a_restart(app, client):
    index = app.extensions["gongkai"]
    assert search(index, SearchRequest(query=NEW_REPORT_QUERY)).total == 0
    csrf = sign_in(client)
    assert upload(client, csrf, ("../../evil 名称.txt", NEW_REPORT.read_bytes())).status_code == 200
    assert search(index, SearchRequest(query=NEW_REPORT_QUERY)).total == 0  # uploaded, not yet indexed

    response = client.post("/admin/reindex", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    state = wait_until_idle(client)
    assert state["stage"] == "done" and not state["error"]
    assert state["summary"]["added"] == ["uploads/evil_名称.txt"]
    assert state["summary"]["failed"] == [{"source": "reports/空白.txt", "reason": "file is empty"}]
    assert state["summary"]["reports"] == 3

    page = search(index, SearchRequest(query=NEW_REPORT_QUERY))  # the same SearchIndex object
    assert page.total > 0
    assert {hit.source for hit in page.hits} == {"uploads/evil_名称.txt"}
    soup = BeautifulSoup(client.get("/admin/").get_data(as_text=True), "html.parser")
    assert "3 份报告" in soup.find(class_="admin-stats").get_text(" ", strip=True)
    assert "已于" in soup.find(class_="admin-job").get_text()


def test_reindex_is_refused_while_a_command_line_run_holds_the_lock(client, corpus_and_index):
    _, index_dir = corpus_and_index
    csrf = sign_in(client)
    with RunLock(index_dir):
        assert client.get("/admin/status").get_json()["locked"] is True
        page = client.get("/admin/")
        assert "另一个索引进程" in text_of(page)
        assert BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(".admin-job button").has_attr("disabled")
        response = client.post("/admin/reindex", data={"csrf_token": csrf})
        assert response.status_code == 409
        assert "索引目录正被另一个索引进程" in text_of(response)
        assert client.get("/admin/status").get_json()["running"] is False
    assert client.post("/admin/reindex", data={"csrf_token": csrf}).status_code == 303
    state = wait_until_idle(client)
    assert state["stage"] == "done", state


def test_second_reindex_is_refused_while_one_runs_and_progress_is_visible(app, client, corpus_and_index):
    """Hold a run inside its corpus scan with a named pipe, so "running" lasts exactly as long as we want."""
    corpus_dir, _ = corpus_and_index
    pipe = corpus_dir / "reports" / "巴丹吉林镇.txt"
    os.mkfifo(pipe)
    csrf = sign_in(client)
    assert client.post("/admin/reindex", data={"csrf_token": csrf}).status_code == 303
    try:
        state = client.get("/admin/status").get_json()
        assert state["running"] is True and state["summary"] is None
        response = client.post("/admin/reindex", data={"csrf_token": csrf})
        assert response.status_code == 409
        assert "已有一个重新索引正在运行" in text_of(response)
        page = client.get("/admin/")
        assert page.headers["Refresh"].startswith("2; url=/admin/")
        assert "正在" in BeautifulSoup(page.get_data(as_text=True), "html.parser").find(class_="admin-job").get_text()
        # Searches are answered meanwhile, from the current index.
        assert search(app.extensions["gongkai"], SearchRequest(query="余坊乡")).total > 0
    finally:
        _feed_pipe_once(pipe, NEW_REPORT.read_bytes())
    state = wait_until_idle(client)
    assert state["stage"] == "done"
    assert state["summary"]["added"] == ["reports/巴丹吉林镇.txt"]
    assert "Refresh" not in client.get("/admin/").headers
    assert search(app.extensions["gongkai"], SearchRequest(query=NEW_REPORT_QUERY)).total > 0


def _feed_pipe_once(pipe: Path, content: bytes) -> None:
    """Let the run's reader of the pipe go on; later opens of the path get a plain file with the same bytes."""
    replacement = pipe.with_name(".replacement")
    replacement.write_bytes(content)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)  # fails until the run opens the pipe
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    try:
        os.replace(replacement, pipe)
        os.set_blocking(fd, True)
        os.write(fd, content)
    finally:
        os.close(fd)


def test_status_json_shape(client):
    sign_in(client)
    state = client.get("/admin/status").get_json()
    assert {"running", "stage", "done", "total", "summary"} <= set(state)
    assert state["running"] is False and state["summary"] is None

