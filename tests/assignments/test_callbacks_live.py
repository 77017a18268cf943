"""callback.due over the real websocket: once to the owner, again on reconnect while due, never to another rep."""

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.utils.timezone import now

from assignments import events, services
from assignments.models import Callback, Rep
from campaigns.models import Lead
from tests.assignments.test_messages import (  # noqa: F401
    isolated_layer,
    outbox_mark,
    outbox_since,
    received_until,
    socket_for,
)
from tests.factories import LeadFactory, RepFactory

WAIT = 3


def callback_on_own_lead(rep: Rep, *, due_in: dt.timedelta = dt.timedelta(minutes=1), note: str = "") -> Callback:
    """A callback the rep scheduled on a contacted lead they own."""
    lead = LeadFactory(status=Lead.Status.CONTACTED, owner=rep.user)
    return services.callback_schedule(lead_id=lead.pk, user=rep.user, due_at=now() + due_in, note=note)


@pytest.mark.django_db(transaction=True)
async def test_callback_due_reaches_its_owner_once_and_again_on_reconnect_only(isolated_layer):  # noqa: F811
    @database_sync_to_async
    def setup():
        owner, other = RepFactory(), RepFactory()
        return owner, other, callback_on_own_lead(owner, due_in=dt.timedelta(seconds=30), note="Quote ready")

    owner, other, callback = await setup()
    mine = await database_sync_to_async(socket_for)(owner.user)
    theirs = await database_sync_to_async(socket_for)(other.user)
    assert (await mine.connect(timeout=WAIT))[0] and (await theirs.connect(timeout=WAIT))[0]
    await received_until(mine, events.SYNC_DONE)
    await received_until(theirs, events.SYNC_DONE)

    await database_sync_to_async(Callback.objects.filter(pk=callback.pk).update)(due_at=now())
    assert await database_sync_to_async(services.callbacks_due_send)() == 1
    assert await database_sync_to_async(services.callbacks_due_send)() == 0
    due = await received_until(mine, events.CALLBACK_DUE)
    assert due[-1]["callback"]["id"] == callback.pk and due[-1]["callback"]["lead"]["id"] == callback.lead_id
    assert due[-1]["callback"]["note"] == "Quote ready"
    assert await mine.receive_nothing(timeout=0.5)  # once
    assert await theirs.receive_nothing(timeout=0.5)  # never to another rep
    await mine.disconnect()

    again = await database_sync_to_async(socket_for)(owner.user)
    assert (await again.connect(timeout=WAIT))[0]
    resync = await received_until(again, events.SYNC_DONE)
    assert [m["callback"]["id"] for m in resync if m["type"] == events.CALLBACK_DUE] == [callback.pk]
    await again.disconnect()

    await database_sync_to_async(services.callback_done)(callback_id=callback.pk, user=owner.user)
    after_done = await database_sync_to_async(socket_for)(owner.user)
    assert (await after_done.connect(timeout=WAIT))[0]
    assert [m for m in await received_until(after_done, events.SYNC_DONE) if m["type"] == events.CALLBACK_DUE] == []
    await after_done.disconnect()
    await theirs.disconnect()


@pytest.mark.django_db
def test_a_callback_goes_to_whoever_owns_the_lead_when_it_falls_due():
    first, second = RepFactory(), RepFactory()
    callback = callback_on_own_lead(first)
    Lead.objects.filter(pk=callback.lead_id).update(owner=second.user)  # a manager moved the lead (issue 18's service)
    Callback.objects.filter(pk=callback.pk).update(due_at=now())
    mark = outbox_mark()
    assert services.callbacks_due_send() == 1
    assert [row.group for row in outbox_since(mark)] == [events.rep_group(second.pk)]


@pytest.mark.django_db
def test_a_callback_on_a_lead_nobody_owns_waits():
    callback = callback_on_own_lead(RepFactory())
    Lead.objects.filter(pk=callback.lead_id).update(owner=None)
    Callback.objects.filter(pk=callback.pk).update(due_at=now())
    assert services.callbacks_due_send() == 0
    assert Callback.objects.get(pk=callback.pk).notified_at is None
