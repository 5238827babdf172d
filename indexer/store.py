"""Where an index lives on disk: generations, the CURRENT pointer, the run lock, the last run.

An index folder holds one or more complete Whoosh indexes ("generations") and a file CURRENT that
names the live one. A rebuild writes a new generation beside the live one and then replaces
CURRENT atomically (os.replace), so readers never see a half-built index, and a crash at any point
leaves the previous generation in place. Incremental runs commit into the live generation, which
Whoosh does atomically (a new table of contents is renamed into place).
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import json
import os
import shutil
import time
from pathlib import Path

CURRENT_FILE = "CURRENT"
LOCK_FILE = ".lock"
LAST_RUN_FILE = "last-run.json"
GENERATION_PREFIX = "gen-"


class IndexBusy(Exception):
    """Another indexing run holds the index folder's lock."""


class IndexMissing(Exception):
    """There is no index in the folder (or it cannot be opened)."""


def current_generation(index_dir: str | Path) -> Path | None:
    """Return the live generation folder of an index folder, or None if there is none yet."""
    index_dir = Path(index_dir)
    try:
        name = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    generation = index_dir / name
    return generation if generation.is_dir() else None


def current_marker(index_dir: str | Path) -> tuple[str, int] | None:
    """Return something that changes whenever CURRENT is replaced (cheap to check per request)."""
    try:
        stat = os.stat(Path(index_dir) / CURRENT_FILE)
    except OSError:
        return None
    return (str(stat.st_ino), stat.st_mtime_ns)


def new_generation(index_dir: str | Path) -> Path:
    """Create and return an empty folder for a new generation."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    generation = index_dir / f"{GENERATION_PREFIX}{stamp}-{os.getpid()}"
    generation.mkdir()
    return generation


def switch_to(index_dir: str | Path, generation: Path) -> None:
    """Make a generation the live one, atomically, then drop generations older than the previous one."""
    index_dir = Path(index_dir)
    previous = current_generation(index_dir)
    temporary = index_dir / f".{CURRENT_FILE}.{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, index_dir / CURRENT_FILE)
    _fsync_dir(index_dir)
    # Readers that opened the previous generation a moment ago may still be using it: keep it.
    keep = {generation.name} | ({previous.name} if previous else set())
    for path in index_dir.glob(f"{GENERATION_PREFIX}*"):
        if path.is_dir() and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def remove_abandoned(index_dir: str | Path) -> None:
    """Remove generations a killed run left behind (never the live or the previous one)."""
    index_dir = Path(index_dir)
    live = current_generation(index_dir)
    generations = sorted(p for p in index_dir.glob(f"{GENERATION_PREFIX}*") if p.is_dir())
    if live is None:
        return
    older = [p for p in generations if p.name < live.name]
    keep = {live.name} | ({older[-1].name} if older else set())
    for path in generations:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _flock_soon(handle, attempts: int = 10, pause: float = 0.05) -> None:
    """Take the lock, retrying briefly: something may be looking at the lock file for a moment."""
    for attempt in range(attempts):
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES) or attempt == attempts - 1:
                raise
            time.sleep(pause)


class RunLock:
    """An exclusive lock on an index folder for one indexing run; the OS releases it if we die."""

    def __init__(self, index_dir: str | Path):
        self.path = Path(index_dir) / LOCK_FILE
        self._handle = None

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            _flock_soon(handle)
        except OSError as error:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise IndexBusy(
                    f"an indexing run is already running on {self.path.parent}"
                    + (f" (pid {holder})" if holder else "")
                ) from None
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def fileno(self) -> int | None:
        """Return the lock file's descriptor (forked workers close their copy)."""
        return self._handle.fileno() if self._handle is not None else None

    def __exit__(self, *exc_info) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def is_locked(index_dir: str | Path) -> bool:
    """Tell whether an indexing run is going on in an index folder.

    Reads the pid the run wrote into the lock file instead of probing the lock: a probe holds the
    lock for a moment, and a run starting at that moment would be refused as "already running".
    """
    try:
        holder = (Path(index_dir) / LOCK_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    if not holder.isdigit():
        return False
    try:
        os.kill(int(holder), 0)
    except ProcessLookupError:
        return False  # a run that was killed left its pid behind
    except PermissionError:
        return True
    return True


def write_last_run(index_dir: str | Path, summary: dict) -> None:
    """Record the summary of the last indexing run (the admin page shows it)."""
    index_dir = Path(index_dir)
    temporary = index_dir / f".{LAST_RUN_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, index_dir / LAST_RUN_FILE)


def read_last_run(index_dir: str | Path) -> dict | None:
    """Return the summary of the last indexing run, if any."""
    try:
        return json.loads((Path(index_dir) / LAST_RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
