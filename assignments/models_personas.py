"""Personas: named, reusable segments of leads that routing rules, scoring rules, buyer filters and price rules
name instead of repeating the same conditions ("lead is in persona X")."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now

from assignments.models import ConditionBase
from campaigns.models import Created, Lead


class Persona(Created):
    """A named set of conditions; a lead is in the persona when all of them hold."""

    slug = models.SlugField(max_length=64, unique=True,
                            help_text="How rules and buyer filters name it, e.g. persona is homeowners-ca.")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PersonaCondition(ConditionBase):
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="conditions")

    class Meta:
        ordering = ["id"]


class LeadPersona(models.Model):
    """A lead was in the persona when it was first scored (its first routing decision, or when it went to buyers).

    Reports group leads by these rows. Editing a persona's conditions later does not move leads already recorded
    (`manage.py lead_personas_recount` re-files recent leads on purpose); deleting a persona deletes its rows."""

    # The unique constraint's index starts with lead_id: no separate index on it.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="persona_memberships", db_index=False)
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="memberships")
    at = models.DateTimeField(default=now, help_text="When the membership was recorded.")

    class Meta:
        ordering = ["lead", "persona"]
        constraints = [models.UniqueConstraint(fields=["lead", "persona"], name="lead_persona_once")]
        verbose_name = "lead in a persona"
        verbose_name_plural = "leads in personas"

    def __str__(self) -> str:
        return f"Lead #{self.lead_id} in persona #{self.persona_id}"
