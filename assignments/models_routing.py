"""Routing's own queue: a request row for each lead waiting to be routed, and the flag that keeps one drain queued.

A request is written in the transaction that makes its lead routable, so it commits or rolls back with the lead;
one coalesced background task (the drain) routes every request, oldest first (services.routing_drain).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from campaigns.models import Lead


class RouteRequest(models.Model):
    """A lead to route: written with the change that made it routable, deleted in the transaction that routes it."""

    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, related_name="route_request")
    requested_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]  # the queue's order: the drain routes the oldest request first
        verbose_name = "routing request"

    def __str__(self) -> str:
        return f"Route lead {self.lead_id} (requested {self.requested_at:%Y-%m-%d %H:%M:%S})"


class RouteDrain(models.Model):
    """The one row saying a drain was queued and none has started routing since (queued_at): wakes queue no more."""

    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="route_drain_single_row")]
        verbose_name = "routing drain"

    def __str__(self) -> str:
        return f"Routing drain queued at {self.queued_at}" if self.queued_at else "Routing drain idle"
