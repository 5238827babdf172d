"""The admin pages (/admin): sign-in with a token, index and corpus overview, uploads, re-indexing.

They exist only when ADMIN_TOKEN is set (GONGKAI_ADMIN_TOKEN); without it /admin is a 404. The
session is Flask's signed cookie (HttpOnly, SameSite=Strict, set in create_app); every POST carries
a per-session CSRF token checked in constant time. Uploads are validated with the indexer's own
reader before they are kept, and nothing is written outside CORPUS_DIR.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from app import jobs
from app.search import IndexMissing, corpus_stats
from indexer.indexing import REPORT_SUFFIXES
from indexer.reading import ReadError, read_file
from indexer.store import is_locked, read_last_run

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

UPLOAD_FOLDER = "uploads"
CORPUS_LISTING_LIMIT = 50  # report files listed on the page (newest first); the rest are counted
CSRF_FIELD = "csrf_token"
REFRESH_SECONDS = 2  # how often the page reloads itself while a re-index runs
# Letters kept in uploaded file names: ASCII letters and digits, CJK ideographs, and -_.
_UNSAFE_NAME_CHARS = re.compile(r"[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff._-]+")
MAX_NAME_BYTES = 200  # file systems allow 255 bytes; leave room for a "-2" suffix

# The indexer's reasons are plain English (they are also printed by the CLI); the page says them in Chinese.
_REASONS_ZH = (
    ("no such file", "文件不存在"),
    ("is a directory", "这是一个文件夹，不是文件"),
    ("unsupported file type", "不支持的文件类型（只接受 .txt、.html、.htm）"),
    ("file is larger than", "文件太大"),
    ("file is empty", "文件为空"),
    ("cannot read the file", "无法读取文件"),
    ("binary file, not text", "这是二进制文件，不是文本"),
    ("cannot detect the text encoding", "无法识别文本编码"),
    ("cannot parse the HTML", "无法解析 HTML"),
    ("no text found in the HTML page", "HTML 页面中没有正文"),
    ("could not be parsed", "无法解析报告内容"),
    # Notes of a whole run
    ("no report files", "语料文件夹中没有报告文件（.txt、.html、.htm），索引保持不变"),
    ("the index was built by another version of gongkai", "索引由另一版本的 gongkai 建立，已完整重建"),
)


def init_app(app) -> None:
    """Register /admin on the app if ADMIN_TOKEN is set (otherwise /admin does not exist)."""
    if not app.config.get("ADMIN_TOKEN") or "admin" in app.blueprints:
        return
    jobs.init_app(app)
    app.register_blueprint(bp)


# --- Session, sign-in and CSRF --------------------------------------------------------------------


def csrf_token() -> str:
    """Return this session's CSRF token, creating it if needed."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def _same_secret(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@bp.context_processor
def _template_helpers() -> dict:
    return {"csrf_token": csrf_token, "csrf_field": CSRF_FIELD, "in_chinese": reason_in_chinese}


@bp.before_request
def _guard():
    """Check the CSRF token of every POST, then require a signed-in session (except to sign in)."""
    if request.method == "POST":
        if not _same_secret(request.form.get(CSRF_FIELD), session.get(CSRF_FIELD)):
            return _message_page("请求无效", "表单已过期或缺少安全令牌（CSRF）。请重新打开页面后再提交。", 400)
    if request.endpoint == "admin.login" or session.get("admin") is True:
        return None
    if request.endpoint == "admin.status":
        return jsonify({"error": "需要先登录管理后台。"}), 403
    if request.method == "GET":
        return redirect(url_for("admin.login"))
    return _message_page("需要登录", "请先登录管理后台。", 403)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    limit = _format_size(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    return _message_page("上传内容太大", f"一次提交的内容不能超过 {limit}。请分批上传较少或较小的文件。", 413)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if session.get("admin") is True and request.method == "GET":
        return redirect(url_for("admin.index"))
    if request.method == "GET":
        return render_template("admin_login.html", error="")
    if not _same_secret(request.form.get("token"), current_app.config["ADMIN_TOKEN"]):
        return render_template("admin_login.html", error="令牌不正确。"), 403
    # A new CSRF token for the signed-in session: a token seen before sign-in is not valid after it.
    session.clear()
    session["admin"] = True
    csrf_token()  # the session was just cleared: this makes a fresh token
    return redirect(url_for("admin.index"), code=303)


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("admin.login"), code=303)


