"""Bulk lead intake: each item gets exactly the answer lead_intake would give it had the items been posted one
after another, from one transaction with a few set-based reads and bulk writes for the whole batch."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils.timezone import now

from campaigns.calling_hours import lead_intake_hold_reason
from campaigns.models import Campaign, IntakeAttempt, Lead, Supplier
from campaigns.selectors import (
    campaigns_for_intake,
    intake_attempts_replayable,
    lead_duplicates_earliest,
    leads_with_external_ids,
    suppression_pairs,
    suppression_pairs_present,
)
from campaigns.services import intake, normalise
from campaigns.services.bulk_insert import rows_insert
from campaigns.services.caps import CapLedger
from campaigns.services.intake_locks import bulk_intake_lock
from campaigns.services.lead_timezone import lead_timezone_derive
from campaigns.services.webhooks import leads_status_webhook_enqueue

if TYPE_CHECKING:
    from campaigns.selectors import IntakeCampaign

log = logging.getLogger(__name__)
Outcome = IntakeAttempt.Outcome


@dataclass(frozen=True)
class BulkIntakeResult:
    """The HTTP answer to a bulk post: 200 with one result per item in order, or 400 for the whole batch."""

    status_code: int
    body: dict[str, Any]


def lead_intake_bulk(*, supplier: Supplier, payload: object, idempotency_key: str = "") -> BulkIntakeResult:
    """Take up to BULK_MAX_ITEMS leads (a list or {"leads": [...]}), each answered exactly as lead_intake would
    answer it posted after the items before it.

    One bad item never sinks the others. With an Idempotency-Key, item i uses "<key>:<i>", so a retried batch
    gets the same answers. Should the batch's transaction fail in the database, each item is taken again in
    its own transaction by lead_intake.
    """
    items = payload.get("leads") if isinstance(payload, dict) and set(payload) == {"leads"} else payload
    if not isinstance(items, list):
        return _batch_invalid(supplier, 'Expected a JSON list of leads, or {"leads": [...]}.')
    if not items:
        return _batch_invalid(supplier, "Send at least one lead.")
    if len(items) > intake.BULK_MAX_ITEMS:
        return _batch_invalid(supplier, f"At most {intake.BULK_MAX_ITEMS} leads per request, got {len(items)}.")
    if idempotency_key and len(f"{idempotency_key.strip()}:{len(items) - 1}") > intake.IDEMPOTENCY_KEY_MAX_LENGTH:
        body = {"errors": {"Idempotency-Key": [
            f"Too long for a bulk post: it must leave room for ':<index>' within "
            f"{intake.IDEMPOTENCY_KEY_MAX_LENGTH}."]}}
        intake.intake_invalid_record(supplier=supplier, status_code=400, body=body,
                                     detail="bulk: Idempotency-Key too long")
        return BulkIntakeResult(status_code=400, body=body)
    key = idempotency_key.strip()
    prepared = _prepare(supplier, items, key)
    try:
        results = _Batch(supplier=supplier, items=prepared, received_at=now()).run()
    except DatabaseError:
        log.warning("bulk intake: batch transaction failed, taking its %s leads one by one", len(items),
                    exc_info=True)
        results = []
        for index, item in enumerate(items):
            result = intake.lead_intake(supplier=supplier, payload=item, idempotency_key=_item_key(key, index))
            results.append({"index": index, "status_code": result.status_code, **result.body})
    return BulkIntakeResult(status_code=200, body={"results": results})


@dataclass(frozen=True)
class ItemAnswer:
    """What intake answered one item of a batch, for callers that show more than its HTTP body (the CSV import)."""

    index: int
    outcome: str
    status_code: int
    reason: str = ""
    detail: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)  # invalid: field -> messages
    lead_id: int | None = None  # accepted: the new lead (None in a dry run); replayed: the earlier lead, if any
    duplicate_of_id: int | None = None  # a duplicate of a stored lead
    earlier_index: int | None = None  # the earlier item of this batch that it repeats, or duplicates
    replayed: bool = False  # the final answer of an earlier attempt with its external_id: nothing new stored


def lead_intake_items(*, supplier: Supplier, payloads: list[object], dry_run: bool = False) -> list[ItemAnswer]:
    """Each payload answered in order as lead_intake_bulk answers it without an Idempotency-Key, in one transaction,
    with its outcome, ids and whether it only replayed an earlier answer.

    dry_run: every item decided against the database as it stands, and nothing written or queued (accepted items
    have no lead id). Otherwise, should the batch's transaction fail in the database, each item is taken again
    in its own transaction by lead_intake. No limit on the number of items: the caller sizes its transactions.
    """
    prepared = _prepare(supplier, payloads, "")
    batch = _Batch(supplier=supplier, items=prepared, received_at=now(), dry_run=dry_run)
    try:
        batch.run()
    except DatabaseError:
        if dry_run:
            raise
        log.warning("lead import: batch transaction failed, taking its %s leads one by one", len(payloads),
                    exc_info=True)
        return [_item_answer_of(index, intake.lead_intake(supplier=supplier, payload=payload))
                for index, payload in enumerate(payloads)]
    return [_item_answer(item, result) for item, result in zip(prepared, batch.decided, strict=True)]


def _item_answer(item: _Item, result: _Answer | IntakeAttempt) -> ItemAnswer:
    if isinstance(result, IntakeAttempt):
        return ItemAnswer(index=item.index, outcome=result.outcome, status_code=result.response_status,
                          reason=result.reason, detail=result.detail, lead_id=result.lead_id,
                          duplicate_of_id=result.duplicate_of_id, replayed=True)
    if result.item is not item:  # an earlier item of this batch with the same external_id answered first
        first = _item_answer(result.item, result)
        return ItemAnswer(index=item.index, outcome=first.outcome, status_code=first.status_code,
                          reason=first.reason, detail=first.detail, errors=first.errors, lead_id=first.lead_id,
                          duplicate_of_id=first.duplicate_of_id, earlier_index=result.item.index, replayed=True)
    duplicate_of = result.duplicate_of
    return ItemAnswer(
        index=item.index, outcome=str(result.outcome), status_code=result.status_code, reason=result.reason,
        detail=result.detail() if result.outcome != Outcome.DUPLICATE or result.duplicate_of_id else "",
        errors=item.errors or {}, lead_id=result.lead.pk if result.lead else None,
        duplicate_of_id=result.duplicate_of_id,
        earlier_index=duplicate_of.index if isinstance(duplicate_of, _NewLead) else None)


def _item_answer_of(index: int, result: intake.IntakeResult) -> ItemAnswer:
    body = result.body
    errors = body.get("errors")
    duplicate_of = body.get("duplicate_of")
    return ItemAnswer(index=index, outcome=result.outcome, status_code=result.status_code,
                      reason=str(body.get("reason") or ("duplicate" if duplicate_of else "")),
                      detail=str(body.get("detail") or ""), errors=errors if isinstance(errors, dict) else {},
                      lead_id=result.lead_id if result.lead_id is not None else body.get("id"),
                      duplicate_of_id=duplicate_of if isinstance(duplicate_of, int) else None,
                      replayed=result.replayed)


def _batch_invalid(supplier: Supplier, problem: str) -> BulkIntakeResult:
    """The 400 for a post that is not a batch of leads, recorded."""
    body = {"errors": {"leads": [problem]}}
    intake.intake_invalid_record(supplier=supplier, status_code=400, body=body, detail=f"bulk: {problem}")
    return BulkIntakeResult(status_code=400, body=body)


def _item_key(key: str, index: int) -> str:
    return f"{key}:{index}" if key else ""


class _Item:
    """One posted item, checked as far as it can be without the database's state: parsed, campaign found,
    contacts normalised (or why not)."""

    def __init__(self, index: int, key: str, external_id: str):
        self.index, self.key, self.external_id = index, key, external_id
        self.lead: normalise.LeadInput | None = None
        self.campaign: IntakeCampaign | None = None
        self.errors: dict[str, list[str]] | None = None  # the 400
        self.contacts: tuple[str, str] | normalise.LeadRefused | None = None

    def checked(self) -> tuple[normalise.LeadInput, IntakeCampaign, tuple[str, str] | normalise.LeadRefused]:
        """(lead, campaign, contacts or why they are unusable) of an item without a 400, which has all three."""
        if self.lead is None or self.campaign is None or self.contacts is None:
            raise ValueError(f"Item {self.index} has no lead to decide: {self.errors}")
        return self.lead, self.campaign, self.contacts


def _prepare(supplier: Supplier, payloads: list[object], key: str) -> list[_Item]:
    items = []
    for index, payload in enumerate(payloads):
        item = _Item(index, _item_key(key, index), intake._external_id_hint(payload))
        try:
            if len(item.key) > intake.IDEMPOTENCY_KEY_MAX_LENGTH or normalise.text_problem(item.key):
                raise normalise.LeadInvalid({"Idempotency-Key": [
                    f"Must be at most {intake.IDEMPOTENCY_KEY_MAX_LENGTH} characters of text."]})
            item.lead = normalise.lead_payload_parse(payload=payload)
        except normalise.LeadInvalid as invalid:
            item.errors = invalid.errors
        items.append(item)
    campaigns = campaigns_for_intake(supplier=supplier, slugs={item.lead.campaign for item in items if item.lead})
    for item in items:
        lead = item.lead
        if item.errors is not None or lead is None:  # a lead parses exactly when there are no errors yet
            continue
        item.campaign = campaigns.get(lead.campaign)
        if item.campaign is None:
            item.errors = {"campaign": [f"Unknown campaign '{normalise.shown(lead.campaign, 64)}'."]}
            continue
        item.errors = normalise.required_fields_missing(lead=lead, required=item.campaign.required_fields or []) or None
        if item.errors is None:
            try:
                item.contacts = normalise.lead_contacts_normalise(lead=lead)
            except normalise.LeadRefused as refused:
                item.contacts = refused
    return items


class _NewLead:
    """A lead this batch accepts: its row, then its id once inserted."""

    __slots__ = ("row", "campaign", "pk", "index")
    row: dict[str, Any]
    campaign: IntakeCampaign
    pk: int | None
    index: int

    def __init__(self, row: dict[str, Any], campaign: IntakeCampaign, index: int):
        self.row, self.campaign, self.pk, self.index = row, campaign, None, index


class _Answer:
    """The attempt one item records; an accepted lead's id (and a duplicate's, within the batch) is known only
    once the batch's leads are inserted, so the body is built then."""

    def __init__(self, item: _Item, outcome: IntakeAttempt.Outcome, status_code: int, *, reason: str = "",
                 detail: str = "", body: dict[str, Any] | None = None, lead: _NewLead | None = None,
                 duplicate_of: int | _NewLead | None = None, same: str = "", keyed: bool = True):
        self.item, self.outcome, self.status_code, self.reason = item, outcome, status_code, reason
        self._detail, self._body, self.lead, self.duplicate_of, self.same = detail, body, lead, duplicate_of, same
        self.idempotency_key = item.key if keyed else ""
        self.external_id = item.lead.external_id if keyed and item.lead else ""
        self.replays = 0

    @property
    def duplicate_of_id(self) -> int | None:
        return self.duplicate_of.pk if isinstance(self.duplicate_of, _NewLead) else self.duplicate_of

    def body(self) -> dict[str, Any]:
        if self.outcome == Outcome.ACCEPTED and self.lead is not None:
            return {"id": self.lead.pk, "status": "accepted"}
        if self.outcome == Outcome.DUPLICATE:
            return {"status": "duplicate", "duplicate_of": self.duplicate_of_id}
        if self._body is None:
            raise ValueError(f"A {self.outcome} answer needs its lead or a body.")
        return self._body

    def detail(self) -> str:
        if self.outcome == Outcome.DUPLICATE:
            return f"Same {self.same} as lead {self.duplicate_of_id}."
        return self._detail


