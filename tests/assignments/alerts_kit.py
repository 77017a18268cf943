"""Real components for the alert tests: an SMTP server (aiosmtpd) and a chat webhook endpoint (http.server)."""

from __future__ import annotations

import email
import json
import time
from email.message import Message

from aiosmtpd.controller import Controller

from tests.httpkit import Receiver
from tests.liveserver import free_port


class SmtpServer:
    """A real SMTP server on 127.0.0.1:port keeping each message (parsed) with the time it arrived (time.time())."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[tuple[float, list[str], Message]] = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler hook)
        self.messages.append((time.time(), list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, *, within: float) -> list[tuple[float, list[str], Message]]:
        deadline = time.monotonic() + within
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


def parts(message: Message) -> dict[str, str]:
    """The text and HTML bodies of a message, by content type."""
    return {part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk() if part.get_content_type() in ("text/plain", "text/html")}


class ChatEndpoint(Receiver):
    """A local HTTP server standing in for a chat's incoming webhook: answers the queued statuses (then 200),
    optionally after a delay; `received` holds every JSON body it got."""

    def __init__(self):
        super().__init__(path="/services/T000/B000/s3cr3t-token")

    @property
    def received(self) -> list[dict]:
        return [json.loads(body) for _, body in self.requests]
