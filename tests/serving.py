"""Run `gongkai serve` as a real subprocess on 127.0.0.1 for the end-to-end tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0  # seconds; loading jieba's dictionary and the index takes a few
_URL_LINE = re.compile(r"at (http://\S+/) ")


def gongkai_command() -> list[str]:
    """Return the command that runs the installed `gongkai` console script of this interpreter."""
    script = Path(sys.executable).parent / "gongkai"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def clean_environment() -> dict[str, str]:
    """Return os.environ without GONGKAI_* settings, so a developer's shell cannot change a test."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GONGKAI_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


class Server:
    """A running `gongkai serve`: its base URL and what it wrote to stderr."""

    def __init__(self, process: subprocess.Popen, stdout_path: Path, stderr_path: Path) -> None:
        self.process = process
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path
        self.url = ""

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, pattern: str, timeout: float = 10.0) -> re.Match:
        """Return the first match of a regex in stderr, waiting for the server to write it."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.stderr(), re.MULTILINE)
            if match or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert match, f"no log line matching {pattern!r} in:\n{self.stderr()}"
        return match

    def stop(self) -> int:
        """Terminate the server (SIGTERM, then SIGKILL) and return its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        return self.process.returncode


@contextmanager
def running_server(index_dir: Path, log_dir: Path, *extra_args: str, threads: int = 4):
    """Start `gongkai serve --port 0` over an index, wait until it answers, always stop it."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = log_dir / "serve.stdout", log_dir / "serve.stderr"
    command = gongkai_command() + ["serve", "--index", str(index_dir), "--host", "127.0.0.1", "--port", "0",
                                   "--threads", str(threads), *extra_args]
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env=clean_environment(), stdout=stdout, stderr=stderr,
                                   stdin=subprocess.DEVNULL)
    server = Server(process, stdout_path, stderr_path)
    try:
        server.url = _wait_until_answering(server)
        yield server
    finally:
        server.stop()


def _wait_until_answering(server: Server) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    url = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gongkai serve exited with {server.process.returncode}:\n{server.stderr()}")
        if not url:
            match = _URL_LINE.search(server.stdout())
            url = match.group(1) if match else ""
        if url:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    response.read()
                return url.rstrip("/")
            except urllib.error.HTTPError:
                return url.rstrip("/")  # it answers; the test says whether the answer is right
            except OSError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"gongkai serve did not answer within {START_TIMEOUT:.0f} s:\n"
                         f"{server.stdout()}\n{server.stderr()}")