class _Batch:
    """The items decided in order against the database's state read once and this batch's own earlier items."""

    def __init__(self, *, supplier: Supplier, items: list[_Item], received_at: dt.datetime, dry_run: bool = False):
        self.supplier, self.items, self.received_at, self.dry_run = supplier, items, received_at, dry_run
        self.answers: list[_Answer] = []
        self.decided: list[_Answer | IntakeAttempt] = []
        self.replayed: Counter[int] = Counter()  # earlier attempts (by id) replayed by this batch

    @transaction.atomic
    def run(self) -> list[dict[str, Any]]:
        campaigns = {item.campaign.pk: item.campaign for item in self.items
                     if item.errors is None and item.campaign is not None
                     and item.campaign.may_post and item.campaign.active}
        bulk_intake_lock(supplier_id=self.supplier.pk, campaign_ids=set(campaigns))
        self._read(list(campaigns.values()))
        results = self.decided = [self._decide(item) for item in self.items]
        if self.dry_run:  # decided against the database as it is; nothing written, nothing queued
            transaction.set_rollback(True)  # not even the zero cap counters CapLedger inserts to lock
            return []
        leads = [answer.lead for answer in self.answers if answer.lead is not None]
        ids = rows_insert(model=Lead, rows=[lead.row for lead in leads], return_ids=True)
        for lead, pk in zip(leads, ids, strict=True):
            lead.pk = pk
        self.caps.save()
        self._record()
        if leads and self.supplier.webhook_url:
            leads_status_webhook_enqueue(leads=[self._instance(lead) for lead in leads], event="accepted")
        intake.leads_distribution_start(
            leads=[(pk, lead.campaign) for lead, pk in zip(leads, ids, strict=True)
                   if lead.row["status"] == Lead.Status.NEW])
        return [{"index": item.index, "status_code": result.status_code, **result.body()}
                if isinstance(result, _Answer) else
                {"index": item.index, "status_code": result.response_status, **result.response_body}
                for item, result in zip(self.items, results, strict=True)]

    def _instance(self, lead: _NewLead) -> Lead:
        instance = Lead(pk=lead.pk, **lead.row)
        instance.campaign, instance.supplier = lead.campaign, self.supplier
        return instance

    def _read(self, campaigns: list[IntakeCampaign]) -> None:
        """Everything the rules need from the database, in a few queries for the whole batch (under the locks)."""
        items = self.items
        supplier = self.supplier
        self.by_key = intake_attempts_replayable(supplier=supplier, column="idempotency_key",
                                                 values={item.key for item in items})
        self.by_external_id = intake_attempts_replayable(supplier=supplier, column="external_id",
                                                         values={item.external_id for item in items})
        self.batch_by_external_id: dict[str, _Answer] = {}
        checked = [item.checked() for item in items if item.errors is None]
        usable = [(lead, campaign, contacts) for lead, campaign, contacts in checked if isinstance(contacts, tuple)]
        self.suppressed = suppression_pairs_present(
            wanted=set[tuple[str, str]]().union(*(suppression_pairs(phone=phone, email=email)
                                                  for _, _, (phone, email) in usable)))
        self.lead_by_external_id: dict[str, int | _NewLead] = dict(leads_with_external_ids(
            supplier=supplier, external_ids={lead.external_id for lead, _, _ in usable}))
        self.opening: dict[int, bool | normalise.LeadRefused] = {}
        for campaign in {campaign.pk: campaign for _, campaign, _ in checked}.values():
            try:
                self.opening[campaign.pk] = intake.campaign_open_check(supplier=supplier, campaign=campaign,
                                                                       at=self.received_at)
            except normalise.LeadRefused as refused:
                self.opening[campaign.pk] = refused
        # (campaign id, column, value) -> ((received_at, 0, id) or (received_at, 1, index), id or lead of this batch)
        self.earliest: dict[tuple[int, str, str], tuple[tuple[dt.datetime, int, int], int | _NewLead]] = {}
        for campaign in campaigns:
            if not campaign.dedup_window_hours:
                continue
            since = self.received_at - dt.timedelta(hours=campaign.dedup_window_hours)
            mine = [contacts for _, item_campaign, contacts in usable if item_campaign.pk == campaign.pk]
            for column, position in (("phone", 0), ("email", 1)):
                values = {contacts[position] for contacts in mine if contacts[position]}
                found = lead_duplicates_earliest(campaign=campaign, column=column, values=values, since=since)
                for value, (received_at, pk) in found.items():
                    self.earliest[(campaign.pk, column, value)] = ((received_at, 0, pk), pk)
        self.caps = CapLedger(supplier=supplier, at=self.received_at)

    def _replay(self, item: _Item) -> _Answer | IntakeAttempt | None:
        earlier = [attempt for attempt in (self.by_key.get(item.key), self.by_external_id.get(item.external_id))
                   if attempt is not None]
        if earlier:
            attempt = min(earlier, key=lambda attempt: attempt.pk)
            self.replayed[attempt.pk] += 1
            return attempt
        answer = self.batch_by_external_id.get(item.external_id) if item.external_id else None
        if answer is not None:
            answer.replays += 1
        return answer

    def _decide(self, item: _Item) -> _Answer | IntakeAttempt:
        if item.key or item.external_id:
            replay = self._replay(item)
            if replay is not None:
                return replay
        if item.errors is not None:
            return self._answer(_Answer(
                item, Outcome.INVALID, 400, body={"errors": item.errors}, keyed=False,
                detail="; ".join(f"{k}: {' '.join(v)}" for k, v in item.errors.items())))
        try:
            return self._answer(self._rules(item))
        except normalise.LeadRefused as refused:
            return self._answer(_Answer(item, Outcome.REJECTED, 422, reason=refused.reason,
                                        detail=refused.detail,
                                        body={"status": "rejected", "reason": refused.reason,
                                              "detail": refused.detail}))

    def _answer(self, answer: _Answer) -> _Answer:
        self.answers.append(answer)
        if answer.external_id:  # never a 400: those claim no key
            self.batch_by_external_id.setdefault(answer.external_id, answer)
        return answer

    def _rules(self, item: _Item) -> _Answer:
        """lead_intake's business rules in its order; raises LeadRefused for a 422."""
        supplier = self.supplier
        lead, campaign, contacts = item.checked()
        is_open = self.opening[campaign.pk]
        if isinstance(is_open, normalise.LeadRefused):
            raise normalise.LeadRefused(is_open.reason, is_open.detail)
        intake.consent_check(campaign=campaign, lead=lead, at=self.received_at)
        if isinstance(contacts, normalise.LeadRefused):
            raise contacts
        phone, email = contacts
        found = suppression_pairs(phone=phone, email=email) & self.suppressed
        if found:
            kind = min(found)[0]
            raise normalise.LeadRefused("suppressed",
                                        f"The lead's {intake.SUPPRESSED_WHAT[kind]} is on the suppression list.")
        same_external_id = self.lead_by_external_id.get(lead.external_id) if lead.external_id else None
        if same_external_id is not None:
            return _Answer(item, Outcome.DUPLICATE, 409, reason="duplicate", duplicate_of=same_external_id,
                           same="external_id")
        if campaign.dedup_window_hours:
            candidates = [self.earliest[entry] for entry in self._contact_entries(campaign, phone, email)
                          if entry in self.earliest]
            if candidates:
                return _Answer(item, Outcome.DUPLICATE, 409, reason="duplicate",
                               duplicate_of=min(candidates, key=lambda found: found[0])[1],
                               same="phone or email")
        cap_reached = self.caps.claim(campaign=campaign)
        if cap_reached:
            raise normalise.LeadRefused(cap_reached,
                                        f"The {cap_reached.split('_')[0]}'s lead cap is reached; try again later.")
        zone = lead_timezone_derive(phone=phone, country=lead.country, region=lead.region,
                                    postal_code=lead.postal_code, at=self.received_at)
        held = lead_intake_hold_reason(campaign=campaign, campaign_open=is_open, lead_timezone=zone,
                                       at=self.received_at)
        stored = _NewLead({
            "campaign_id": campaign.pk, "supplier_id": supplier.pk, "external_id": lead.external_id,
            "first_name": lead.first_name, "last_name": lead.last_name, "email": email, "phone": phone,
            "country": lead.country, "region": lead.region, "postal_code": lead.postal_code, "timezone": zone,
            "language": lead.language, "skill": lead.skill, "fields": lead.fields, "consent": lead.consent,
            "status": Lead.Status.HELD.value if held else Lead.Status.NEW.value, "waiting_reason": held,
            "received_at": self.received_at, "cost": supplier.cost_per_lead,
            "revenue": Decimal("0"),  # earned when the lead is sold or won, not at intake
        }, campaign, item.index)
        if lead.external_id:
            self.lead_by_external_id.setdefault(lead.external_id, stored)
        if campaign.dedup_window_hours:
            for entry in self._contact_entries(campaign, phone, email):
                mine = ((self.received_at, 1, item.index), stored)
                if entry not in self.earliest or mine[0] < self.earliest[entry][0]:
                    self.earliest[entry] = mine
        return _Answer(item, Outcome.ACCEPTED, 201, lead=stored)

    @staticmethod
    def _contact_entries(campaign: Campaign, phone: str, email: str) -> list[tuple[int, str, str]]:
        return [(campaign.pk, column, value) for column, value in (("phone", phone), ("email", email)) if value]

    def _record(self) -> None:
        """Write every attempt of the batch, then count the replays of earlier attempts."""
        rows_insert(model=IntakeAttempt, rows=[{
            "supplier_id": self.supplier.pk, "campaign_id": answer.item.campaign.pk if answer.item.campaign else None,
            "received_at": self.received_at, "outcome": answer.outcome.value, "reason": answer.reason,
            "detail": answer.detail()[:500], "lead_id": answer.lead.pk if answer.lead else None,
            "duplicate_of_id": answer.duplicate_of_id, "idempotency_key": answer.idempotency_key,
            "external_id": answer.external_id, "response_status": answer.status_code, "response_body": answer.body(),
            "replays": answer.replays,
        } for answer in self.answers])
        by_count: dict[int, list[int]] = {}
        for attempt_id, count in self.replayed.items():
            by_count.setdefault(count, []).append(attempt_id)
        for count, attempt_ids in by_count.items():
            IntakeAttempt.objects.filter(pk__in=attempt_ids).update(replays=F("replays") + count)

