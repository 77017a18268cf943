"""Erasure of a person (CONTRACT 6.5): the lead leaves the floor and nothing stored names them any more.

One transaction: open offers are revoked, an open lead is closed as lost (outcome "erased") so nobody calls the
person again, then the person is blanked on the lead and wherever it was copied: intake log, buyer and webhook
logs, imports (campaigns.services.erasure), offers' routing explanations, routing snapshots, contacts' notes,
notes, callbacks and outbox rows. Ids, timestamps, statuses, counts and money stay, so reports do not change.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.timezone import now as tz_now

from assignments.models import Assignment, ContactAttempt, OutboxEvent
from assignments.models_lab import RoutingSnapshot
from assignments.models_work import Callback, LeadNote
from assignments.services.locks import lead_lock
from assignments.services.offers import lead_offers_revoke
from assignments.services.pool import pool_leave_notify
from assignments.services.work import stage_move
from campaigns.lifecycle import CLOSED
from campaigns.models import Lead
from campaigns.services.erasure import ERASED, Person, lead_intake_side_erase
from leadcrm.errors import ServiceError

ERASED_OUTCOME = "erased"


def lead_erase(*, lead_id: int, by: AbstractBaseUser | AnonymousUser | None, suppress: bool = False,
               now: dt.datetime | None = None) -> Lead:
    """Erase the lead's person everywhere (idempotent: an erased lead is returned as it is) and return the lead.

    `suppress` also keeps the person out of later intake by the salted hashes of their phone and email. The
    erasure is in the audit log (who and when, no personal data) and in the lead's timeline as `erased`.
    ServiceError not_found (404) for an unknown lead.
    """
    now = now or tz_now()
    by = by if by is not None and by.is_authenticated else None  # a command run by nobody in particular
    with transaction.atomic():
        lead_lock(lead_id=lead_id)
        lead = Lead.objects.filter(pk=lead_id).first()
        if lead is None:
            raise ServiceError("not_found", "No such lead.")
        if lead.erased_at is not None:
            return lead
        person = Person.of(lead)
        lead_offers_revoke(lead_id=lead.pk, now=now)
        lead.refresh_from_db()
        if lead.status == Lead.Status.POOL:
            pool_leave_notify(lead=lead, now=now)
        if lead.status not in CLOSED:
            stage_move(lead=lead, to=Lead.Status.LOST, by=by, now=now, outcome=ERASED_OUTCOME)
        _floor_side_erase(person=person)
        lead_intake_side_erase(lead=lead, person=person, at=now, by_id=by.pk if by is not None else None,
                               suppress=suppress)
        if by is not None:
            what = "Erased the person's data" + (" and suppressed their phone and email." if suppress else ".")
            LogEntry.objects.log_actions(user_id=by.pk, queryset=Lead.objects.filter(pk=lead.pk), action_flag=CHANGE,
                                         change_message=what, single_object=True)
        return Lead.objects.select_related("campaign", "owner").get(pk=lead.pk)


def _floor_side_erase(*, person: Person) -> None:
    """Blank the person in what the floor stored about the lead, and in outbox rows that carried it."""
    lead_id = person.lead_id
    for offer in Assignment.objects.filter(lead_id=lead_id).only("pk", "explanation"):
        Assignment.objects.filter(pk=offer.pk).update(explanation=person.json(offer.explanation))
    for snapshot in RoutingSnapshot.objects.filter(lead_id=lead_id).only("pk", "lead_facts", "reps"):
        RoutingSnapshot.objects.filter(pk=snapshot.pk).update(
            lead_facts=person.json(snapshot.lead_facts, about_lead=True), reps=person.json(snapshot.reps))
    ContactAttempt.objects.filter(lead_id=lead_id).exclude(notes="").update(notes=ERASED)
    LeadNote.objects.filter(lead_id=lead_id).update(text=ERASED)
    Callback.objects.filter(lead_id=lead_id).exclude(note="").update(note=ERASED)
    # Every message about a lead names it as {"id": <lead id>, ...} under "lead"; the text filter narrows the scan.
    carried = (OutboxEvent.objects.annotate(as_text=Cast("payload", TextField()))
               .filter(as_text__contains=f'"id": {lead_id}').only("pk", "payload"))
    for row in carried:
        scrubbed = person.json(row.payload)
        if scrubbed != row.payload:
            OutboxEvent.objects.filter(pk=row.pk).update(payload=scrubbed)