# --- The admin page -------------------------------------------------------------------------------


@bp.route("/")
def index():
    return _admin_page()


@bp.route("/status")
def status():
    """Return the re-index state as JSON: {running, stage, done, total, started, finished, summary, error}."""
    state = jobs.runner_for(current_app).state().to_dict()
    state["locked"] = is_locked(current_app.config["INDEX_DIR"])
    return jsonify(state)


@bp.route("/reindex", methods=["POST"])
def reindex():
    try:
        jobs.runner_for(current_app).start()
    except jobs.JobRefused as refusal:
        return _admin_page(notices=[("error", str(refusal))], status=409)
    return redirect(url_for("admin.index"), code=303)


@dataclass
class UploadResult:
    original: str  # the name the browser sent
    stored: str = ""  # the path under the corpus folder it was kept as ("" if refused)
    reason: str = ""  # why it was refused (Chinese)

    @property
    def accepted(self) -> bool:
        return bool(self.stored)


@bp.route("/upload", methods=["POST"])
def upload():
    files = [file for file in request.files.getlist("files") if file and file.filename]
    if not files:
        return _admin_page(notices=[("error", "没有选择文件。")], status=400)
    results = [_store_upload(file) for file in files]
    status = 200 if any(result.accepted for result in results) else 400
    return _admin_page(uploads=results, status=status)


def _admin_page(notices: list[tuple[str, str]] | None = None, uploads: list[UploadResult] | None = None,
                status: int = 200):
    config = current_app.config
    try:
        stats = corpus_stats(current_app.extensions["gongkai"])
        stats_error = ""
    except IndexMissing as error:
        stats, stats_error = None, str(error)
    last_run = read_last_run(config["INDEX_DIR"])
    if last_run:
        last_run = dict(last_run, failed=[
            {"source": item.get("source", ""), "reason": item.get("reason", ""),
             "reason_zh": reason_in_chinese(item.get("reason", ""))}
            for item in last_run.get("failed") or []
        ])
    job = jobs.runner_for(current_app).state()
    corpus = corpus_listing(config["CORPUS_DIR"])
    page = render_template(
        "admin.html",
        stats=stats,
        stats_error=stats_error,
        last_run=last_run,
        job=job,
        cli_running=(not job.running) and is_locked(config["INDEX_DIR"]),
        corpus=corpus,
        notices=notices or [],
        uploads=uploads or [],
        upload_limit=_format_size(config["UPLOAD_MAX_BYTES"]),
        suffixes="、".join(REPORT_SUFFIXES),
        accept=",".join(REPORT_SUFFIXES),
        refresh_seconds=REFRESH_SECONDS if job.running else 0,
    )
    headers = {"Cache-Control": "no-store"}
    if job.running:
        # Reload while a re-index runs so its progress moves (no script: the CSP forbids inline ones).
        headers["Refresh"] = f"{REFRESH_SECONDS}; url={url_for('admin.index')}"
    return page, status, headers


# --- Corpus folder --------------------------------------------------------------------------------


@dataclass
class CorpusFileRow:
    source: str
    size: str
    modified: str


def corpus_listing(corpus_dir: str | Path, limit: int = CORPUS_LISTING_LIMIT) -> dict:
    """Return the corpus folder's report files, newest first (at most limit), with totals."""
    corpus_dir = Path(corpus_dir)
    found = []
    total_bytes = 0
    for root, dirs, names in os.walk(corpus_dir):
        dirs[:] = [name for name in dirs if not name.startswith(".")]  # as the indexer skips them
        for name in names:
            if name.startswith(".") or Path(name).suffix.lower() not in REPORT_SUFFIXES:
                continue
            path = Path(root) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            total_bytes += stat.st_size
            found.append((stat.st_mtime, path.relative_to(corpus_dir).as_posix(), stat.st_size))
    found.sort(key=lambda item: (-item[0], item[1]))
    rows = [CorpusFileRow(source, _format_size(size), time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime)))
            for mtime, source, size in found[:limit]]
    return {"path": str(corpus_dir), "files": rows, "count": len(found), "hidden": max(0, len(found) - limit),
            "total_size": _format_size(total_bytes), "exists": corpus_dir.is_dir()}


