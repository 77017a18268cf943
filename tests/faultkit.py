"""Tools to cause faults for real in tests: a severable TCP proxy and a private Redis server."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time

import httpx

from tests.liveserver import free_port


class SeverableProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self._open = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server: socket.socket | None = None

    def start(self) -> SeverableProxy:
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._open.set()
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while self._server is not None:
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            if not self._open.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
                except OSError:
                    pass
            self._conns.clear()

    def restore(self) -> None:
        self._open.set()

    def stop(self) -> None:
        self.cut()
        server, self._server = self._server, None
        if server is not None:
            server.close()


class PrivateRedis:
    """A throwaway redis-server on a free loopback port, which a test may kill and start again."""

    def __init__(self):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                                         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def post_leads(url: str, key: str, count: int, *, start: int = 0) -> list[httpx.Response]:
    with httpx.Client(base_url=url, headers={"Authorization": f"Api-Key {key}"}, timeout=30) as client:
        return [client.post("/api/v1/leads/", json={
            "campaign": "solar-us", "first_name": "Fault", "last_name": f"Test{n}", "country": "US",
            "email": f"fault{n}@example.com", "phone": f"+1415555{n:04d}", "language": "en"})
            for n in range(start, start + count)]


def demo_key(server) -> str:
    done = server.manage("shell", "-c",
                         "from leadcrm.demo import demo_seed; print(demo_seed().suppliers[0]['api_key'])")
    return done.stdout.strip().splitlines()[-1]


def floor_state(db) -> dict:
    """Lead statuses and the invariants that must hold, read through a DB-API connection (closed after)."""
    try:
        statuses = dict(db.execute("select status, count(*) from campaigns_lead group by status").fetchall())
        double = db.execute("select count(*) from (select lead_id from assignments_assignment "
                            "where status='offered' group by lead_id having count(*) > 1) as doubled").fetchone()[0]
        silent = db.execute("select count(*) from campaigns_lead where status='waiting' and waiting_reason=''"
                            ).fetchone()[0]
        drift = db.execute("select count(*) from assignments_rep r where r.load != (select count(*) from "
                           "assignments_assignment a where a.rep_id=r.id and a.status in ('offered','accepted'))"
                           ).fetchone()[0]
    finally:
        db.close()
    return {"statuses": statuses, "double_offers": double, "silent_waits": silent, "load_drift": drift}
