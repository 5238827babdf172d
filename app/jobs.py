"""Background re-indexing for the admin page: one run at a time, its progress readable from any thread.

The run itself is `indexer.indexing.index_corpus`, the same function `gongkai index` calls. It holds
the index folder's run lock, so a run started here and one started from the command line exclude
each other. Searches are not affected while it runs: they keep reading the live index, and the
app's SearchIndex picks up the new one when the run commits.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from indexer.indexing import index_corpus
from indexer.store import IndexBusy, is_locked

log = logging.getLogger(__name__)

EXTENSION_KEY = "gongkai_jobs"


class JobRefused(Exception):
    """A re-index cannot start now (one is running here or elsewhere); the message says why."""


@dataclass
class JobState:
    """A snapshot of the re-index runner: what is running and how far it got, or how the last run ended."""

    running: bool = False
    stage: str = ""  # "starting", "index", "commit", "done" or "failed"
    done: int = 0
    total: int = 0
    started: str = ""  # local time, "YYYY-MM-DD HH:MM:SS"
    finished: str = ""
    summary: dict | None = None  # RunSummary.to_dict() of the run started here, once it finished
    error: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class ReindexRunner:
    """Run index_corpus in a background thread, one run at a time, with thread-safe progress."""

    def __init__(self, corpus_dir: str | Path, index_dir: str | Path):
        self.corpus_dir = Path(corpus_dir)
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._state = JobState()

    def state(self) -> JobState:
        """Return a copy of the current state (safe to read while the run goes on)."""
        with self._lock:
            return replace(self._state)

    def start(self) -> JobState:
        """Start a re-index in the background; raise JobRefused if one is already running."""
        with self._lock:
            if self._state.running:
                raise JobRefused("已有一个重新索引正在运行，请等它完成后再开始。")
            if is_locked(self.index_dir):
                raise JobRefused("索引目录正被另一个索引进程（例如命令行中的 gongkai index）占用，请稍后再试。")
            self._state = JobState(running=True, stage="starting", started=_now())
            threading.Thread(target=self._run, name="gongkai-reindex", daemon=True).start()
            return replace(self._state)

    def _progress(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._state.stage = stage
            self._state.done = done
            self._state.total = total

    def _run(self) -> None:
        summary, error = None, ""
        try:
            summary = index_corpus(self.corpus_dir, self.index_dir, report=self._progress).to_dict()
        except IndexBusy:
            # Between our is_locked() check and the run taking the lock, a CLI run took it.
            error = "索引目录正被另一个索引进程占用，本次重新索引没有进行。"
        except Exception as failure:  # the admin page must say what went wrong, not the thread die silently
            log.exception("re-index of %s into %s failed", self.corpus_dir, self.index_dir)
            error = f"重新索引失败：{type(failure).__name__}: {failure}"
        with self._lock:
            self._state.running = False
            self._state.finished = _now()
            self._state.summary = summary
            self._state.error = error
            self._state.stage = "failed" if error else "done"


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def init_app(app) -> ReindexRunner:
    """Give the app its re-index runner (app.extensions["gongkai_jobs"]) and return it."""
    runner = app.extensions.get(EXTENSION_KEY)
    if runner is None:
        runner = app.extensions[EXTENSION_KEY] = ReindexRunner(app.config["CORPUS_DIR"], app.config["INDEX_DIR"])
    return runner


def runner_for(app) -> ReindexRunner:
    """Return the app's re-index runner."""
    return app.extensions[EXTENSION_KEY]
