"""The demo floor that `make run` loads: idempotent, with logins and keys it can print every time."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from assignments import models as floor
from campaigns.models import Buyer, Campaign, Supplier, SupplierApiKey, hash_api_key
from campaigns.services import supplier_api_key_create
from leadcrm.roles import managers_group_sync

DEMO_PASSWORD = "leadcrm-demo"
MANAGER = "manager"
SKILLS = {"solar": "Solar installation", "mortgage": "Mortgage advice"}
TEAMS = {"English desk": "en", "Spanish desk": "es", "German desk": "de"}
CAMPAIGNS = {"solar-us": "Solar quotes (US)", "mortgage-intl": "Mortgage advice (international)",
             "quick-quotes": "Quick quotes (free pick)"}
# Leads of these campaigns go straight to the open pool, where reps the rule allows claim them (CONTRACT 6.4).
POOL_CAMPAIGNS = ["quick-quotes"]
FREE_PICK = "Free pick: quick quotes"
# username, first name, languages, countries, skills {slug: level}, capacity, team
REPS = [
    ("alice", "Alice", ["en"], ["US"], {"solar": 4, "mortgage": 2}, 5, "English desk"),
    ("bob", "Bob", ["en"], ["US", "GB"], {"mortgage": 4}, 5, "English desk"),
    ("carla", "Carla", ["es", "en"], ["US", "ES"], {"solar": 3}, 4, "Spanish desk"),
    ("diego", "Diego", ["es"], ["ES"], {"mortgage": 3, "solar": 2}, 4, "Spanish desk"),
    ("erika", "Erika", ["de", "en"], ["DE", "US"], {"solar": 4, "mortgage": 2}, 5, "German desk"),
    ("felix", "Felix", ["de"], ["DE"], {"mortgage": 3}, 3, "German desk"),
]
SUPPLIERS = {"Acme Leads": ["solar-us", "mortgage-intl", "quick-quotes"], "Bright Media": ["solar-us"]}


@dataclass
class DemoData:
    manager: dict = field(default_factory=dict)
    reps: list[dict] = field(default_factory=list)
    suppliers: list[dict] = field(default_factory=list)
    campaigns: list[dict] = field(default_factory=list)
    pool_campaigns: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"manager": self.manager, "reps": self.reps, "suppliers": self.suppliers, "campaigns": self.campaigns,
                "pool_campaigns": self.pool_campaigns}


def demo_api_key(supplier_name: str) -> str:
    """The demo supplier's raw key, derived from SECRET_KEY so every seed run can print it again."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-key:{supplier_name}".encode(), hashlib.sha256)
    return f"lcrm_demo_{digest.hexdigest()[:40]}"


