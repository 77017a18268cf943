"""Start the real product (`manage.py run`) on a free port with its own database, for tests that need processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float) -> httpx.Response:
    """GET url until the server answers (any status) or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path

    def manage(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a manage.py command against this server's database."""
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)


def embedded_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an embedded-mode LeadCRM keeping its files in var_dir."""
    env = {**os.environ, "LEADCRM_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "leadcrm.settings.local",
           "PYTHONUNBUFFERED": "1", **extra}
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


@contextlib.contextmanager
def running_leadcrm(var_dir: Path, *args: str, **env_extra: str) -> Iterator[LiveServer]:
    """`manage.py run` (web + tasks + clock) until the block ends, then Ctrl-C for the whole group."""
    port = free_port()
    env = embedded_env(var_dir, PORT=str(port), **env_extra)
    # The log goes to a file: an undrained pipe fills up and blocks the server in its next log line.
    with open(Path(var_dir) / "server.log", "w") as log:
        process = subprocess.Popen([sys.executable, "manage.py", "run", "--port", str(port), *args], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, process=process, log=Path(log.name))
        try:
            try:
                wait_for(f"{server.url}/accounts/login/", 90)
            except httpx.TransportError:
                raise AssertionError(f"the server did not start:\n{server.log.read_text()}") from None
            yield server
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
