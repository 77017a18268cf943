"""The routing memo: the configuration is re-read at most every ROUTING_CONFIG_CACHE_SECONDS, live state never."""

import pytest

from assignments import config_cache, services
from assignments.models import Assignment, Rep, RepLanguage
from tests.factories import LeadFactory, RepFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def memo(settings, monkeypatch):
    """The memo on with a 60 s TTL, on a clock the test moves; emptied before and after."""
    settings.ROUTING_CONFIG_CACHE_SECONDS = 60
    clock = {"now": 1000.0}
    monkeypatch.setattr(config_cache.time, "monotonic", lambda: clock["now"])
    config_cache.config_cache_clear()
    yield clock
    config_cache.config_cache_clear()


def test_ttl_zero_loads_every_time(settings):
    settings.ROUTING_CONFIG_CACHE_SECONDS = 0
    calls = []
    for _ in range(3):
        config_cache.config_cached(key="k", load=lambda: calls.append(1) or len(calls))
    assert len(calls) == 3


def test_value_reused_until_ttl_then_loaded_again(memo):
    calls = []
    load = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert [config_cache.config_cached(key="k", load=load) for _ in range(3)] == [1, 1, 1]
    memo["now"] += 61
    assert config_cache.config_cached(key="k", load=load) == 2


def test_stale_predicate_forces_a_reload(memo):
    calls = []
    load = lambda: calls.append(1) or len(calls)  # noqa: E731
    config_cache.config_cached(key="k", load=load)
    assert config_cache.config_cached(key="k", load=load, stale=lambda value: value == 1) == 2


def route_language(code: str) -> Assignment | None:
    result = services.lead_route(lead_id=LeadFactory(language=code).pk)
    return Assignment.objects.filter(pk__in=result.assignment_ids).first()


def test_new_rep_is_routed_to_at_once(memo):
    RoutingRuleFactory(name="Everyone", strategy="least_busy")
    RepFactory(languages=["en"], capacity=50)
    assert route_language("de") is None  # memo now holds a floor with no German speaker
    german = RepFactory(languages=["de"])
    assert route_language("de").rep == german


def test_profile_change_seen_after_the_ttl(memo):
    RoutingRuleFactory(name="Everyone", strategy="least_busy")
    rep = RepFactory(languages=["en"], capacity=50)
    assert route_language("fr") is None
    RepLanguage.objects.create(rep=rep, code="fr")
    assert route_language("fr") is None  # within the TTL the memo still says English only
    memo["now"] += 61
    assert route_language("fr").rep == rep


def test_live_state_is_never_memoised(memo):
    RoutingRuleFactory(name="Everyone", strategy="least_busy")
    rep = RepFactory(languages=["en"], capacity=50)
    assert route_language("en").rep == rep
    Rep.objects.filter(pk=rep.pk).update(status=Rep.Status.AWAY)
    assert route_language("en") is None
    Rep.objects.filter(pk=rep.pk).update(status=Rep.Status.AVAILABLE, load=50)
    assert route_language("en") is None  # at capacity


def test_rule_change_seen_after_the_ttl(memo):
    rule = RoutingRuleFactory(name="Everyone", strategy="least_busy", order=10)
    RepFactory(languages=["en"], capacity=50)
    assert route_language("en").rule == rule
    second = RoutingRuleFactory(name="First now", strategy="least_busy", order=1)
    assert route_language("en").rule == rule
    memo["now"] += 61
    assert route_language("en").rule == second


def test_a_rules_floor_settings_are_read_again_for_a_rule_the_memo_has_not_seen(memo):
    from assignments.selectors import rule_floor_settings_cached

    first = RoutingRuleFactory(max_offers=2)
    assert rule_floor_settings_cached(rule_id=first.pk).max_offers == 2
    later = RoutingRuleFactory(max_offers=4, offer_timeout_seconds=30)  # created after the memo was filled
    settings_of_later = rule_floor_settings_cached(rule_id=later.pk)
    assert (settings_of_later.max_offers, settings_of_later.offer_timeout_seconds) == (4, 30)
    assert rule_floor_settings_cached(rule_id=later.pk + 1000) is None  # no such rule
