"""`/ws/notifications/`: a rep's own offers, or the whole floor for a manager; read-only apart from presence.

A rep joins only `rep.<id>`; a manager joins `floor` (a user who is both gets the rep's stream unless the page
asks `?role=floor`). On connect the socket resyncs: a rep receives each open assignment then `sync.done`, a
manager a `floor.snapshot`. After that it forwards outbox messages, each outbox id at most once.
"""

from __future__ import annotations

import collections
import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.timezone import now as tz_now

from assignments import events, services
from assignments.messages import (
    AssignmentMessage,
    CallbackDueMessage,
    FloorSnapshotMessage,
    OutboxLayerMessage,
    ServerMessage,
    SyncDoneMessage,
)
from assignments.relay import relay_ensure_started
from assignments.selectors import open_assignments_for_rep
from assignments.selectors_live import floor_assignments, leads_waiting, rep_for_user, rep_with_user, reps_on_floor
from assignments.selectors_work import callbacks_due_for_rep
from leadcrm.roles import is_manager

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 4096
CLOSE_REFUSED = 4403
CLOSE_TOO_BIG = 1009
# How many delivered outbox ids a connection remembers for de-duplication.
SEEN_IDS = 4096
TOUCH_EVERY_SECONDS = 20.0
SNAPSHOT_EVERY_SECONDS = 1.0


@database_sync_to_async
def _membership(user, wanted: str) -> tuple[str | None, int | None]:
    rep = rep_for_user(user_id=user.pk)
    manager = is_manager(user)
    if rep is not None and not (wanted == "floor" and manager):
        return "rep", rep.pk
    if manager:
        return "floor", None
    return None, None


@database_sync_to_async
def _rep_resync(rep_id: int) -> list[AssignmentMessage | CallbackDueMessage | SyncDoneMessage]:
    try:
        rep = services.rep_presence_connect(rep_id=rep_id)
    except Exception:  # presence is secondary: the rep still gets their offers
        log.exception("presence: connect of rep %s failed", rep_id)
        rep = None
    rep = rep or rep_with_user(rep_id=rep_id)
    now = tz_now()
    messages: list[AssignmentMessage | CallbackDueMessage | SyncDoneMessage] = []
    messages += events.assignment_sync_messages(open_assignments_for_rep(rep_id=rep_id))
    messages += [events.callback_message(callback=c) for c in callbacks_due_for_rep(rep_id=rep_id, now=now)]
    return messages + [events.sync_done_message(rep=rep, now=now)]


@database_sync_to_async
def _floor_snapshot() -> FloorSnapshotMessage:
    waiting_count, waiting = leads_waiting()
    return events.floor_snapshot_message(assignments=floor_assignments(), waiting_leads=waiting,
                                         waiting_count=waiting_count, reps=reps_on_floor(), now=tz_now())


@database_sync_to_async
def _presence(kind: str, rep_id: int) -> None:
    try:
        if kind == "disconnect":
            services.rep_presence_disconnect(rep_id=rep_id)
        else:
            services.rep_presence_touch(rep_id=rep_id)
    except Exception:
        log.exception("presence: %s of rep %s failed", kind, rep_id)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Live messages for one signed-in rep or manager."""

    async def connect(self) -> None:
        self.group: str | None = None
        self.rep_id: int | None = None
        self.closing = False
        self.seen: set[int] = set()
        self.seen_order: collections.deque[int] = collections.deque()
        self.last_touch = time.monotonic()
        self.last_snapshot = 0.0
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_REFUSED)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        role, self.rep_id = await _membership(user, (query.get("role") or [""])[0])
        if role is None:
            await self.close(code=CLOSE_REFUSED)
            return
        if events.relay_enabled():
            await relay_ensure_started()
        # Join before reading the state, so nothing committed in between is missed (duplicates are harmless).
        self.group = events.rep_group(self.rep_id) if role == "rep" else events.FLOOR_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        if role == "rep":
            for message in await _rep_resync(self.rep_id):
                await self.send_json(message)
        else:
            self.last_snapshot = time.monotonic()
            await self.send_json(await _floor_snapshot())

    async def disconnect(self, code) -> None:
        if self.group is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        self.group = None
        if self.rep_id is not None:
            await _presence("disconnect", self.rep_id)

    async def close(self, code=None, reason=None) -> None:
        self.closing = True
        await super().close(code=code, reason=reason)

    async def websocket_receive(self, message) -> None:
        """Refuse frames over 4 KB by closing; ignore binary frames, bad JSON and unknown types."""
        text, data = message.get("text"), message.get("bytes")
        size = len(text.encode()) if text is not None else len(data or b"")
        if size > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if text is None:
            return
        try:
            content = json.loads(text)
        except ValueError:
            return
        if isinstance(content, dict):
            await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": events.PONG})
            if self.rep_id is not None and time.monotonic() - self.last_touch >= TOUCH_EVERY_SECONDS:
                self.last_touch = time.monotonic()
                await _presence("touch", self.rep_id)
        elif (kind == "snapshot" and self.group == events.FLOOR_GROUP
              and time.monotonic() - self.last_snapshot >= SNAPSHOT_EVERY_SECONDS):
            self.last_snapshot = time.monotonic()
            await self.send_json(await _floor_snapshot())

    async def outbox_message(self, event: OutboxLayerMessage) -> None:
        """Forward one outbox message to the browser, once per outbox id."""
        outbox_id = event.get("outbox_id")
        if self.closing or outbox_id in self.seen:
            return
        self.seen.add(outbox_id)
        self.seen_order.append(outbox_id)
        if len(self.seen_order) > SEEN_IDS:
            self.seen.discard(self.seen_order.popleft())
        await self.send_json(event["message"])

    async def send_json(self, content: ServerMessage, close=False) -> None:
        if not self.closing:
            await super().send_json(content, close=close)
