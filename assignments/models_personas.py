"""Personas: named, reusable segments of leads that routing rules, scoring rules, buyer filters and price rules
name instead of repeating the same conditions ("lead is in persona X")."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now

from assignments.models import ConditionBase


class Persona(models.Model):
    """A named set of conditions; a lead is in the persona when all of them hold."""

    slug = models.SlugField(max_length=64, unique=True,
                            help_text="How rules and buyer filters name it, e.g. persona is homeowners-ca.")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PersonaCondition(ConditionBase):
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="conditions")

    class Meta:
        ordering = ["id"]
