"""The sales floor as the lead market sees it: the one place where campaigns' hand-offs reach the floor.

campaigns may not import assignments; `AssignmentsConfig.ready()` registers `SalesFloor` with
`campaigns.floor_hooks`, through which intake routes new leads, buyers give unsold leads back to reps, a
lead handed to buyers has its open offers revoked, and a supplier's added answers meet the delay rules.
"""

from __future__ import annotations

from assignments.services.delays import answers_problems, lead_holds_recheck
from assignments.services.offers import lead_offers_revoke
from assignments.services.queue import leads_route_enqueue


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
