"""Doorbells: wake a poller in another process of this machine the moment there is work, so it need not poll.

Embedded mode only (one machine, a SQLite file): the outbox relay in the web process and the task broker in the
cluster would otherwise look at the database 20 times a second to stay quick, which is what an idle `make run`
spends its CPU on. A listener binds a Unix datagram socket `<var>/doorbells/<name>.<pid>`; `ring(name)` sends a
byte to every listener of that name. A ring is a hint, never the only signal: a listener still looks on its own
every few seconds, so a ring that is lost (a listener restarting, a full socket buffer while it is busy anyway)
costs seconds, never a task or a message. A socket left by a dead process is removed by the next ring.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from pathlib import Path

from django.conf import settings

# Unix socket paths are limited to 108 bytes (107 usable) on Linux.
MAX_PATH_BYTES = 107


def doorbell_dir() -> Path:
    return Path(settings.VAR_DIR) / "doorbells"


class Doorbell:
    """One process's listening end for `name`. wait() returns early when rung; use it instead of a sleep."""

    def __init__(self, name: str, socket_: socket.socket, path: Path) -> None:
        self.name, self._socket, self.path = name, socket_, path

    @classmethod
    def listen(cls, name: str) -> Doorbell | None:
        """Bind this process's doorbell for `name`; None where that is not possible (no Unix sockets, a path too
        long): the caller then polls as before."""
        path = doorbell_dir() / f"{name}.{os.getpid()}"
        if not hasattr(socket, "AF_UNIX") or len(os.fsencode(path)) > MAX_PATH_BYTES:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # a socket of an earlier process that had this pid
            listening = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            listening.bind(str(path))
            listening.setblocking(False)
        except OSError:
            return None
        return cls(name, listening, path)

    def fileno(self) -> int:
        return self._socket.fileno()

    def wait(self, timeout: float) -> bool:
        """Sleep until rung or `timeout` seconds passed; True when rung. Rings that came meanwhile are all
        consumed, so one wake-up answers many."""
        ready, _, _ = select.select([self._socket], [], [], max(0.0, timeout))
        return bool(ready) and self.drain()

    def drain(self) -> bool:
        """Consume every pending ring; True when there was one."""
        rung = False
        while True:
            try:
                self._socket.recv(64)
            except (BlockingIOError, InterruptedError):
                return rung
            rung = True

    def close(self) -> None:
        self._socket.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def ring(name: str) -> None:
    """Wake every listener of `name` on this machine; never raises (a missed ring only delays, see above). Where
    nobody listens it costs one directory read."""
    try:
        entries = list(os.scandir(doorbell_dir()))
    except OSError:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for entry in entries:
            if entry.name.rpartition(".")[0] != name:
                continue
            try:
                sender.sendto(b"!", entry.path)
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)  # nobody listens there any more
            except OSError:
                pass  # its buffer is full: that listener is awake and working anyway