# --- Uploads --------------------------------------------------------------------------------------


def safe_filename(name: str, content: bytes = b"") -> str:
    """Return a file name safe to store: no folders, no leading dots, only CJK, ASCII letters, digits and -_.

    werkzeug's secure_filename drops every Chinese character, which would leave most report names
    empty. A name with nothing left gets one derived from the content's hash.
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    suffix = Path(name).suffix.lower()
    stem = name[: len(name) - len(suffix)] if suffix else name
    suffix = _UNSAFE_NAME_CHARS.sub("", suffix)
    stem = _UNSAFE_NAME_CHARS.sub("_", stem)
    stem = re.sub(r"_{2,}", "_", stem).strip("._-")
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    if not stem:
        stem = "upload-" + hashlib.sha256(content).hexdigest()[:12]
    return stem + suffix


def _uploads_dir() -> Path:
    """Return CORPUS_DIR/uploads, created if needed, refusing one that leads outside the corpus folder."""
    corpus_dir = Path(current_app.config["CORPUS_DIR"]).resolve()
    folder = corpus_dir / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    if not folder.resolve().is_relative_to(corpus_dir):
        raise OSError(f"{folder} leads outside the corpus folder")
    return folder


def _store_upload(file) -> UploadResult:
    """Validate one uploaded file and keep it under CORPUS_DIR/uploads, never overwriting a file."""
    original = file.filename
    result = UploadResult(original=original)
    suffix = Path(original.replace("\\", "/").rsplit("/", 1)[-1]).suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        shown = suffix or "无扩展名"
        result.reason = f"不支持的文件类型（{shown}），只接受 .txt、.html、.htm 文件"
        return result
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    content = file.stream.read(limit + 1)
    if len(content) > limit:
        result.reason = f"文件超过大小上限 {_format_size(limit)}"
        return result
    if not content:
        result.reason = "文件为空"
        return result
    try:
        folder = _uploads_dir()
    except OSError as error:
        log.error("cannot use the upload folder: %s", error)
        result.reason = "无法写入语料文件夹中的 uploads 目录"
        return result
    # Validate a hidden temporary copy (the indexer skips dot-files) with the indexer's reader.
    try:
        handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", suffix=suffix, delete=False)
    except OSError as error:
        log.error("cannot write in the upload folder %s: %s", folder, error)
        result.reason = "无法写入语料文件夹中的 uploads 目录"
        return result
    temporary = Path(handle.name)
    try:
        with handle:
            handle.write(content)
        try:
            read_file(temporary, max_bytes=limit)
        except ReadError as error:
            result.reason = reason_in_chinese(error.reason)
            return result
        stored = _keep(temporary, folder, safe_filename(original, content))
        result.stored = stored.relative_to(folder.parent).as_posix()
        return result
    except OSError as error:
        log.error("cannot store the upload %r: %s", original, error)
        result.reason = "无法保存文件（磁盘写入失败）"
        return result
    finally:
        temporary.unlink(missing_ok=True)


def _keep(temporary: Path, folder: Path, name: str) -> Path:
    """Link temporary into folder as name, or name-2, name-3... if taken (os.link never replaces a file)."""
    path = Path(name)
    stem, suffix = path.stem, path.suffix
    for number in range(1, 10_000):
        target = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
        try:
            os.link(temporary, target)
        except FileExistsError:
            continue
        return target
    raise OSError(f"too many files named {name} in {folder}")


# --- Helpers --------------------------------------------------------------------------------------


def reason_in_chinese(reason: str) -> str:
    """Return the Chinese wording of an indexer's reason or run note (the text itself if unknown)."""
    for english, chinese in _REASONS_ZH:
        if reason.startswith(english):
            return chinese
    return reason


def _format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{size} 字节"


def _message_page(title: str, message: str, status: int):
    return render_template("_admin_message.html", title=title, message=message), status
