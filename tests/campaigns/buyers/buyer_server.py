"""A real local HTTP server playing buyers: each path answers from a script (status, JSON, delay); every request
is recorded with its headers and body. Started by the tests on 127.0.0.1:0 in a thread."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=lambda: {"status": "accepted"})
    delay: float = 0.0


ACCEPT = Reply()
REJECT = Reply(body={"status": "rejected", "reason": "not interested"})
ERROR_500 = Reply(status=500, body={"error": "boom"})
REFUSED_400 = Reply(status=400, body={"error": "bad lead"})


def bid(amount, **extra) -> Reply:
    return Reply(body={"bid": amount, **extra})


def slow(seconds: float) -> Reply:
    return Reply(delay=seconds)


@dataclass
class Received:
    path: str
    headers: dict
    raw: bytes
    at: float

    @property
    def body(self) -> object:
        return json.loads(self.raw or b"null")


class BuyerServer:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._scripts: dict[str, list[Reply]] = defaultdict(list)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = server._record(self.path, dict(self.headers), raw)
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout): nothing to answer
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _record(self, path: str, headers: dict, raw: bytes) -> Reply:
        with self._lock:
            self.received.append(Received(path=path, headers=headers, raw=raw, at=time.monotonic()))
            replies = self._scripts.get(path) or [ACCEPT]
            # The last reply repeats; earlier ones are used once each, in order.
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def script(self, path: str, *replies: Reply) -> str:
        """Answer `path` with these replies in order (the last one repeats); returns its URL."""
        with self._lock:
            self._scripts[path] = list(replies)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def hits(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def start(self) -> BuyerServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def refused_url(path: str = "/leads") -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
