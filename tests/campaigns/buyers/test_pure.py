"""The pure parts, table-driven: filters, schedules, price rules, ranking, templates, masking, reading answers."""

import datetime as dt
import random
from decimal import Decimal

import pytest

from campaigns.buyers.delivery import HttpResult, answer_read
from campaigns.buyers.filters import conditions_match, conditions_problems, schedule_open, schedule_problems
from campaigns.buyers.pricing import PriceRuleSpec, price_apply
from campaigns.buyers.ranking import Bid, auction_rank, weighted_pick
from campaigns.buyers.requests import pii_mask, ping_body, template_problems, template_render

LEAD = {"campaign": "solar", "country": "US", "region": "CA", "postal_code": "94105", "language": "en",
        "skill": "", "score": 40, "fields": {"homeowner": True, "income": "52000", "roof": ["tile", "flat"]}}


@pytest.mark.parametrize("conditions,expected", [
    ({}, True),
    ({"country": ["US", "CA"]}, True),
    ({"country": "us"}, True),
    ({"country": ["DE"]}, False),
    ({"region__not": ["TX"]}, True),
    ({"postal_code": ["941", "902"]}, True),
    ({"postal_prefix": "90"}, False),
    ({"homeowner": True}, True),
    ({"fields.homeowner": False}, False),
    ({"fields.income__gte": 50000}, True),
    ({"income__lt": 50000}, False),
    ({"score__gt": "39"}, True),
    ({"roof": "flat"}, True),
    ({"skill__exists": True}, False),
    ({"pets__exists": False}, True),
    ({"missing": ["x"]}, False),
    ({"region__between": ["A"]}, False),
    ({"country": ["US"], "region": ["NV"]}, False),
])
def test_conditions(conditions, expected):
    assert conditions_match(conditions=conditions, lead=LEAD) is expected


@pytest.mark.parametrize("conditions,problem", [
    ([], 'Must be a JSON object such as {"country": ["US"]}.'),
    ({"region__between": 1}, "'region__between': unknown test '__between'; use one of in, not, prefix, gt, gte, lt, "
                             "lte, exists."),
    ({"score__gte": "lots"}, "'score__gte': needs a number."),
    ({"pets__exists": "yes"}, "'pets__exists': needs true or false."),
    ({"region": {"a": 1}}, "'region': must be a value or a list of values."),
    ({"fields.": 1}, "'fields.': name a lead field."),
])
def test_condition_problems(conditions, problem):
    assert conditions_problems(conditions) == [problem]


MONDAY_10_UTC = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("schedule,expected", [
    ({}, True),
    ({"timezone": "UTC", "windows": [{"days": [0], "opens": "09:00", "closes": "17:00"}]}, True),
    ({"timezone": "America/New_York", "windows": [{"days": [0], "opens": "09:00", "closes": "17:00"}]}, False),
    ({"windows": [{"days": [6], "opens": "22:00", "closes": "11:00"}]}, True),  # Sunday night into Monday
    ({"windows": [{"days": [1, 2], "opens": "00:00", "closes": "00:00"}]}, False),
    ({"windows": [{"days": [0], "opens": "nine"}]}, False),  # invalid: closed, never an exception
])
def test_schedule_open(schedule, expected):
    assert schedule_open(schedule=schedule, at=MONDAY_10_UTC) is expected


def test_schedule_problems():
    assert schedule_problems({"tz": "x", "windows": [{"days": [9], "closes": "25:00"}]}) == [
        "Unknown key 'tz'; use timezone and windows.",
        "windows[0].days must list weekdays 0 (Monday) to 6 (Sunday).",
        "windows[0].closes must be HH:MM.",
    ]


def rule(rule_id, target, operation, amount, conditions=None, buyer_id=None, order=100):
    return PriceRuleSpec(id=rule_id, name=f"r{rule_id}", target=target, operation=operation,
                         amount=Decimal(amount), conditions=conditions or {}, buyer_id=buyer_id, order=order)


def test_price_rules_apply_in_order_to_their_target_and_buyer():
    rules = [rule(1, "price", "add", "5", order=2), rule(2, "price", "multiply", "1.5", {"region": ["CA"]}, order=1),
             rule(3, "price", "set", "99", buyer_id=7), rule(4, "cost", "multiply", "2"),
             rule(5, "price", "add", "100", {"region": ["TX"]})]
    quote = price_apply(base=Decimal("10"), rules=rules, lead=LEAD, target="price", buyer_id=3)
    assert (quote.amount, quote.applied) == (Decimal("20.00"), ("r2", "r1"))
    assert price_apply(base=Decimal("10"), rules=rules, lead=LEAD, target="price", buyer_id=7).amount == Decimal("99")
    assert price_apply(base=Decimal("4.005"), rules=rules, lead=LEAD, target="cost").amount == Decimal("8.01")
    assert price_apply(base=Decimal("3"), rules=[rule(9, "cost", "add", "-5")], lead=LEAD,
                       target="cost").amount == Decimal("0.00")


