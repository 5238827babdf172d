"""Read a report file from disk and decode it to text, refusing bad files with a one-line reason."""

from __future__ import annotations

import codecs
import hashlib
import re
from pathlib import Path

from charset_normalizer import from_bytes

from indexer.html_text import html_to_text
from indexer.models import RawReport

SUPPORTED_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# The legacy codecs Chinese reports come in. gb18030 is a superset of GBK and GB2312; cp950 is
# Microsoft's Big5 with the extensions Taiwanese and Hong Kong pages use.
_CHINESE_CODECS = ["gb18030", "big5", "cp950"]
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
# Declared names that mean a codec gb18030 or cp950 decodes as well and more completely.
_DECLARED_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
    "cp936": "gb18030", "big5": "cp950", "x-x-big5": "cp950",
}
_CONTROL_BYTES = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x20)) | {0x7F}
# Share of control bytes above which a file is taken for binary.
_MAX_CONTROL_SHARE = 0.05


class ReadError(Exception):
    """A file that cannot be read as a report, with the reason in plain English."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def read_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> RawReport:
    """Read a .txt or .html report and return its decoded text; raise ReadError for a bad file."""
    file_path = Path(path)
    try:
        if not file_path.exists():
            raise ReadError(path, "no such file")
        if file_path.is_dir():
            raise ReadError(path, "is a directory")
        suffix = file_path.suffix.lower()
        kind = SUPPORTED_SUFFIXES.get(suffix)
        if kind is None:
            shown = f"'{suffix}'" if suffix else "no extension"
            raise ReadError(
                path, f"unsupported file type {shown} (expected .txt, .html or .htm)"
            )
        if file_path.stat().st_size > max_bytes:
            raise ReadError(path, f"file is larger than {_format_size(max_bytes)}")
        with file_path.open("rb") as handle:
            # Read one byte more than allowed, in case the file grew since stat().
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise ReadError(path, f"cannot read the file ({error.strerror or error})") from error
    if len(data) > max_bytes:
        raise ReadError(path, f"file is larger than {_format_size(max_bytes)}")
    if not data:
        raise ReadError(path, "file is empty")
    try:
        text, encoding = decode_bytes(data, is_html=(kind == "html"))
    except ValueError as error:
        raise ReadError(path, str(error)) from error
    if kind == "html":
        try:
            text = html_to_text(text)
        except Exception as error:  # a parser failure on one odd page must not stop a run
            raise ReadError(path, f"cannot parse the HTML ({type(error).__name__})") from error
        if not text.strip():
            raise ReadError(path, "no text found in the HTML page")
    elif not text.strip():
        raise ReadError(path, "file is empty")
    return RawReport(
        path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        kind=kind,
        text=text,
    )


def decode_bytes(data: bytes, is_html: bool = False) -> tuple[str, str]:
    """Decode report bytes to text with "\\n" line endings; return (text, codec name).

    Raises ValueError with the reason ("binary file, not text", "cannot detect the text
    encoding") when the bytes are not text in a codec we can trust.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _normalise(data.decode(codec)), codec
            except UnicodeDecodeError:
                raise ValueError("cannot detect the text encoding") from None
    if _looks_binary(data):
        raise ValueError("binary file, not text")
    try:
        return _normalise(data.decode("utf-8")), "utf-8"  # strict: a check, not a guess
    except UnicodeDecodeError:
        pass
    if is_html:
        declared = _declared_charset(data)
        if declared:
            try:
                return _normalise(data.decode(declared)), declared
            except (UnicodeDecodeError, LookupError):
                pass  # the declaration is wrong; detect instead
    best = from_bytes(data, cp_isolation=_CHINESE_CODECS).best()
    if best is None:
        raise ValueError("cannot detect the text encoding")
    codec = codecs.lookup(best.encoding).name
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        raise ValueError("cannot detect the text encoding") from None
    return _normalise(text), codec


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    sample = data[:65536]
    control = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    return control > _MAX_CONTROL_SHARE * len(sample)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:65536])
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    name = _DECLARED_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _normalise(text: str) -> str:
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _format_size(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"
