"""seed_demo: the contract's demo floor, idempotent, with working logins and keys."""

import json

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from assignments.models import Rep, RepLanguage, RepSkill, RepTerritory, RoutingRule, WorkingHours
from campaigns.models import Buyer, Campaign, Supplier, SupplierApiKey, hash_api_key
from leadcrm.roles import is_manager

pytestmark = pytest.mark.django_db


def seed(tmp_path) -> dict:
    path = tmp_path / "demo.json"
    call_command("seed_demo", "--json", str(path), verbosity=0)
    return json.loads(path.read_text())


def counts() -> dict:
    models = [Rep, RepLanguage, RepSkill, RepTerritory, WorkingHours, RoutingRule, Campaign, Supplier,
              SupplierApiKey, Buyer]
    return {model.__name__: model.objects.count() for model in models}


def test_json_has_the_contract_shape(tmp_path):
    data = seed(tmp_path)
    assert set(data) == {"manager", "reps", "suppliers", "campaigns", "pool_campaigns"}
    assert data["pool_campaigns"] == ["quick-quotes"]
    assert any("quick-quotes" in supplier["campaigns"] for supplier in data["suppliers"])
    assert set(data["manager"]) == {"username", "password"}
    for rep in data["reps"]:
        assert set(rep) == {"username", "password", "email", "languages", "countries", "skills", "capacity"}
    for supplier in data["suppliers"]:
        assert set(supplier) == {"name", "api_key", "campaigns"}
    assert all(set(c) == {"slug", "name"} for c in data["campaigns"])
    assert "solar-us" in {c["slug"] for c in data["campaigns"]}


def test_floor_meets_the_contract_minimums(tmp_path):
    data = seed(tmp_path)
    reps = data["reps"]
    assert len(reps) >= 6
    assert len({lang for rep in reps for lang in rep["languages"]}) >= 3
    assert len({country for rep in reps for country in rep["countries"]}) >= 3
    assert len({skill for rep in reps for skill in rep["skills"]}) >= 2
    assert len(data["campaigns"]) == 3 and len(data["suppliers"]) == 2 and Buyer.objects.count() == 1
    for rep in Rep.objects.all():
        assert rep.status == Rep.Status.AVAILABLE
        assert rep.working_hours.count() == 7  # 24/7: a whole-day window every weekday


def test_every_demo_user_has_an_email_address_and_the_json_lists_each_reps(tmp_path):
    data = seed(tmp_path)
    users = get_user_model().objects.all()
    assert users.count() == len(data["reps"]) + 1 and all("@" in user.email for user in users)
    for rep in data["reps"]:
        assert rep["email"] == Rep.objects.get(user__username=rep["username"]).user.email
    assert len({rep["email"] for rep in data["reps"]}) == len(data["reps"])


def test_logins_and_keys_work(tmp_path):
    data = seed(tmp_path)
    manager = authenticate(username=data["manager"]["username"], password=data["manager"]["password"])
    assert manager is not None and is_manager(manager)
    for rep in data["reps"]:
        user = authenticate(username=rep["username"], password=rep["password"])
        assert user is not None and not user.is_staff and hasattr(user, "rep")
    for supplier in data["suppliers"]:
        key = SupplierApiKey.objects.get(key_hash=hash_api_key(supplier["api_key"]))
        assert key.supplier.name == supplier["name"] and key.is_active
        assert sorted(key.supplier.campaigns.values_list("slug", flat=True)) == sorted(supplier["campaigns"])


def test_running_twice_changes_nothing_and_prints_the_same_keys(tmp_path):
    first = seed(tmp_path)
    before = counts()
    second = seed(tmp_path)
    assert counts() == before
    assert first == second


def test_reseed_restores_a_revoked_demo_key(tmp_path):
    data = seed(tmp_path)
    SupplierApiKey.objects.update(revoked_at="2026-01-01T00:00:00Z")
    seed(tmp_path)
    key = SupplierApiKey.objects.get(key_hash=hash_api_key(data["suppliers"][0]["api_key"]))
    assert key.is_active
