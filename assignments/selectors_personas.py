"""Reads about personas: which a lead is in, who uses each persona, and how many recent leads it matches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.timezone import now as tz_now

from assignments.config_cache import config_cached
from assignments.models import (
    DelayCondition,
    DraftCondition,
    Persona,
    PersonaCondition,
    RuleCondition,
    ScoringCondition,
)
from assignments.routing import PERSONA_FIELD, PersonaSpec, persona_matches, persona_slugs
from assignments.selectors import lead_facts, persona_specs
from campaigns.buyers.filters import condition_key_split
from campaigns.models import Buyer, Lead, PriceRule

# Where a persona may be named: condition tables of the floor (label, model) and JSON conditions of the market.
CONDITION_USERS = (("routing rules", RuleCondition, "rule_id"), ("scoring rules", ScoringCondition, "rule_id"),
                   ("draft rules", DraftCondition, "rule_id"), ("delay rules", DelayCondition, "rule_id"),
                   ("personas", PersonaCondition, "persona_id"))
RECENT_DAYS = 30
RECENT_SCAN_LIMIT = 20_000


def lead_persona_slugs(*, lead: Lead, personas: Mapping[str, PersonaSpec] | None = None) -> list[str]:
    """Slugs of the personas the lead is in now, sorted (the lead's campaign and supplier are read if not loaded);
    the personas come through the routing memo unless given."""
    known = config_cached(key="persona_specs", load=persona_specs) if personas is None else personas
    if not known:
        return []
    facts = lead_facts(lead=lead, now=tz_now(), past_offers=())
    return sorted(slug for slug, spec in known.items() if persona_matches(persona=spec, lead=facts))


def json_persona_slugs(conditions: object) -> set[str]:
    """The persona slugs a buyer filter or price rule's JSON conditions name ("persona", "persona__not", ...)."""
    if not isinstance(conditions, Mapping):
        return set()
    slugs: set[str] = set()
    for key, value in conditions.items():
        if condition_key_split(str(key))[0] != PERSONA_FIELD:
            continue
        for item in value if isinstance(value, list) else [value]:
            slugs.update(persona_slugs(str(item)))
    return slugs


@dataclass
class PersonaUsage:
    """Who names a persona: counts by kind ("routing rules": 2, "buyers": 1, ...)."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def text(self) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items())) or "not used"


def persona_usage() -> dict[str, PersonaUsage]:
    """By persona slug: the rules, personas, buyers and price rules that name it (each counted once)."""
    usage: dict[str, PersonaUsage] = {}
    for kind, model, owner in CONDITION_USERS:
        owners: set[tuple[str, int]] = set()
        for owner_id, value in model.objects.filter(field=PERSONA_FIELD).values_list(owner, "value"):
            owners.update((slug, owner_id) for slug in persona_slugs(value))
        for slug, _ in owners:
            usage.setdefault(slug, PersonaUsage()).add(kind)
    for kind, rows in (("buyers", Buyer.objects.values_list("filters", flat=True)),
                       ("price rules", PriceRule.objects.values_list("conditions", flat=True))):
        for conditions in rows:
            for slug in json_persona_slugs(conditions):
                usage.setdefault(slug, PersonaUsage()).add(kind)
    return usage


def persona_references() -> dict[str, set[str]]:
    """By persona slug: the slugs its own conditions name (the graph a loop check walks)."""
    graph: dict[str, set[str]] = {slug: set() for slug in Persona.objects.values_list("slug", flat=True)}
    for slug, value in PersonaCondition.objects.filter(field=PERSONA_FIELD).values_list("persona__slug", "value"):
        graph.setdefault(slug, set()).update(persona_slugs(value))
    return graph


def persona_loop(*, slug: str, names: Iterable[str], graph: Mapping[str, set[str]] | None = None) -> list[str]:
    """The path by which persona `slug` would name itself if its conditions named `names` (empty: no loop)."""
    graph = persona_references() if graph is None else graph
    stack = [(ref, [slug, ref]) for ref in names]
    seen: set[str] = set()
    while stack:
        current, path = stack.pop()
        if current == slug:
            return path
        if current in seen:
            continue
        seen.add(current)
        stack.extend((ref, [*path, ref]) for ref in graph.get(current, ()))
    return []


@dataclass(frozen=True)
class RecentMatches:
    matched: int
    scanned: int
    examples: list[Lead]
    days: int = RECENT_DAYS
    capped: bool = False


def persona_recent_matches(*, slug: str, now: dt.datetime | None = None, days: int = RECENT_DAYS,
                           scan_limit: int = RECENT_SCAN_LIMIT, examples: int = 5) -> RecentMatches:
    """How many leads received in the last `days` are in the persona (the newest `scan_limit` are read), with the
    newest few as examples."""
    now = now or tz_now()
    spec = persona_specs().get(slug)
    leads = (Lead.objects.filter(received_at__gte=now - dt.timedelta(days=days)).select_related("campaign", "supplier")
             .order_by("-received_at")[:scan_limit])
    matched, scanned, found = 0, 0, list[Lead]()
    for lead in leads.iterator(chunk_size=2000):
        scanned += 1
        if spec is not None and persona_matches(persona=spec, lead=lead_facts(lead=lead, now=now, past_offers=())):
            matched += 1
            if len(found) < examples:
                found.append(lead)
    return RecentMatches(matched=matched, scanned=scanned, examples=found, days=days, capped=scanned >= scan_limit)
