"""The lead market's hand-offs to the sales floor, which campaigns may not import (assignments imports campaigns).

The floor registers its implementation once, in `AssignmentsConfig.ready()`; campaigns calls it through
`floor()`. The hand-offs: routing after intake, leads coming back to reps after buyers pass, offers revoked
when a lead goes to buyers, delay rules reading a supplier's added answers, and the floor's scoring rules and
personas, which buyers' filters and price rules read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from campaigns.models import Lead


class Floor(Protocol):
    """What the floor does for the lead market."""

    def leads_route_on_commit(self, *, lead_ids: list[int]) -> None:
        """Route these leads in the background once the current transaction commits."""

    def lead_offers_revoke(self, *, lead_id: int) -> int:
        """Revoke the lead's open offers inside the caller's transaction; returns how many."""

    def lead_answers_problems(self, *, campaign_id: int, answers: dict[str, object]) -> dict[str, list[str]]:
        """Errors by field for answers the campaign's delay rules cannot read (a date that is not a date)."""

    def lead_answers_added(self, *, lead_id: int) -> int:
        """The supplier added answers to the lead (locked by the caller): release the holds they satisfy; returns
        how many."""

    def lead_score(self, *, lead_id: int) -> int | None:
        """Score the lead with the floor's scoring rules and store it, as routing does (None: no such lead)."""

    def lead_personas(self, *, lead: Lead) -> list[str]:
        """Slugs of the personas the lead is in now."""

    def persona_slugs(self) -> set[str]:
        """Every persona's slug (buyer filters and price rules may name only these)."""


_floor: Floor | None = None


def floor_register(floor: Floor) -> None:
    """Install the sales floor (AppConfig.ready of the floor's app; a second call replaces the first)."""
    global _floor
    _floor = floor


def floor() -> Floor:
    """The registered sales floor; ImproperlyConfigured when no app registered one."""
    if _floor is None:
        raise ImproperlyConfigured("No sales floor registered: add 'assignments' to INSTALLED_APPS.")
    return _floor
