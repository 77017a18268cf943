"""A supplier adds answers to its own lead after intake (the lead filled in a further form or survey).

Every call that reaches a lead of the supplier is written to the intake log (IntakeAttempt, action "answers"),
whatever its answer; supplier reports count intake posts only, so added answers never inflate the attempts.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.timezone import now

from campaigns.floor_hooks import floor
from campaigns.lifecycle import CLOSED
from campaigns.models import IntakeAttempt, Lead, Supplier
from campaigns.services.normalise import LeadInvalid, fields_problems, shown
from leadcrm.errors import ServiceError

EXTERNAL_ID_MAX_LENGTH = 128


def supplier_lead_for_answers(*, supplier: Supplier, lead_id: int | None = None, external_id: str = "") -> Lead:
    """The supplier's own lead by id or by its external_id, row-locked for the rest of the transaction.

    Another supplier's lead and an unknown one are the same 404 (`not_found`): no hint that the lead exists.
    Precondition: inside a transaction.
    """
    leads = Lead.objects.select_for_update().filter(supplier=supplier)
    if lead_id is not None:
        lead = leads.filter(pk=lead_id).first()
    else:
        lead = leads.filter(external_id=external_id).first() if 0 < len(external_id) <= EXTERNAL_ID_MAX_LENGTH \
            else None
    if lead is None:
        raise ServiceError("not_found", "No such lead for this supplier.")
    return lead


def _answers_parse(payload: object) -> dict[str, Any]:
    """The `fields` object of a PATCH body; LeadInvalid names every problem by key."""
    if not isinstance(payload, dict):
        raise LeadInvalid({"body": ["Send a JSON object: {\"fields\": {...}}."]})
    errors = {str(key)[:64]: ["Only fields can be changed here."] for key in payload if key != "fields"}
    if "fields" not in payload:
        errors["fields"] = ["This field is required."]
    elif not isinstance(payload["fields"], dict):
        errors["fields"] = ["Send an object of answers."]
    elif problems := fields_problems(payload["fields"]):
        errors["fields"] = problems
    if errors:
        raise LeadInvalid(errors)
    answers: dict[str, Any] = payload["fields"]
    return answers


def lead_answers_add(*, supplier: Supplier, payload: object, lead_id: int | None = None,
                     external_id: str = "") -> Lead:
    """Merge the posted `fields` into the supplier's lead (a key posted again takes the new value) and log it.

    Raises ServiceError `not_found` (404: not this supplier's lead, nothing logged), LeadInvalid (400, errors by
    field: the limits of intake apply to the posted answers and to the merged whole) or ServiceError
    `lead_erased` / `lead_closed` (409: its person was erased; won, lost or sold). A refusal changes nothing on
    the lead and is still logged.
    """
    with transaction.atomic():
        lead = supplier_lead_for_answers(supplier=supplier, lead_id=lead_id, external_id=external_id)
        refusal, answers = _refusal(lead=lead, payload=payload)
        if refusal is None:
            lead.fields = {**(lead.fields if isinstance(lead.fields, dict) else {}), **answers}
            lead.save(update_fields=["fields"])
            floor().lead_answers_added(lead_id=lead.pk)  # a delay rule waiting on these answers releases it now
            _log(supplier=supplier, lead=lead, outcome=IntakeAttempt.Outcome.ACCEPTED, status_code=200,
                 detail=f"Added {len(answers)} answer(s): {shown(', '.join(map(str, sorted(answers))), 200)}.",
                 body={"id": lead.pk, "fields": sorted(answers)})
            return lead
        if isinstance(refusal, LeadInvalid):
            _log(supplier=supplier, lead=lead, outcome=IntakeAttempt.Outcome.INVALID, status_code=400,
                 body={"errors": refusal.errors},
                 detail="; ".join(f"{k}: {' '.join(v)}" for k, v in refusal.errors.items()))
        else:
            _log(supplier=supplier, lead=lead, outcome=IntakeAttempt.Outcome.REJECTED, status_code=409,
                 reason=refusal.code, detail=str(refusal), body={"code": refusal.code, "detail": str(refusal)})
    raise refusal


def _refusal(*, lead: Lead, payload: object) -> tuple[ServiceError | None, dict[str, Any]]:
    """Why these answers cannot be added to this lead (None: they can), and the answers."""
    answers: dict[str, Any] = {}
    try:
        answers = _answers_parse(payload)
        earlier = lead.fields if isinstance(lead.fields, dict) else {}
        if problems := fields_problems({**earlier, **answers}):
            raise LeadInvalid({"fields": [f"With the lead's earlier answers: {problem}" for problem in problems]})
        if unreadable := floor().lead_answers_problems(campaign_id=lead.campaign_id, answers=answers):
            raise LeadInvalid(unreadable)
    except LeadInvalid as invalid:
        return invalid, answers
    if lead.erased_at is not None:
        return ServiceError("lead_erased", f"Lead {lead.pk}'s person was erased: no answers can be added."), answers
    if lead.status in CLOSED:
        return ServiceError("lead_closed", f"Lead {lead.pk} is {lead.status}: answers can no longer be added."), answers
    return None, answers


def _log(*, supplier: Supplier, lead: Lead, outcome: str, status_code: int, body: dict[str, Any],
         detail: str, reason: str = "") -> None:
    IntakeAttempt.objects.create(
        supplier=supplier, campaign_id=lead.campaign_id, received_at=now(), action=IntakeAttempt.Action.ANSWERS,
        outcome=outcome, reason=reason, detail=detail[:500], lead=lead,
        response_status=status_code, response_body=body,
    )