def test_auction_rank_and_weighted_pick():
    bids = [Bid(1, Decimal("12"), 5), Bid(2, Decimal("30"), 9), Bid(3, Decimal("30"), 1), Bid(4, Decimal("9.99")),
            Bid(5, Decimal("0"))]
    assert [b.buyer_id for b in auction_rank(bids=bids, floor=Decimal("10"))] == [3, 2, 1]
    assert weighted_pick(items=[("a", 0), ("b", 0)], rng=random.Random(1)) is None
    assert {weighted_pick(items=[("a", 0), ("b", 3)], rng=random.Random(n)) for n in range(50)} == {"b"}


def test_template_render_keeps_types_and_fills_text():
    context = {"first_name": "Ada", "price": 17.5, "test": False, "fields": {"roof": "tile"}, "email": None}
    template = {"name": "{{first_name}}", "amount": "{{ price }}", "note": "Ada's roof: {{ fields.roof }}",
                "list": ["{{ test }}", 3], "empty": "x{{ email }}y"}
    assert template_render(template, context) == {"name": "Ada", "amount": 17.5, "note": "Ada's roof: tile",
                                                  "list": [False, 3], "empty": "xy"}
    assert template_problems({"a": "{{ nope }}", "b": "{{ fields.any }}"}) == [
        "Unknown placeholder {{ nope }}; use one of lead_id, external_id, first_name, last_name, full_name, email, "
        "phone, country, region, postal_code, postal_prefix, language, skill, score, campaign, campaign_name, "
        "received_at, price, test, fields, ping_token, auth_token or fields.<name>."]


def test_ping_body_never_carries_personal_answers_even_if_filtered_on():
    lead = {**LEAD, "fields": {"email": "a@b.c", "phone": "+1", "income": 5}}
    body = ping_body(lead=lead, lead_ref="7", conditions={"email__exists": True, "fields.phone": "1", "income": 1})
    assert body == {"lead_ref": "7", "campaign": "solar", "country": "US", "region": "CA", "postal_prefix": "941",
                    "test": False, "fields": {"income": 5}}


def test_pii_mask():
    secrets = ["ada.lovelace@example.com", "+14155550123", "Lovelace"]
    value = {"email": "ada.lovelace@example.com", "note": "Call Lovelace on +14155550123", "n": 3,
             "first_name": "Ada", "list": ["ADA.LOVELACE@EXAMPLE.COM"]}
    assert pii_mask(value, secrets=secrets) == {
        "email": "a***@example.com", "note": "Call L*** on +141***23", "n": 3, "first_name": "A***",
        "list": ["a***@example.com"]}


@pytest.mark.parametrize("result,outcome,retryable,bid,token", [
    (HttpResult(200, '{"status": "accepted"}'), "accepted", False, None, ""),
    (HttpResult(200, ""), "accepted", False, None, ""),
    (HttpResult(201, '{"bid": "12.345", "ping_id": "p1"}'), "accepted", False, Decimal("12.35"), "p1"),
    (HttpResult(200, '{"price": 0}'), "rejected", False, None, ""),
    (HttpResult(200, '{"bid": "1e40"}'), "rejected", False, None, ""),
    (HttpResult(200, '{"bid": "lots"}'), "rejected", False, None, ""),
    (HttpResult(200, '{"bid": null}'), "rejected", False, None, ""),
    (HttpResult(200, '{"accepted": false}'), "rejected", False, None, ""),
    (HttpResult(200, '{"result": "Duplicate"}'), "rejected", False, None, ""),
    (HttpResult(200, "REJECTED"), "rejected", False, None, ""),
    (HttpResult(302, ""), "rejected", False, None, ""),
    (HttpResult(422, '{"error": "bad"}'), "rejected", False, None, ""),
    (HttpResult(503, ""), "error", True, None, ""),
    (HttpResult(None, failure="connect"), "error", True, None, ""),
    (HttpResult(None, failure="timeout"), "timeout", False, None, ""),
    (HttpResult(None, failure="network"), "error", False, None, ""),
])
def test_answer_read(result, outcome, retryable, bid, token):
    answer = answer_read(result)
    assert (answer.outcome, answer.retryable, answer.bid, answer.token) == (outcome, retryable, bid, token)
