"""The sales floor as the lead market sees it: the one place where campaigns' hand-offs reach the floor.

campaigns may not import assignments; `AssignmentsConfig.ready()` registers `SalesFloor` with
`campaigns.floor_hooks`, through which intake routes new leads, buyers give unsold leads back to reps, a
lead handed to buyers has its open offers revoked and is scored, a supplier's added answers meet the delay rules,
and buyers' filters and price rules learn which personas a lead is in.
"""

from __future__ import annotations

from assignments.models import Persona
from assignments.selectors_personas import lead_persona_slugs
from assignments.services.delays import answers_problems, lead_holds_recheck
from assignments.services.offers import lead_offers_revoke
from assignments.services.queue import leads_route_enqueue
from assignments.services.scoring import lead_score
from campaigns.models import Lead


class SalesFloor:
    """Implements campaigns.floor_hooks.Floor."""

    def leads_route_on_commit(self, *, lead_ids: list[int]) -> None:
        leads_route_enqueue(lead_ids=lead_ids)

    def lead_offers_revoke(self, *, lead_id: int) -> int:
        return lead_offers_revoke(lead_id=lead_id)

    def lead_answers_problems(self, *, campaign_id: int, answers: dict[str, object]) -> dict[str, list[str]]:
        return answers_problems(campaign_id=campaign_id, answers=answers)

    def lead_answers_added(self, *, lead_id: int) -> int:
        return lead_holds_recheck(lead_id=lead_id)

    def lead_score(self, *, lead_id: int) -> int | None:
        return lead_score(lead_id=lead_id)

    def lead_personas(self, *, lead: Lead) -> list[str]:
        return lead_persona_slugs(lead=lead)

    def persona_slugs(self) -> set[str]:
        return set(Persona.objects.values_list("slug", flat=True))