def _user(username: str, first_name: str, *, staff: bool, password: str):
    """The demo user, with `password` (already hashed: one hash for every demo login, made before the
    transaction, so seeding holds the database's write lock for milliseconds, not a password hash per user)."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.first_name = first_name
    user.email = f"{username}@demo.leadcrm.local"
    user.is_staff = staff
    user.password = password
    user.save()
    return user


def _rep(username, first_name, languages, countries, skills, capacity, team, *, password: str) -> floor.Rep:
    rep, _ = floor.Rep.objects.get_or_create(user=_user(username, first_name, staff=False, password=password))
    rep.status, rep.active, rep.capacity = floor.Rep.Status.AVAILABLE, True, max(capacity, rep.load)
    rep.save()
    rep.teams.set([floor.Team.objects.get(name=team)])
    for code in languages:
        floor.RepLanguage.objects.get_or_create(rep=rep, code=code)
    for country in countries:
        floor.RepTerritory.objects.get_or_create(rep=rep, country=country, region="", postal_prefix="")
    for slug, level in skills.items():
        floor.RepSkill.objects.update_or_create(rep=rep, skill=floor.Skill.objects.get(slug=slug),
                                                defaults={"level": level})
    for day in range(7):
        floor.WorkingHours.objects.get_or_create(rep=rep, weekday=day, starts=dt.time(0), ends=dt.time(0))
    return rep


# Each desk takes its language's leads and routes them to reps who speak it, have the skill and cover the lead's
# territory (bilingual reps help two desks). A lead nobody fits, or that every fitting rep turned down, waits; after
# these seconds from receipt the rule stops requiring the territory, then the skill, and at last the language, so
# every lead reaches a rep and the floor keeps flowing.
DESK_RELAXATIONS = ((20, "territory"), (45, "skill"), (180, "language"))
# Languages without a desk go to anyone who speaks the language and has the skill (not the territory: a rep for a
# language no desk speaks is rare enough without it); after a wait the skill, then the language, stop being required.
CATCH_ALL = "Everyone else"
CATCH_ALL_RELAXATIONS = ((60, "skill"), (600, "language"))
STRICT = {"require_language": True, "require_skill": True, "min_skill_level": 1, "require_territory": True}


def _rule_configure(rule: floor.RoutingRule, *, settings_: dict, relaxations: tuple[tuple[int, str], ...]) -> None:
    for name, value in settings_.items():
        setattr(rule, name, value)
    rule.save()
    rule.teams.clear()  # candidates: every rep; the filters choose
    for after_seconds, drop in relaxations:
        floor.RuleRelaxation.objects.get_or_create(rule=rule, after_seconds=after_seconds, drop=drop)


def _as_first_seeded(rule: floor.RoutingRule) -> bool:
    """True for a rule as an older demo left it (language only, no relaxation): it gets the current settings once.

    A demo rule a manager changed since (a filter or a relaxation added) is left as it is.
    """
    return not (rule.require_skill or rule.require_territory or rule.relaxations.exists())


def _routing_rules() -> None:
    for order, (team, language) in enumerate(TEAMS.items(), start=1):
        rule, created = floor.RoutingRule.objects.get_or_create(
            name=f"{team} ({language} speakers)", defaults={"order": order * 10, "strategy": "round_robin"}
        )
        if created:
            floor.RuleCondition.objects.create(rule=rule, field="language", op="eq", value=language)
        if created or _as_first_seeded(rule):
            _rule_configure(rule, settings_=STRICT, relaxations=DESK_RELAXATIONS)
    # Free pick comes first: its campaign's leads go to the pool, where the language filter still applies.
    rule, created = floor.RoutingRule.objects.get_or_create(
        name=FREE_PICK, defaults={"order": 5, "strategy": "round_robin", "pool": floor.RoutingRule.Pool.AT_ONCE})
    if created:
        floor.RuleCondition.objects.create(rule=rule, field="campaign", op="in", value=",".join(POOL_CAMPAIGNS))
    rule, created = floor.RoutingRule.objects.get_or_create(
        name=CATCH_ALL, defaults={"order": 1000, "strategy": "round_robin"})
    if created or _as_first_seeded(rule):
        _rule_configure(rule, settings_={**STRICT, "require_territory": False}, relaxations=CATCH_ALL_RELAXATIONS)


def _personas() -> None:
    """A demo persona (homeowners, from the supplier's `homeowner` answer) and a scoring rule that names it."""
    persona, created = floor.Persona.objects.get_or_create(
        slug="homeowners", defaults={"name": "Homeowners", "description": "The lead says they own their home."})
    if created:
        floor.PersonaCondition.objects.create(persona=persona, field="fields.homeowner", op="eq", value="yes")
    rule, created = floor.ScoringRule.objects.get_or_create(name="Homeowners first", defaults={"points": 10})
    if created:
        floor.ScoringCondition.objects.create(rule=rule, field="persona", op="eq", value=persona.slug)


def demo_seed() -> DemoData:
    """Create or refresh the demo floor; running it again changes nothing but passwords back to the demo one."""
    return _demo_seed(password=make_password(DEMO_PASSWORD))


@transaction.atomic
def _demo_seed(*, password: str) -> DemoData:
    data = DemoData()
    managers_group_sync()
    manager = _user(MANAGER, "Morgan", staff=True, password=password)
    manager.groups.add(Group.objects.get(name=settings.MANAGERS_GROUP))
    data.manager = {"username": MANAGER, "password": DEMO_PASSWORD}

    for slug, name in SKILLS.items():
        floor.Skill.objects.get_or_create(slug=slug, defaults={"name": name})
    for team in TEAMS:
        floor.Team.objects.get_or_create(name=team)
    for slug, name in CAMPAIGNS.items():
        Campaign.objects.get_or_create(slug=slug, defaults={"name": name})
        data.campaigns.append({"slug": slug, "name": Campaign.objects.get(slug=slug).name})
    data.pool_campaigns = list(POOL_CAMPAIGNS)

    for username, first_name, languages, countries, skills, capacity, team in REPS:
        rep = _rep(username, first_name, languages, countries, skills, capacity, team, password=password)
        data.reps.append({
            "username": username, "password": DEMO_PASSWORD, "email": rep.user.email,
            "languages": sorted(rep.languages.values_list("code", flat=True)),
            "countries": sorted(set(rep.territories.values_list("country", flat=True))),
            "skills": sorted(rep.skills.values_list("skill__slug", flat=True)),
            "capacity": rep.capacity,
        })
    _routing_rules()
    _personas()

    for name, slugs in SUPPLIERS.items():
        supplier, _ = Supplier.objects.update_or_create(name=name, defaults={"active": True})
        supplier.campaigns.set(Campaign.objects.filter(slug__in=slugs))
        raw_key = demo_api_key(name)
        # The demo key must work after every seed, even if someone revoked it in the admin.
        if not SupplierApiKey.objects.filter(key_hash=hash_api_key(raw_key)).update(revoked_at=None):
            supplier_api_key_create(supplier=supplier, name="demo", raw_key=raw_key)
        data.suppliers.append({"name": name, "api_key": raw_key, "campaigns": slugs})

    buyer, _ = Buyer.objects.get_or_create(
        name="SunBuyers Inc.",
        defaults={"endpoint_url": "http://127.0.0.1:8765/leads", "filters": {"country": ["US"]}, "active": False},
    )
    buyer.campaigns.add(Campaign.objects.get(slug="solar-us"))
    return data
