"""The demo floor that `make run` loads: idempotent, with logins and keys it can print every time."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from assignments.models import (
    Rep,
    RepLanguage,
    RepSkill,
    RepTerritory,
    RoutingRule,
    RuleCondition,
    Skill,
    Team,
    WorkingHours,
)
from campaigns.models import Buyer, Campaign, Supplier, SupplierApiKey, hash_api_key
from campaigns.services import supplier_api_key_create
from leadcrm.roles import managers_group_sync

DEMO_PASSWORD = "leadcrm-demo"
MANAGER = "manager"
SKILLS = {"solar": "Solar installation", "mortgage": "Mortgage advice"}
TEAMS = {"English desk": "en", "Spanish desk": "es", "German desk": "de"}
CAMPAIGNS = {"solar-us": "Solar quotes (US)", "mortgage-intl": "Mortgage advice (international)"}
# username, first name, languages, countries, skills {slug: level}, capacity, team
REPS = [
    ("alice", "Alice", ["en"], ["US"], {"solar": 4, "mortgage": 2}, 5, "English desk"),
    ("bob", "Bob", ["en"], ["US", "GB"], {"mortgage": 4}, 5, "English desk"),
    ("carla", "Carla", ["es", "en"], ["US", "ES"], {"solar": 3}, 4, "Spanish desk"),
    ("diego", "Diego", ["es"], ["ES"], {"mortgage": 3, "solar": 2}, 4, "Spanish desk"),
    ("erika", "Erika", ["de", "en"], ["DE"], {"solar": 4}, 5, "German desk"),
    ("felix", "Felix", ["de"], ["DE"], {"mortgage": 3}, 3, "German desk"),
]
SUPPLIERS = {"Acme Leads": ["solar-us", "mortgage-intl"], "Bright Media": ["solar-us"]}


@dataclass
class DemoData:
    manager: dict = field(default_factory=dict)
    reps: list[dict] = field(default_factory=list)
    suppliers: list[dict] = field(default_factory=list)
    campaigns: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"manager": self.manager, "reps": self.reps, "suppliers": self.suppliers, "campaigns": self.campaigns}


def demo_api_key(supplier_name: str) -> str:
    """The demo supplier's raw key, derived from SECRET_KEY so every seed run can print it again."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-key:{supplier_name}".encode(), hashlib.sha256)
    return f"lcrm_demo_{digest.hexdigest()[:40]}"


def _user(username: str, first_name: str, *, staff: bool):
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.first_name = first_name
    user.email = f"{username}@demo.leadcrm.local"
    user.is_staff = staff
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _rep(username, first_name, languages, countries, skills, capacity, team) -> Rep:
    rep, _ = Rep.objects.get_or_create(user=_user(username, first_name, staff=False))
    rep.status, rep.active, rep.capacity = Rep.Status.AVAILABLE, True, max(capacity, rep.load)
    rep.save()
    rep.teams.set([Team.objects.get(name=team)])
    for code in languages:
        RepLanguage.objects.get_or_create(rep=rep, code=code)
    for country in countries:
        RepTerritory.objects.get_or_create(rep=rep, country=country, region="", postal_prefix="")
    for slug, level in skills.items():
        RepSkill.objects.update_or_create(rep=rep, skill=Skill.objects.get(slug=slug), defaults={"level": level})
    for day in range(7):
        WorkingHours.objects.get_or_create(rep=rep, weekday=day, starts=dt.time(0), ends=dt.time(0))
    return rep


def _routing_rules() -> None:
    for order, (team, language) in enumerate(TEAMS.items(), start=1):
        if team == "English desk":
            continue
        rule, created = RoutingRule.objects.get_or_create(
            name=f"{team} ({language} speakers)", defaults={"order": order * 10, "strategy": "round_robin"}
        )
        if created:
            rule.teams.set([Team.objects.get(name=team)])
            RuleCondition.objects.create(rule=rule, field="language", op="eq", value=language)
    RoutingRule.objects.get_or_create(name="Everyone else", defaults={"order": 1000, "strategy": "round_robin"})


@transaction.atomic
def demo_seed() -> DemoData:
    """Create or refresh the demo floor; running it again changes nothing but passwords back to the demo one."""
    data = DemoData()
    managers_group_sync()
    manager = _user(MANAGER, "Morgan", staff=True)
    manager.groups.add(Group.objects.get(name=settings.MANAGERS_GROUP))
    data.manager = {"username": MANAGER, "password": DEMO_PASSWORD}

    for slug, name in SKILLS.items():
        Skill.objects.get_or_create(slug=slug, defaults={"name": name})
    for team in TEAMS:
        Team.objects.get_or_create(name=team)
    for slug, name in CAMPAIGNS.items():
        Campaign.objects.get_or_create(slug=slug, defaults={"name": name})
        data.campaigns.append({"slug": slug, "name": Campaign.objects.get(slug=slug).name})

    for username, first_name, languages, countries, skills, capacity, team in REPS:
        rep = _rep(username, first_name, languages, countries, skills, capacity, team)
        data.reps.append({
            "username": username, "password": DEMO_PASSWORD,
            "languages": sorted(rep.languages.values_list("code", flat=True)),
            "countries": sorted(set(rep.territories.values_list("country", flat=True))),
            "skills": sorted(rep.skills.values_list("skill__slug", flat=True)),
            "capacity": rep.capacity,
        })
    _routing_rules()

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
